//! The audit log: entries stored as JSON.

use super::Fields;
use crate::model::audit::AuditEntry;
use crate::store::StoreError;

/// An audit entry as stored.
pub(crate) fn audit_json(entry: &AuditEntry) -> Result<String, StoreError> {
    serde_json::to_string(entry).map_err(|e| StoreError::Corrupt(format!("audit: {e}")))
}

/// An audit entry from an `id, body` row: its stored JSON with the row's id.
pub(crate) fn audit_from(row: &impl Fields) -> Result<AuditEntry, StoreError> {
    let id = row.int("id")?;
    let body = row.text("body")?;
    let mut e: AuditEntry = serde_json::from_str(&body)
        .map_err(|e| StoreError::Corrupt(format!("audit entry {id}: {e}")))?;
    e.id = id;
    Ok(e)
}
