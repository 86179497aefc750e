//! Component locks and reservations (SMD's locking v2, `/hsm/v2/locks/...`): the state of one
//! component and the rules for changing it. An admin lock keeps services off a component; a
//! reservation (admin: lasting, needs the lock; service: expiring, needs no lock) gives its
//! holder a private reservation key and a public deputy key others can be handed.

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;
use utoipa::ToSchema;

use super::xname::Xname;

/// Longest service reservation SMD grants, in minutes.
pub const MAX_RESERVATION_MINUTES: i64 = 15;

/// A reservation held on a component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reservation {
    /// The private key, needed to release or renew.
    pub reservation_key: String,
    /// The public key, checked by services acting for the holder.
    pub deputy_key: String,
    /// Unix seconds when it was made (or last renewed).
    pub created: i64,
    /// Unix seconds when it lapses; `None` for an admin reservation.
    pub expires: Option<i64>,
}

impl Reservation {
    /// Whether it still holds at `now` (unix seconds).
    pub fn live(&self, now: i64) -> bool {
        self.expires.is_none_or(|e| e > now)
    }
}

/// The lock state of one component.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LockState {
    /// The component.
    pub id: Xname,
    /// Admin-locked.
    pub locked: bool,
    /// Reservations disabled (until repaired).
    pub disabled: bool,
    /// The reservation, if any (possibly lapsed: see [`LockState::reservation_at`]).
    pub reservation: Option<Reservation>,
}

/// Why a change was refused for a component, with SMD's names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum LockReason {
    /// No such component, or no reservation matching the key given.
    NotFound,
    /// The component is locked.
    Locked,
    /// The component is not locked.
    Unlocked,
    /// Reservations are disabled on it.
    Disabled,
    /// It is reserved.
    Reserved,
    /// Storage failed.
    ServerError,
}

impl LockReason {
    /// SMD's error text when a rigid request fails for this reason.
    pub fn message(self) -> &'static str {
        match self {
            LockReason::NotFound => "Component not found",
            LockReason::Locked => "Component is Locked",
            LockReason::Unlocked => "Component is Unlocked",
            LockReason::Disabled => "Component reservations are disabled",
            LockReason::Reserved => "Component is Reserved",
            LockReason::ServerError => "Unknown locking error",
        }
    }
}

/// One change to one component's lock state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LockChange {
    /// Admin lock (refused if locked, reserved or disabled).
    Lock,
    /// Admin unlock (refused if unlocked, reserved or disabled).
    Unlock,
    /// Disable reservations and drop any reservation; idempotent.
    Disable,
    /// Enable reservations again; idempotent.
    Repair,
    /// Reserve: `None` minutes is an admin reservation (needs the lock), otherwise a service
    /// reservation of that many minutes (needs no lock).
    Reserve(Option<i64>),
    /// Release the reservation holding this reservation key.
    Release(String),
    /// Drop any reservation regardless of key (admin).
    Remove,
    /// Extend the reservation holding this reservation key by this many minutes from now.
    Renew(String, i64),
}

/// Unix seconds now.
pub fn now_unix() -> i64 {
    OffsetDateTime::now_utc().unix_timestamp()
}

/// RFC 3339 text for unix seconds.
pub fn unix_rfc3339(secs: i64) -> String {
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_default()
}

impl LockState {
    /// An unlocked, unreserved component.
    pub fn free(id: Xname) -> LockState {
        LockState {
            id,
            locked: false,
            disabled: false,
            reservation: None,
        }
    }

    /// The reservation if it still holds at `now`.
    pub fn reservation_at(&self, now: i64) -> Option<&Reservation> {
        self.reservation.as_ref().filter(|r| r.live(now))
    }

    /// The state after `change` at `now`, or why it is refused. New keys are
    /// `<xname>:rk:<uuid>` and `<xname>:dk:<uuid>`, as SMD makes them.
    pub fn apply(&self, change: &LockChange, now: i64) -> Result<LockState, LockReason> {
        let mut next = self.clone();
        if next.reservation.as_ref().is_some_and(|r| !r.live(now)) {
            next.reservation = None;
        }
        let reserved = next.reservation.is_some();
        match change {
            LockChange::Lock | LockChange::Unlock => {
                let want = *change == LockChange::Lock;
                if next.disabled {
                    return Err(LockReason::Disabled);
                }
                if next.locked == want {
                    return Err(if want {
                        LockReason::Locked
                    } else {
                        LockReason::Unlocked
                    });
                }
                if reserved {
                    return Err(LockReason::Reserved);
                }
                next.locked = want;
            }
            LockChange::Disable => {
                next.disabled = true;
                next.reservation = None;
            }
            LockChange::Repair => next.disabled = false,
            LockChange::Reserve(minutes) => {
                if next.disabled {
                    return Err(LockReason::Disabled);
                }
                match minutes {
                    None if !next.locked => return Err(LockReason::Unlocked),
                    Some(_) if next.locked => return Err(LockReason::Locked),
                    _ => {}
                }
                if reserved {
                    return Err(LockReason::Reserved);
                }
                let id = next.id.as_str();
                next.reservation = Some(Reservation {
                    reservation_key: format!("{id}:rk:{}", uuid::Uuid::new_v4()),
                    deputy_key: format!("{id}:dk:{}", uuid::Uuid::new_v4()),
                    created: now,
                    expires: minutes.map(|m| now + m * 60),
                });
            }
            LockChange::Release(key) => match &next.reservation {
                Some(r) if &r.reservation_key == key => next.reservation = None,
                _ => return Err(LockReason::NotFound),
            },
            LockChange::Remove => {
                if !reserved {
                    return Err(LockReason::NotFound);
                }
                next.reservation = None;
            }
            LockChange::Renew(key, minutes) => match &mut next.reservation {
                Some(r) if &r.reservation_key == key && r.expires.is_some() => {
                    r.created = now;
                    r.expires = Some(now + minutes * 60);
                }
                _ => return Err(LockReason::NotFound),
            },
        }
        Ok(next)
    }

    /// Whether `deputy_key` names this component's live reservation.
    pub fn deputy_ok(&self, deputy_key: &str, now: i64) -> bool {
        self.reservation_at(now)
            .is_some_and(|r| r.deputy_key == deputy_key)
    }

    /// SMD's `ComponentStatus` for this state.
    pub fn status(&self, now: i64) -> LockStatus {
        let r = self.reservation_at(now);
        LockStatus {
            id: self.id.to_string(),
            locked: self.locked,
            reserved: r.is_some(),
            created_time: r.map(|r| unix_rfc3339(r.created)),
            expiration_time: r.and_then(|r| r.expires).map(unix_rfc3339),
            reservation_disabled: self.disabled,
        }
    }
}

/// SMD's `ComponentStatus.1.0.0`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LockStatus {
    /// The component.
    #[serde(rename = "ID")]
    pub id: String,
    /// Admin-locked.
    #[serde(rename = "Locked")]
    pub locked: bool,
    /// Holds a live reservation.
    #[serde(rename = "Reserved")]
    pub reserved: bool,
    /// When the reservation was made.
    #[serde(rename = "CreationTime", skip_serializing_if = "Option::is_none")]
    pub created_time: Option<String>,
    /// When the reservation lapses (service reservations only).
    #[serde(rename = "ExpirationTime", skip_serializing_if = "Option::is_none")]
    pub expiration_time: Option<String>,
    /// Reservations disabled.
    #[serde(rename = "ReservationDisabled")]
    pub reservation_disabled: bool,
}

/// SMD's `FailedXnames`: a component and why the change was refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LockFailure {
    /// The component.
    #[serde(rename = "ID")]
    pub id: String,
    /// Why.
    #[serde(rename = "Reason")]
    pub reason: LockReason,
}

/// SMD's `Counts`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LockCounts {
    /// Components named.
    #[serde(rename = "Total")]
    pub total: usize,
    /// Changed.
    #[serde(rename = "Success")]
    pub success: usize,
    /// Refused.
    #[serde(rename = "Failure")]
    pub failure: usize,
}

/// A list of component ids (`{"ComponentIDs": [...]}`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ComponentIds {
    /// The ids.
    #[serde(rename = "ComponentIDs", default)]
    pub component_ids: Vec<String>,
}

/// SMD's `XnameResponse`: the answer to lock, unlock, disable, repair, release, renew, remove.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LockUpdate {
    /// How many were named, changed and refused.
    #[serde(rename = "Counts")]
    pub counts: LockCounts,
    /// The changed components.
    #[serde(rename = "Success")]
    pub success: ComponentIds,
    /// The refused components.
    #[serde(rename = "Failure")]
    pub failure: Vec<LockFailure>,
}

/// A reservation granted or confirmed (`XnameKeys` and its variants).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReservationKeys {
    /// The component.
    #[serde(rename = "ID")]
    pub id: String,
    /// The public key.
    #[serde(rename = "DeputyKey")]
    pub deputy_key: String,
    /// The private key (only to whoever made the reservation).
    #[serde(
        rename = "ReservationKey",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub reservation_key: Option<String>,
    /// When it lapses (service reservations only).
    #[serde(
        rename = "ExpirationTime",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub expiration_time: Option<String>,
}

/// The answer to a reservation or a deputy-key check.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ReservationResult {
    /// Granted or valid.
    #[serde(rename = "Success")]
    pub success: Vec<ReservationKeys>,
    /// Refused or not valid.
    #[serde(rename = "Failure")]
    pub failure: Vec<LockFailure>,
}

/// SMD's `AdminStatusCheck_Response`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct LockStatusList {
    /// Lock states.
    #[serde(rename = "Components")]
    pub components: Vec<LockStatus>,
    /// Ids asked for that are not components.
    #[serde(rename = "NotFound", skip_serializing_if = "Vec::is_empty", default)]
    pub not_found: Vec<String>,
}

/// An xname with a key (`XnameWithKey`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct XnameKey {
    /// The component.
    #[serde(rename = "ID")]
    pub id: String,
    /// A reservation key or a deputy key.
    #[serde(rename = "Key")]
    pub key: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x() -> LockState {
        LockState::free(Xname::parse("x1000c0s0b0n0").unwrap())
    }

    #[test]
    fn admin_reservation_needs_the_lock_and_service_reservation_refuses_it() {
        let free = x();
        assert_eq!(
            free.apply(&LockChange::Reserve(None), 0),
            Err(LockReason::Unlocked)
        );
        let locked = free.apply(&LockChange::Lock, 0).unwrap();
        assert_eq!(
            locked.apply(&LockChange::Reserve(Some(1)), 0),
            Err(LockReason::Locked)
        );
        let held = locked.apply(&LockChange::Reserve(None), 0).unwrap();
        let r = held.reservation.clone().unwrap();
        assert!(r.reservation_key.starts_with("x1000c0s0b0n0:rk:"));
        assert!(r.deputy_key.starts_with("x1000c0s0b0n0:dk:"));
        assert_eq!(r.expires, None);
        // Locked and reserved: cannot unlock until released.
        assert_eq!(
            held.apply(&LockChange::Unlock, 0),
            Err(LockReason::Reserved)
        );
    }

    #[test]
    fn service_reservations_lapse_renew_and_release_by_key() {
        let held = x().apply(&LockChange::Reserve(Some(1)), 100).unwrap();
        let r = held.reservation.clone().unwrap();
        assert_eq!(r.expires, Some(160));
        assert!(held.deputy_ok(&r.deputy_key, 159));
        assert!(!held.deputy_ok(&r.deputy_key, 160));
        assert!(!held.deputy_ok("x1000c0s0b0n0:dk:other", 100));
        // A second reservation is refused while the first holds, granted once it lapsed.
        assert_eq!(
            held.apply(&LockChange::Reserve(Some(1)), 120),
            Err(LockReason::Reserved)
        );
        assert!(held.apply(&LockChange::Reserve(Some(1)), 200).is_ok());
        // Renew needs the private key.
        assert_eq!(
            held.apply(&LockChange::Renew(r.deputy_key.clone(), 2), 150),
            Err(LockReason::NotFound)
        );
        let renewed = held
            .apply(&LockChange::Renew(r.reservation_key.clone(), 2), 150)
            .unwrap();
        assert_eq!(renewed.reservation.as_ref().unwrap().expires, Some(270));
        assert_eq!(
            renewed.apply(&LockChange::Release("wrong".into()), 150),
            Err(LockReason::NotFound)
        );
        let released = renewed
            .apply(&LockChange::Release(r.reservation_key), 150)
            .unwrap();
        assert_eq!(released.reservation, None);
    }

    #[test]
    fn disable_drops_reservations_until_repaired() {
        let held = x().apply(&LockChange::Reserve(Some(5)), 0).unwrap();
        let off = held.apply(&LockChange::Disable, 0).unwrap();
        assert_eq!(off.reservation, None);
        assert_eq!(
            off.apply(&LockChange::Reserve(Some(5)), 0),
            Err(LockReason::Disabled)
        );
        assert_eq!(off.apply(&LockChange::Lock, 0), Err(LockReason::Disabled));
        assert!(off.apply(&LockChange::Disable, 0).is_ok());
        let fixed = off.apply(&LockChange::Repair, 0).unwrap();
        assert!(fixed.apply(&LockChange::Reserve(Some(5)), 0).is_ok());
    }

    #[test]
    fn lock_twice_and_unlock_twice_are_refused() {
        let locked = x().apply(&LockChange::Lock, 0).unwrap();
        assert_eq!(locked.apply(&LockChange::Lock, 0), Err(LockReason::Locked));
        let open = locked.apply(&LockChange::Unlock, 0).unwrap();
        assert_eq!(
            open.apply(&LockChange::Unlock, 0),
            Err(LockReason::Unlocked)
        );
        assert_eq!(
            open.status(0),
            LockStatus {
                id: "x1000c0s0b0n0".into(),
                locked: false,
                reserved: false,
                created_time: None,
                expiration_time: None,
                reservation_disabled: false,
            }
        );
    }
}
