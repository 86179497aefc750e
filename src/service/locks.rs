//! Component locks and reservations (SMD locking v2): which components a request names, the
//! change applied in one store transaction, and SMD's rigid (all or nothing) and flexible
//! (best effort) processing.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;

use crate::model::filter::ComponentFilter;
use crate::model::locks::{
    now_unix, unix_rfc3339, ComponentIds, LockChange, LockCounts, LockFailure, LockReason,
    LockState, LockStatus, LockStatusList, LockUpdate, ReservationKeys, ReservationResult,
};
use crate::model::xname::Xname;
use crate::store::{name_list, LockOutcome, Store};

use super::events::{Event, EventBus};
use super::ServiceError;

/// SMD's answer when a status request matches no component (400, as SMD).
fn not_found() -> ServiceError {
    ServiceError::BadRequest("Component not found".into())
}

/// Locks and reservations over the store.
#[derive(Clone)]
pub struct Locks {
    store: Arc<dyn Store>,
    bus: EventBus,
}

/// Which lock states a status listing keeps.
#[derive(Debug, Clone, Default)]
pub struct StatusFilter {
    /// Keep only (un)locked components.
    pub locked: Option<bool>,
    /// Keep only (un)reserved components.
    pub reserved: Option<bool>,
    /// Keep only components whose reservations are (not) disabled.
    pub disabled: Option<bool>,
}

/// A rigid request's refusal: every refused component, grouped by SMD's reason text.
fn refusal(failures: &[LockFailure]) -> ServiceError {
    let mut by: BTreeMap<&'static str, Vec<Xname>> = BTreeMap::new();
    for f in failures {
        if let Ok(x) = Xname::parse(&f.id) {
            by.entry(f.reason.message()).or_default().push(x);
        }
    }
    let parts: Vec<String> = by
        .iter()
        .map(|(why, ids)| format!("{why}: {}", name_list(ids)))
        .collect();
    ServiceError::BadRequest(format!(
        "{}; nothing was changed (ProcessingModel rigid)",
        parts.join("; ")
    ))
}

fn failures(outcomes: &[LockOutcome]) -> Vec<LockFailure> {
    outcomes
        .iter()
        .filter_map(|(id, r)| {
            r.as_ref().err().map(|reason| LockFailure {
                id: id.to_string(),
                reason: *reason,
            })
        })
        .collect()
}

impl Locks {
    /// Locks over `store`.
    pub fn new(store: Arc<dyn Store>, bus: EventBus) -> Locks {
        Locks { store, bus }
    }

    /// The components a filter names: those matching it, plus explicit ids that are not
    /// components (reported as `NotFound`). An empty filter names every component, as in SMD;
    /// naming none is a 400.
    async fn targets(&self, filter: &ComponentFilter) -> Result<Vec<Xname>, ServiceError> {
        let found = self.store.components(filter).await?;
        let mut ids: Vec<Xname> = found.into_iter().map(|c| c.id).collect();
        let known: HashSet<&Xname> = ids.iter().collect();
        let missing: Vec<Xname> = filter
            .ids
            .iter()
            .filter(|id| !known.contains(id))
            .cloned()
            .collect();
        ids.extend(missing);
        if ids.is_empty() {
            return Err(ServiceError::BadRequest(
                "Component not found: no component matches the request".into(),
            ));
        }
        Ok(ids)
    }

    async fn apply(
        &self,
        changes: Vec<(Xname, LockChange)>,
        rigid: bool,
    ) -> Result<Vec<LockOutcome>, ServiceError> {
        let outcomes = self.store.change_locks(&changes, rigid, now_unix()).await?;
        let failed = failures(&outcomes);
        if rigid && !failed.is_empty() {
            return Err(refusal(&failed));
        }
        // A component record shows its lock and disable bits: those changes are changes of it.
        let shown: Vec<Xname> = changes
            .iter()
            .zip(&outcomes)
            .filter(|((_, change), (_, result))| {
                result.is_ok()
                    && matches!(
                        change,
                        LockChange::Lock
                            | LockChange::Unlock
                            | LockChange::Disable
                            | LockChange::Repair
                    )
            })
            .map(|((id, _), _)| id.clone())
            .collect();
        if !shown.is_empty() {
            self.bus.publish(Event::ComponentsChanged { ids: shown });
        }
        Ok(outcomes)
    }

    fn update(outcomes: Vec<LockOutcome>) -> LockUpdate {
        let failure = failures(&outcomes);
        let success: Vec<String> = outcomes
            .iter()
            .filter(|(_, r)| r.is_ok())
            .map(|(id, _)| id.to_string())
            .collect();
        LockUpdate {
            counts: LockCounts {
                total: outcomes.len(),
                success: success.len(),
                failure: failure.len(),
            },
            success: ComponentIds {
                component_ids: success,
            },
            failure,
        }
    }

    /// Lock, unlock, disable, repair or remove reservations on the components a filter names.
    pub async fn change(
        &self,
        filter: &ComponentFilter,
        change: LockChange,
        rigid: bool,
    ) -> Result<LockUpdate, ServiceError> {
        let ids = self.targets(filter).await?;
        let changes = ids.into_iter().map(|id| (id, change.clone())).collect();
        Ok(Self::update(self.apply(changes, rigid).await?))
    }

    /// Reserves the components a filter names: for `minutes` (a service reservation) or, with
    /// `None`, until released (an admin reservation, which needs the lock).
    pub async fn reserve(
        &self,
        filter: &ComponentFilter,
        minutes: Option<i64>,
        rigid: bool,
    ) -> Result<ReservationResult, ServiceError> {
        let ids = self.targets(filter).await?;
        self.reserve_ids(ids, minutes, rigid).await
    }

    /// Reserves exactly these components.
    pub async fn reserve_ids(
        &self,
        ids: Vec<Xname>,
        minutes: Option<i64>,
        rigid: bool,
    ) -> Result<ReservationResult, ServiceError> {
        let changes = ids
            .into_iter()
            .map(|id| (id, LockChange::Reserve(minutes)))
            .collect();
        let outcomes = self.apply(changes, rigid).await?;
        let failure = failures(&outcomes);
        let success = outcomes
            .into_iter()
            .filter_map(|(id, r)| {
                let r = r.ok()?.reservation?;
                Some(ReservationKeys {
                    id: id.to_string(),
                    deputy_key: r.deputy_key,
                    reservation_key: Some(r.reservation_key),
                    expiration_time: r.expires.map(unix_rfc3339),
                })
            })
            .collect();
        Ok(ReservationResult { success, failure })
    }

    /// Releases (`renew: None`) or renews reservations by their reservation keys.
    pub async fn by_key(
        &self,
        keys: Vec<(Xname, String)>,
        renew: Option<i64>,
        rigid: bool,
    ) -> Result<LockUpdate, ServiceError> {
        let changes = keys
            .into_iter()
            .map(|(id, key)| {
                let change = match renew {
                    Some(m) => LockChange::Renew(key, m),
                    None => LockChange::Release(key),
                };
                (id, change)
            })
            .collect();
        Ok(Self::update(self.apply(changes, rigid).await?))
    }

    /// Which deputy keys name live reservations.
    pub async fn check(&self, keys: &[(Xname, String)]) -> Result<ReservationResult, ServiceError> {
        let ids: Vec<Xname> = keys.iter().map(|(id, _)| id.clone()).collect();
        let states: HashMap<Xname, LockState> = self
            .states(&ids)
            .await?
            .into_iter()
            .map(|s| (s.id.clone(), s))
            .collect();
        let now = now_unix();
        let mut out = ReservationResult::default();
        for (id, key) in keys {
            match states.get(id) {
                Some(s) if s.deputy_ok(key, now) => out.success.push(ReservationKeys {
                    id: id.to_string(),
                    deputy_key: key.clone(),
                    reservation_key: None,
                    expiration_time: s
                        .reservation_at(now)
                        .and_then(|r| r.expires)
                        .map(unix_rfc3339),
                }),
                _ => out.failure.push(LockFailure {
                    id: id.to_string(),
                    reason: LockReason::NotFound,
                }),
            }
        }
        Ok(out)
    }

    /// Lock states of these components (those that exist).
    pub async fn states(&self, ids: &[Xname]) -> Result<Vec<LockState>, ServiceError> {
        Ok(self.store.lock_states(ids).await?)
    }

    /// Lock status of the named components; names that are not components are listed apart.
    pub async fn status(&self, ids: &[Xname]) -> Result<LockStatusList, ServiceError> {
        let states = self.states(ids).await?;
        if states.is_empty() {
            return Err(not_found());
        }
        let now = now_unix();
        let known: HashSet<&Xname> = states.iter().map(|s| &s.id).collect();
        let not_found = ids
            .iter()
            .filter(|id| !known.contains(id))
            .map(|id| id.to_string())
            .collect();
        Ok(LockStatusList {
            components: states.iter().map(|s| s.status(now)).collect(),
            not_found,
        })
    }

    /// Lock status of every component matching `filter` and `which`.
    pub async fn status_filtered(
        &self,
        filter: &ComponentFilter,
        which: &StatusFilter,
    ) -> Result<LockStatusList, ServiceError> {
        let ids: Vec<Xname> = self
            .store
            .components(filter)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect();
        let now = now_unix();
        let keep = |s: &LockStatus| {
            which.locked.is_none_or(|v| s.locked == v)
                && which.reserved.is_none_or(|v| s.reserved == v)
                && which.disabled.is_none_or(|v| s.reservation_disabled == v)
        };
        let components: Vec<LockStatus> = self
            .states(&ids)
            .await?
            .iter()
            .map(|s| s.status(now))
            .filter(keep)
            .collect();
        if components.is_empty() {
            return Err(not_found());
        }
        Ok(LockStatusList {
            components,
            not_found: Vec::new(),
        })
    }
}
