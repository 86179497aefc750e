//! Component Ethernet interfaces: their columns, the reading of a row, and what a change
//! does.

use super::{kept, Fields};
use crate::model::ethernet::{ChangeError, EthInterface, InterfaceChange, InterfaceFilter};
use crate::store::StoreError;

/// Interface columns.
pub(crate) const COLUMNS: &str =
    "id, description, mac_address, ip_addresses, last_update, component_id, type";

/// An interface from a row of [`COLUMNS`].
pub(crate) fn interface_from(row: &impl Fields) -> Result<EthInterface, StoreError> {
    let ips = row.text("ip_addresses")?;
    Ok(EthInterface {
        id: row.text("id")?,
        description: row.text("description")?,
        mac_address: row.text("mac_address")?,
        ip_addresses: serde_json::from_str(&ips)
            .map_err(|e| StoreError::Corrupt(format!("ip_addresses: {e}")))?,
        last_update: row.text("last_update")?,
        component_id: row.text("component_id")?,
        kind: row.text("type")?,
    })
}

/// The interfaces in rows of [`COLUMNS`] that `filter` accepts, in row order.
pub(crate) fn interfaces_from(
    rows: &[impl Fields],
    filter: &InterfaceFilter,
) -> Result<Vec<EthInterface>, StoreError> {
    kept(rows, interface_from, |i| filter.accepts(i))
}

/// The addresses as stored: a JSON array.
pub(crate) fn ips_json(iface: &EthInterface) -> String {
    serde_json::to_string(&iface.ip_addresses).unwrap_or_else(|_| "[]".into())
}

/// How an interface write treats an interface whose ID is already stored.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Write {
    /// Insert; an existing ID is left alone (0 rows written).
    Insert,
    /// Insert, or overwrite an existing ID.
    Upsert,
    /// Overwrite an existing ID only.
    Update,
}

/// The refusal of creating an interface whose ID is taken.
pub(crate) fn interface_exists(iface: &EthInterface) -> StoreError {
    StoreError::Conflict(format!(
        "an Ethernet interface with MAC {} already exists (ID {})",
        iface.mac_address, iface.id
    ))
}

/// Interface `id`, read from `row`, after `change` stamped `now`: `NotFound` without the row,
/// otherwise as the change decides.
pub(crate) fn changed_interface(
    id: &str,
    row: Option<&impl Fields>,
    change: &InterfaceChange,
    now: &str,
) -> Result<EthInterface, StoreError> {
    let Some(row) = row else {
        return Err(StoreError::NotFound(format!(
            "no such Ethernet interface: {id}"
        )));
    };
    let mut iface = interface_from(row)?;
    change.apply(&mut iface, now).map_err(|e| match e {
        ChangeError::Invalid(m) => StoreError::Invalid(m),
        ChangeError::Conflict(m) => StoreError::Conflict(m),
        ChangeError::NotFound(m) => StoreError::NotFound(m),
    })?;
    Ok(iface)
}
