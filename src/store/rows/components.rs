//! Components: their columns, the reading of a row, and the checks of an update.

use std::collections::HashSet;

use super::{parse, stored_xname, Fields};
use crate::model::component::{Component, ComponentChange};
use crate::model::enums::State;
use crate::model::xname::Xname;
use crate::store::{name_list, StoreError};

/// Component columns, in the order they are inserted.
pub(crate) const COLUMNS: &str = "id, type, state, flag, enabled, software_status, role, subrole, \
                                  nid, subtype, net_type, arch, class, reservation_disabled, locked";

/// Components per multi-row INSERT; 15 columns each keeps well under either
/// database's bind limit.
pub(crate) const INSERT_CHUNK: usize = 1000;

/// A component from a row of [`COLUMNS`].
pub(crate) fn component_from(row: &impl Fields) -> Result<Component, StoreError> {
    let id = stored_xname(&row.text("id")?)?;
    Ok(Component {
        kind: id.kind(),
        state: parse("state", row.opt_text("state")?)?,
        flag: parse("flag", row.opt_text("flag")?)?,
        enabled: Some(row.boolean("enabled")?),
        software_status: row.opt_text("software_status")?,
        role: parse("role", row.opt_text("role")?)?,
        subrole: parse("subrole", row.opt_text("subrole")?)?,
        nid: row.opt_int("nid")?,
        subtype: row.opt_text("subtype")?,
        net_type: parse("net_type", row.opt_text("net_type")?)?,
        arch: parse("arch", row.opt_text("arch")?)?,
        class: parse("class", row.opt_text("class")?)?,
        reservation_disabled: row.boolean("reservation_disabled")?,
        locked: row.boolean("locked")?,
        id,
    })
}

/// The components in rows of [`COLUMNS`], in natural xname order.
pub(crate) fn components_from(rows: &[impl Fields]) -> Result<Vec<Component>, StoreError> {
    let mut out = rows
        .iter()
        .map(component_from)
        .collect::<Result<Vec<_>, _>>()?;
    out.sort_unstable_by(|a, b| a.id.cmp(&b.id));
    Ok(out)
}

/// The message naming xnames that are not components.
pub fn no_such_components(ids: &[Xname]) -> String {
    format!("no such component: {}", name_list(ids))
}

/// Fails with `NotFound` naming the xnames of `ids` that are not among `found`.
pub(crate) fn require_found<'a, 'f>(
    ids: impl IntoIterator<Item = &'a Xname>,
    found: impl IntoIterator<Item = &'f str>,
) -> Result<(), StoreError> {
    let found: HashSet<&str> = found.into_iter().collect();
    let missing: Vec<Xname> = ids
        .into_iter()
        .filter(|id| !found.contains(id.as_str()))
        .cloned()
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    Err(StoreError::NotFound(no_such_components(&missing)))
}

/// Checks `change` to components `ids`, given the `(id, state)` of those stored: an unknown
/// xname is `NotFound`; with `required`, one in any other state is `Conflict`, naming the
/// state of the first such in `found`.
pub(crate) fn check_update(
    ids: &[Xname],
    found: &[(String, String)],
    required: Option<&[State]>,
    change: &ComponentChange,
) -> Result<(), StoreError> {
    if found.len() != ids.len() {
        require_found(ids, found.iter().map(|(id, _)| id.as_str()))?;
    }
    let Some(allowed) = required else {
        return Ok(());
    };
    let mut refused = Vec::new();
    let mut from = None;
    for (id, current) in found {
        if !allowed.iter().any(|s| s.as_str() == current) {
            refused.push(stored_xname(id)?);
            from.get_or_insert(current.as_str());
        }
    }
    if refused.is_empty() {
        return Ok(());
    }
    refused.sort();
    let to = match change {
        ComponentChange::State { state, .. } => format!(" to {state}"),
        _ => String::new(),
    };
    Err(StoreError::Conflict(format!(
        "cannot change state of {} from {}{to} without Force",
        name_list(&refused),
        from.unwrap_or_default()
    )))
}

/// `(id, state)` from each row.
pub(crate) fn id_states(rows: &[impl Fields]) -> Result<Vec<(String, String)>, StoreError> {
    rows.iter()
        .map(|r| Ok((r.text("id")?, r.text("state")?)))
        .collect()
}
