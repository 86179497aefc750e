//! Power-cap tasks: their columns and the reading of a row.

use super::Fields;
use crate::model::power_cap::{CapCounts, CapKind, CapOp, CapRecord, CapTaskStatus};
use crate::store::StoreError;

/// Head columns (every read).
pub(crate) const HEADS: &str = "id, kind, created, expires, status, tenant, counts";

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("power cap task {what}: {e}"))
}

/// A task's heads and counts from a row of [`HEADS`]; its ops are empty.
pub(crate) fn head_from(row: &impl Fields) -> Result<(CapRecord, CapCounts), StoreError> {
    let kind = row.text("kind")?;
    let status = row.text("status")?;
    let counts: CapCounts =
        serde_json::from_str(&row.text("counts")?).map_err(|e| corrupt("counts", e))?;
    Ok((
        CapRecord {
            id: row.text("id")?,
            kind: CapKind::parse(&kind).ok_or_else(|| corrupt("kind", kind))?,
            created: row.text("created")?,
            expires: row.text("expires")?,
            status: CapTaskStatus::parse(&status).ok_or_else(|| corrupt("status", status))?,
            tenant: row.opt_text("tenant")?,
            ops: Vec::new(),
        },
        counts,
    ))
}

/// The operations column.
pub(crate) fn ops_from(text: &str) -> Result<Vec<CapOp>, StoreError> {
    serde_json::from_str(text).map_err(|e| corrupt("operations", e))
}
