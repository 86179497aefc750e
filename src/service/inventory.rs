//! Inventory: SMD's component rules (defaults, state transitions, node-only fields) over the store.

use std::sync::Arc;

use super::events::{Event, EventBus};
use super::maps::apply_defaults;
use super::scn::Scn;
use super::scope::Scope;
use super::ServiceError;
use crate::model::component::{Component, ComponentChange, FieldSelect};
use crate::model::filter::ComponentFilter;
use crate::model::scn::ScnPayload;
use crate::model::xname::{HmsType, Xname};
use crate::store::{name_list, Store};

/// Component inventory operations.
#[derive(Clone)]
pub struct Inventory {
    store: Arc<dyn Store>,
    bus: EventBus,
    scn: Scn,
}

impl Inventory {
    /// Inventory over a store, publishing changes on `bus` and notifying `scn`'s
    /// subscribers.
    pub fn new(store: Arc<dyn Store>, bus: EventBus, scn: Scn) -> Inventory {
        Inventory { store, bus, scn }
    }

    /// Components matching `filter`, reduced to the selected fields.
    pub async fn list(
        &self,
        filter: &ComponentFilter,
        fields: FieldSelect,
    ) -> Result<Vec<Component>, ServiceError> {
        let found = self.store.components(filter).await?;
        Ok(select(found, fields))
    }

    /// SMD's hierarchy query, matching `filter`: with a `type` condition, the components at or
    /// below any of `roots`; without, the roots themselves. `s0` or `all` is the whole system.
    pub async fn list_below(
        &self,
        roots: &[String],
        filter: &ComponentFilter,
        fields: FieldSelect,
    ) -> Result<Vec<Component>, ServiceError> {
        let whole = roots
            .iter()
            .any(|r| r.eq_ignore_ascii_case("s0") || r.eq_ignore_ascii_case("all"));
        let roots = if whole {
            Vec::new()
        } else {
            roots
                .iter()
                .map(|r| Xname::parse(r))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| ServiceError::BadRequest(e.to_string()))?
        };
        if !roots.is_empty() && filter.kinds.is_empty() {
            let mut ids = roots;
            if !filter.ids.is_empty() {
                // Both lists narrow: the roots the filter's own ids also name.
                ids.retain(|r| filter.ids.contains(r));
                if ids.is_empty() {
                    return Ok(Vec::new());
                }
            }
            let exact = ComponentFilter {
                ids,
                ..filter.clone()
            };
            return self.list(&exact, fields).await;
        }
        let mut found = self.store.components(filter).await?;
        if !roots.is_empty() {
            found.retain(|c| roots.iter().any(|r| is_at_or_below(&c.id, r)));
        }
        Ok(select(found, fields))
    }

    /// One component by xname.
    pub async fn get(&self, id: &Xname) -> Result<Component, ServiceError> {
        self.store
            .component(id)
            .await?
            .ok_or_else(|| no_such_xname(id))
    }

    /// One component by NID, as `scope` sees it: a foreign node's NID is unknown.
    pub async fn get_by_nid(&self, nid: i64, scope: &Scope) -> Result<Component, ServiceError> {
        let found = self.store.component_by_nid(nid).await?;
        scope
            .visible(found, |c| c.id.as_str())
            .ok_or_else(|| ServiceError::NotFound(format!("no such NID: {nid}")))
    }

    /// Creates components (a node without NID, Role or SubRole gets its node map's, else Role
    /// Compute and a location-derived NID);
    /// existing ones change only with `force`. Returns the xnames created or changed.
    pub async fn upsert(
        &self,
        mut components: Vec<Component>,
        force: bool,
    ) -> Result<Vec<Xname>, ServiceError> {
        let mut seen = std::collections::HashSet::with_capacity(components.len());
        for c in &components {
            if !seen.insert(c.id.clone()) {
                return Err(ServiceError::BadRequest(format!(
                    "component '{}' appears more than once in the request",
                    c.id
                )));
            }
        }
        apply_defaults(self.store.as_ref(), &mut components).await?;
        let changed = self.store.upsert_components(&components, force).await?;
        if !changed.is_empty() {
            self.scn
                .notify_all(ScnPayload::of_states(&components, &changed));
            self.bus.publish(Event::ComponentsChanged {
                ids: changed.clone(),
            });
        }
        Ok(changed)
    }

    /// Applies one PATCH to every listed component, all or nothing. A state change must
    /// follow SMD's transition table unless `force`.
    pub async fn update(
        &self,
        ids: &[Xname],
        change: ComponentChange,
        force: bool,
    ) -> Result<Vec<Xname>, ServiceError> {
        if ids.is_empty() {
            return Err(ServiceError::BadRequest(
                "missing ComponentIDs: name at least one component".into(),
            ));
        }
        let mut required = None;
        match &change {
            ComponentChange::State { state, .. } if !force => {
                let from = state.valid_start_states();
                if from.is_empty() {
                    return Err(ServiceError::BadRequest(format!(
                        "state {state} can only be set with Force: true"
                    )));
                }
                required = Some(from);
            }
            ComponentChange::Role { .. } => {}
            ComponentChange::Nid(nid) => {
                nodes_only(ids, "NID")?;
                if *nid < 0 {
                    return Err(ServiceError::BadRequest(format!("NID {nid} is negative")));
                }
            }
            _ => {}
        }
        let changed = self.store.update_components(ids, &change, required).await?;
        if let Some(p) = ScnPayload::of_change(&changed, &change) {
            self.scn.notify(p);
        }
        if !changed.is_empty() {
            let ids = changed.clone();
            self.bus.publish(if change.is_status() {
                Event::ComponentStatesChanged { ids }
            } else {
                Event::ComponentsChanged { ids }
            });
        }
        Ok(changed)
    }

    /// Sets each listed node's NID, all or nothing (BulkNID).
    pub async fn set_nids(&self, nids: Vec<(Xname, i64)>) -> Result<(), ServiceError> {
        if nids.is_empty() {
            return Err(ServiceError::BadRequest(
                "missing Components: name at least one component".into(),
            ));
        }
        let ids: Vec<Xname> = nids.iter().map(|(id, _)| id.clone()).collect();
        nodes_only(&ids, "NID")?;
        if let Some((id, nid)) = nids.iter().find(|(_, n)| *n < 0) {
            return Err(ServiceError::BadRequest(format!(
                "NID {nid} for '{id}' is negative"
            )));
        }
        self.store.set_nids(&nids).await?;
        self.bus.publish(Event::ComponentsChanged { ids });
        Ok(())
    }

    /// Deletes one component.
    pub async fn delete(&self, id: &Xname) -> Result<(), ServiceError> {
        if !self.store.delete_component(id).await? {
            return Err(ServiceError::NotFound(format!("no such xname: {id}")));
        }
        self.bus.publish(Event::ComponentsDeleted {
            ids: vec![id.clone()],
            all: false,
        });
        Ok(())
    }

    /// Deletes every component; NotFound when there were none (as SMD answers).
    pub async fn delete_all(&self) -> Result<u64, ServiceError> {
        let n = self.store.delete_all_components().await?;
        if n == 0 {
            return Err(ServiceError::NotFound("no entries to delete".into()));
        }
        self.bus.publish(Event::ComponentsDeleted {
            ids: Vec::new(),
            all: true,
        });
        Ok(n)
    }
}

/// The answer for an xname that is not in inventory (or, for a tenant, not the tenant's).
pub fn no_such_xname(id: impl std::fmt::Display) -> ServiceError {
    ServiceError::NotFound(format!("no such xname: {id}"))
}

fn select(found: Vec<Component>, fields: FieldSelect) -> Vec<Component> {
    if fields == FieldSelect::All {
        return found;
    }
    found.into_iter().map(|c| c.select(fields)).collect()
}

/// Refuses node-only fields on other component types, naming the offenders.
fn nodes_only(ids: &[Xname], field: &str) -> Result<(), ServiceError> {
    let others: Vec<Xname> = ids
        .iter()
        .filter(|id| !matches!(id.kind(), HmsType::Node | HmsType::VirtualNode))
        .cloned()
        .collect();
    if others.is_empty() {
        Ok(())
    } else {
        Err(ServiceError::BadRequest(format!(
            "{field} applies to nodes only, not to {}",
            name_list(&others)
        )))
    }
}

/// Whether `id` is `root` or inside it (`x1c0s1` holds `x1c0s1b0n0` but not `x1c0s10`).
pub(crate) fn is_at_or_below(id: &Xname, root: &Xname) -> bool {
    let (id, root) = (id.as_str(), root.as_str());
    id == root
        || (id.starts_with(root)
            && id[root.len()..]
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x(s: &str) -> Xname {
        Xname::parse(s).expect("valid xname")
    }

    async fn inventory() -> (Inventory, EventBus, tempfile::TempDir) {
        let dir = tempfile::tempdir().expect("tmp");
        let store = crate::store::SqliteStore::open(&dir.path().join("t.db"))
            .await
            .expect("store");
        let bus = EventBus::default();
        let store: Arc<dyn Store> = Arc::new(store);
        let scn = Scn::new(store.clone());
        (Inventory::new(store, bus.clone(), scn), bus, dir)
    }

    /// Every change is published with exactly the components it touched; no-ops publish nothing.
    #[tokio::test]
    async fn changes_are_published_on_the_bus() {
        let (inv, bus, _dir) = inventory().await;
        let mut rx = bus.subscribe();
        let nodes = vec![
            Component::new(x("x1c0s0b0n0"), crate::model::enums::State::Off),
            Component::new(x("x1c0s0b0n1"), crate::model::enums::State::Ready),
        ];
        inv.upsert(nodes.clone(), false).await.expect("create");
        let ids = vec![x("x1c0s0b0n0"), x("x1c0s0b0n1")];
        assert_eq!(
            rx.recv().await.expect("event").event,
            Event::ComponentsChanged { ids: ids.clone() }
        );
        inv.upsert(nodes, false).await.expect("again");
        let off = ComponentChange::State {
            state: crate::model::enums::State::Off,
            flag: crate::model::enums::Flag::Ok,
        };
        inv.update(&ids, off, false).await.expect("power off");
        // The repeated create changed nothing; of the two nodes only the Ready one turned Off.
        assert_eq!(
            rx.recv().await.expect("event").event,
            Event::ComponentStatesChanged {
                ids: vec![ids[1].clone()]
            }
        );
        inv.delete(&ids[0]).await.expect("delete");
        assert_eq!(
            rx.recv().await.expect("event").event,
            Event::ComponentsDeleted {
                ids: vec![ids[0].clone()],
                all: false
            }
        );
        assert!(rx.try_recv().is_err(), "nothing else was published");
    }

    #[test]
    fn hierarchy_prefix_respects_number_boundaries() {
        assert!(is_at_or_below(&x("x1c0s1b0n0"), &x("x1c0s1")));
        assert!(is_at_or_below(&x("x1c0s1"), &x("x1c0s1")));
        assert!(!is_at_or_below(&x("x1c0s10b0n0"), &x("x1c0s1")));
        assert!(!is_at_or_below(&x("x1c0s1"), &x("x1c0s1b0n0")));
    }

    #[test]
    fn node_only_fields_name_the_offenders() {
        let err = nodes_only(&[x("x1c0s0b0n0"), x("x1c0s0b0")], "NID").unwrap_err();
        assert_eq!(
            err.to_string(),
            "NID applies to nodes only, not to x1c0s0b0"
        );
        assert!(nodes_only(&[x("x1c0s0b0n0")], "NID").is_ok());
    }
}
