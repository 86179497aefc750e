//! Node and power maps: their columns and the reading of a row.

use super::{parse, stored_xname, Fields};
use crate::model::maps::{NodeMap, PowerMap};
use crate::store::StoreError;

/// Node map columns.
pub(crate) const NODE_COLUMNS: &str = "id, nid, role, sub_role, node_info";

/// Power map columns.
pub(crate) const POWER_COLUMNS: &str = "id, powered_by";

/// A node map from a row of [`NODE_COLUMNS`].
pub(crate) fn node_map_from(row: &impl Fields) -> Result<NodeMap, StoreError> {
    let info = row.text("node_info")?;
    Ok(NodeMap {
        id: stored_xname(&row.text("id")?)?,
        nid: row.int("nid")?,
        role: parse("role", Some(row.text("role")?))?,
        sub_role: parse("sub_role", Some(row.text("sub_role")?))?,
        node_info: if info.is_empty() {
            None
        } else {
            Some(
                serde_json::from_str(&info)
                    .map_err(|e| StoreError::Corrupt(format!("node_info: {e}")))?,
            )
        },
    })
}

/// NodeInfo as stored: JSON text, or '' for none.
pub(crate) fn node_info_text(m: &NodeMap) -> String {
    m.node_info
        .as_ref()
        .map(|v| v.to_string())
        .unwrap_or_default()
}

/// A power map from a row of [`POWER_COLUMNS`].
pub(crate) fn power_map_from(row: &impl Fields) -> Result<PowerMap, StoreError> {
    let by: Vec<String> = serde_json::from_str(&row.text("powered_by")?)
        .map_err(|e| StoreError::Corrupt(format!("powered_by: {e}")))?;
    Ok(PowerMap {
        id: stored_xname(&row.text("id")?)?,
        powered_by: by
            .iter()
            .map(|s| stored_xname(s))
            .collect::<Result<_, _>>()?,
    })
}

/// The refusal of a NID that another node's map holds.
pub(crate) fn nid_taken(nid: i64, holder: &str) -> StoreError {
    StoreError::Conflict(format!(
        "operation would conflict with an existing xname ID that has the same NID: \
         NID {nid} is mapped to {holder}"
    ))
}
