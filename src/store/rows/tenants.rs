//! Tenants: stored as JSON, written with compare-and-set on their version.

use super::Fields;
use crate::model::tenant::{clash, Tenant};
use crate::store::StoreError;

/// A tenant as stored.
pub(crate) fn tenant_json(t: &Tenant) -> Result<String, StoreError> {
    serde_json::to_string(t).map_err(|e| StoreError::Corrupt(format!("tenant: {e}")))
}

/// A tenant from its `body` column.
pub(crate) fn tenant_from(row: &impl Fields) -> Result<Tenant, StoreError> {
    let body = row.text("body")?;
    serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("tenant: {e}")))
}

/// Refuses a tenant write whose expected version is not the stored one (`have`).
pub(crate) fn check_tenant_version(
    name: &str,
    have: Option<i64>,
    expected: Option<u64>,
) -> Result<(), StoreError> {
    let have = have.map(|v| v as u64);
    if have == expected {
        return Ok(());
    }
    let text = |v: Option<u64>| v.map_or("none".into(), |v| v.to_string());
    Err(StoreError::Stale(format!(
        "tenant {name} is at version {} (expected {}); read it again",
        text(have),
        text(expected),
    )))
}

/// Refuses (`Conflict`) a tenant whose resources clash with the other stored tenants' (`rows`
/// of their bodies), read in the same transaction as the write.
pub(crate) fn check_claims(t: &Tenant, rows: &[impl Fields]) -> Result<(), StoreError> {
    let others = rows
        .iter()
        .map(tenant_from)
        .collect::<Result<Vec<_>, _>>()?;
    match clash(&t.spec, &others) {
        Some(why) => Err(StoreError::Conflict(why)),
        None => Ok(()),
    }
}
