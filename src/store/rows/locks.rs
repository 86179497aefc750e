//! Component locks: the reading of a state and the applying of changes.

use std::collections::HashMap;

use super::Fields;
use crate::model::locks::{LockChange, LockReason, LockState, Reservation};
use crate::model::xname::Xname;
use crate::store::{LockOutcome, StoreError};

/// A lock state from a component's row joined with its lock.
pub(crate) fn lock_state_from(row: &impl Fields) -> Result<LockState, StoreError> {
    let id = row.text("id")?;
    let id = Xname::parse(&id).map_err(|_| StoreError::Corrupt(format!("lock id '{id}'")))?;
    let rk = row.opt_text("reservation_key")?;
    let dk = row.opt_text("deputy_key")?;
    let reservation = match (rk, dk) {
        (Some(reservation_key), Some(deputy_key)) => Some(Reservation {
            reservation_key,
            deputy_key,
            created: row.opt_int("created")?.unwrap_or(0),
            expires: row.opt_int("expires")?,
        }),
        _ => None,
    };
    Ok(LockState {
        id,
        locked: row.opt_boolean("locked")?.unwrap_or(false),
        disabled: row.opt_boolean("disabled")?.unwrap_or(false),
        reservation,
    })
}

/// Applies `changes` in order to the lock states in `rows` at `now`; a name without a row is
/// `NotFound`, and later changes to a component see earlier ones.
pub(crate) fn apply_locks(
    rows: &[impl Fields],
    changes: &[(Xname, LockChange)],
    now: i64,
) -> Result<Vec<LockOutcome>, StoreError> {
    let mut current = HashMap::with_capacity(rows.len());
    for row in rows {
        let state = lock_state_from(row)?;
        current.insert(state.id.clone(), state);
    }
    let mut out = Vec::with_capacity(changes.len());
    for (id, change) in changes {
        let result = match current.get(id) {
            None => Err(LockReason::NotFound),
            Some(state) => state.apply(change, now),
        };
        if let Ok(next) = &result {
            // Later changes to the same component see this one.
            current.insert(id.clone(), next.clone());
        }
        out.push((id.clone(), result));
    }
    Ok(out)
}
