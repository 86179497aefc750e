//! Redfish endpoints and what they describe: documents, the checks of a write, and the
//! reading of listed rows.

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::{kept, Fields};
use crate::model::discovery::{ComponentEndpoint, Hardware, ServiceEndpoint};
use crate::model::ethernet::EthInterface;
use crate::model::redfish::{EndpointFilter, RedfishEndpoint};
use crate::model::xname::Xname;
use crate::store::{ComponentEndpointFilter, PasswordWrite, StoreError};

/// A value as a stored document.
pub(crate) fn doc<T: Serialize>(v: &T) -> Result<String, StoreError> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(format!("cannot encode: {e}")))
}

/// The `doc` column read back as its type.
pub(crate) fn doc_from<T: DeserializeOwned, R: Fields>(row: &R) -> Result<T, StoreError> {
    let text = row.text("doc")?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("stored document: {e}")))
}

/// Refuses a new endpoint when `found` (`id, fqdn`) holds its ID or FQDN, naming which.
pub(crate) fn check_new_endpoint(
    ep: &RedfishEndpoint,
    found: Option<&impl Fields>,
) -> Result<(), StoreError> {
    let Some(row) = found else {
        return Ok(());
    };
    let id = row.text(0)?;
    let fqdn = row.text(1)?;
    let what = if id == ep.id.as_str() {
        format!("ID {id}")
    } else {
        format!("FQDN {fqdn} (endpoint {id})")
    };
    Err(StoreError::Conflict(format!(
        "a Redfish endpoint with the same {what} already exists"
    )))
}

/// Refuses an endpoint's FQDN when `other` (an `id`) is another endpoint holding it.
pub(crate) fn check_fqdn(
    ep: &RedfishEndpoint,
    other: Option<&impl Fields>,
) -> Result<(), StoreError> {
    let Some(row) = other else {
        return Ok(());
    };
    let id = row.text(0)?;
    Err(StoreError::Conflict(format!(
        "FQDN {} already belongs to Redfish endpoint {id}",
        ep.fqdn
    )))
}

/// The sealed password a write stores, `None` to keep what is stored.
pub(crate) fn password_of(w: &PasswordWrite) -> Option<&str> {
    match w {
        PasswordWrite::Keep => None,
        PasswordWrite::Set(p) => Some(p.as_str()),
    }
}

/// The refusal of a described interface whose MAC is taken.
pub(crate) fn mac_exists(iface: &EthInterface) -> StoreError {
    StoreError::Conflict(format!(
        "an Ethernet interface with MAC {} already exists; PUT the endpoint to overwrite it",
        iface.mac_address
    ))
}

/// An endpoint's sealed password from an `id, password` row.
pub(crate) fn password_from(row: &impl Fields) -> Result<(Xname, String), StoreError> {
    let id = row.text(0)?;
    let id = Xname::parse(&id).map_err(|_| StoreError::Corrupt(format!("endpoint id '{id}'")))?;
    Ok((id, row.text(1)?))
}

/// The endpoints of `doc` rows that `filter` accepts, in xname order.
pub(crate) fn endpoints_from(
    rows: &[impl Fields],
    filter: &EndpointFilter,
) -> Result<Vec<RedfishEndpoint>, StoreError> {
    let mut out = kept(rows, doc_from, |ep: &RedfishEndpoint| filter.accepts(ep))?;
    out.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// The component endpoints of `doc` rows of the kinds and Redfish types `filter` asks for, in
/// xname order.
pub(crate) fn component_endpoints_from(
    rows: &[impl Fields],
    filter: &ComponentEndpointFilter,
) -> Result<Vec<ComponentEndpoint>, StoreError> {
    let any = |l: &[String], v: &str| l.is_empty() || l.iter().any(|x| x == v);
    let mut out = kept(rows, doc_from, |ce: &ComponentEndpoint| {
        any(&filter.kinds, &ce.kind) && any(&filter.redfish_types, &ce.redfish_type)
    })?;
    out.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// The service endpoints of `doc` rows, by endpoint and Redfish type.
pub(crate) fn service_endpoints_from(
    rows: &[impl Fields],
) -> Result<Vec<ServiceEndpoint>, StoreError> {
    let mut out = rows
        .iter()
        .map(doc_from)
        .collect::<Result<Vec<ServiceEndpoint>, _>>()?;
    out.sort_unstable_by(|a, b| {
        (&a.endpoint_id, &a.redfish_type).cmp(&(&b.endpoint_id, &b.redfish_type))
    });
    Ok(out)
}

/// The hardware of `doc` rows, in xname order.
pub(crate) fn hardware_from(rows: &[impl Fields]) -> Result<Vec<Hardware>, StoreError> {
    let mut out = rows
        .iter()
        .map(doc_from)
        .collect::<Result<Vec<Hardware>, _>>()?;
    out.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}
