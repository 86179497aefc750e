//! SMD's node maps (defaults for new nodes) and power maps, over the store.

use std::collections::HashMap;
use std::sync::Arc;

use super::ServiceError;
use crate::model::component::{default_nid, Component};
use crate::model::enums::Role;
use crate::model::maps::{NodeMap, NodeMapInput, PowerMap, PowerMapInput};
use crate::model::xname::Xname;
use crate::store::Store;

/// Node and power map operations.
#[derive(Clone)]
pub struct Maps {
    store: Arc<dyn Store>,
}

fn no_such(id: &Xname) -> ServiceError {
    ServiceError::NotFound(format!("no such xname: {id}"))
}

/// Validates a batch; a bad entry is named by its position, as SMD does.
fn validated<I, T>(
    inputs: &[I],
    check: impl Fn(&I) -> Result<T, crate::model::maps::MapError>,
) -> Result<Vec<T>, ServiceError> {
    inputs
        .iter()
        .enumerate()
        .map(|(i, m)| {
            check(m).map_err(|e| {
                ServiceError::BadRequest(format!("couldn't validate map data at idx {i}: {e}"))
            })
        })
        .collect()
}

/// The one map of a PUT: the URL names it, the body may repeat the name.
fn put_id(url: &Xname, body_id: &mut String) -> Result<(), ServiceError> {
    if body_id.trim().is_empty() {
        *body_id = url.to_string();
        return Ok(());
    }
    match Xname::parse(body_id.trim()) {
        Ok(id) if id == *url => Ok(()),
        _ => Err(ServiceError::BadRequest(
            "xname in URL and PUT body do not match".into(),
        )),
    }
}

/// Keeps the last map written for each ID, in first-seen order (SMD writes them in turn, so
/// the last wins).
fn last_per_id<T>(maps: Vec<T>, id: impl Fn(&T) -> &Xname) -> Vec<T> {
    let mut at: HashMap<Xname, usize> = HashMap::with_capacity(maps.len());
    let mut out: Vec<T> = Vec::with_capacity(maps.len());
    for m in maps {
        match at.get(id(&m)) {
            Some(&i) => out[i] = m,
            None => {
                at.insert(id(&m).clone(), out.len());
                out.push(m);
            }
        }
    }
    out
}

impl Maps {
    /// Maps over a store.
    pub fn new(store: Arc<dyn Store>) -> Maps {
        Maps { store }
    }

    /// Every node map, in xname order.
    pub async fn node_maps(&self) -> Result<Vec<NodeMap>, ServiceError> {
        Ok(self.store.node_maps(None).await?)
    }

    /// One node map.
    pub async fn node_map(&self, id: &Xname) -> Result<NodeMap, ServiceError> {
        let found = self.store.node_maps(Some(std::slice::from_ref(id))).await?;
        found.into_iter().next().ok_or_else(|| no_such(id))
    }

    /// Creates or replaces node maps, all or nothing; returns how many were written.
    pub async fn put_node_maps(&self, inputs: &[NodeMapInput]) -> Result<usize, ServiceError> {
        let maps = last_per_id(validated(inputs, NodeMapInput::validate)?, |m| &m.id);
        let mut nids: HashMap<i64, &Xname> = HashMap::with_capacity(maps.len());
        for m in &maps {
            if let Some(other) = nids.insert(m.nid, &m.id) {
                return Err(ServiceError::Conflict(format!(
                    "NID {} is given to both {other} and {} in the request",
                    m.nid, m.id
                )));
            }
        }
        self.store.put_node_maps(&maps).await?;
        Ok(inputs.len())
    }

    /// Creates or replaces the node map at `id`; returns it.
    pub async fn put_node_map(
        &self,
        id: &Xname,
        mut input: NodeMapInput,
    ) -> Result<NodeMap, ServiceError> {
        put_id(id, &mut input.id)?;
        let map = input.validate().map_err(|e| {
            ServiceError::BadRequest(format!("couldn't validate node map data: {e}"))
        })?;
        self.store.put_node_maps(std::slice::from_ref(&map)).await?;
        Ok(map)
    }

    /// Deletes one node map.
    pub async fn delete_node_map(&self, id: &Xname) -> Result<(), ServiceError> {
        if !self.store.delete_node_map(id).await? {
            return Err(no_such(id));
        }
        Ok(())
    }

    /// Deletes every node map; none to delete is `NotFound`, as SMD answers.
    pub async fn delete_node_maps(&self) -> Result<u64, ServiceError> {
        match self.store.delete_node_maps().await? {
            0 => Err(ServiceError::NotFound("no entries to delete".into())),
            n => Ok(n),
        }
    }

    /// Every power map, in xname order.
    pub async fn power_maps(&self) -> Result<Vec<PowerMap>, ServiceError> {
        Ok(self.store.power_maps(None).await?)
    }

    /// One power map.
    pub async fn power_map(&self, id: &Xname) -> Result<PowerMap, ServiceError> {
        let found = self
            .store
            .power_maps(Some(std::slice::from_ref(id)))
            .await?;
        found.into_iter().next().ok_or_else(|| no_such(id))
    }

    /// Creates or replaces power maps, all or nothing; returns how many were written.
    pub async fn put_power_maps(&self, inputs: &[PowerMapInput]) -> Result<usize, ServiceError> {
        let maps = last_per_id(validated(inputs, PowerMapInput::validate)?, |m| &m.id);
        self.store.put_power_maps(&maps).await?;
        Ok(inputs.len())
    }

    /// Creates or replaces the power map at `id`; returns it.
    pub async fn put_power_map(
        &self,
        id: &Xname,
        mut input: PowerMapInput,
    ) -> Result<PowerMap, ServiceError> {
        put_id(id, &mut input.id)?;
        let map = input.validate().map_err(|e| {
            ServiceError::BadRequest(format!("couldn't validate PowerMap data: {e}"))
        })?;
        self.store
            .put_power_maps(std::slice::from_ref(&map))
            .await?;
        Ok(map)
    }

    /// Deletes one power map.
    pub async fn delete_power_map(&self, id: &Xname) -> Result<(), ServiceError> {
        if !self.store.delete_power_map(id).await? {
            return Err(no_such(id));
        }
        Ok(())
    }

    /// Deletes every power map; none to delete is `NotFound`, as SMD answers.
    pub async fn delete_power_maps(&self) -> Result<u64, ServiceError> {
        match self.store.delete_power_maps().await? {
            0 => Err(ServiceError::NotFound("no entries to delete".into())),
            n => Ok(n),
        }
    }
}

/// SMD's defaults for new nodes: a field the write leaves empty comes from the node's map
/// (NID, Role, SubRole), else Role is Compute and the NID follows from the location.
pub async fn apply_defaults(
    store: &dyn Store,
    components: &mut [Component],
) -> Result<(), ServiceError> {
    let wanting: Vec<Xname> = components
        .iter()
        .filter(|c| c.is_node() && (c.nid.is_none() || c.role.is_none() || c.subrole.is_none()))
        .map(|c| c.id.clone())
        .collect();
    let maps: HashMap<Xname, NodeMap> = if wanting.is_empty() {
        HashMap::new()
    } else {
        store
            .node_maps(Some(&wanting))
            .await?
            .into_iter()
            .map(|m| (m.id.clone(), m))
            .collect()
    };
    for c in components.iter_mut().filter(|c| c.is_node()) {
        let map = maps.get(&c.id);
        if c.nid.is_none() {
            c.nid = map.map(|m| m.nid).or_else(|| default_nid(&c.id));
        }
        if c.role.is_none() {
            c.role = Some(map.and_then(|m| m.role).unwrap_or(Role::Compute));
        }
        if c.subrole.is_none() {
            c.subrole = map.and_then(|m| m.sub_role);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_last_map_per_id_wins_in_first_seen_order() {
        let x = |s: &str| Xname::parse(s).unwrap();
        let maps = vec![
            (x("x0c0s0b0n0"), 1),
            (x("x0c0s0b0n1"), 2),
            (x("x0c0s0b0n0"), 3),
        ];
        let kept = last_per_id(maps, |m| &m.0);
        assert_eq!(kept, vec![(x("x0c0s0b0n0"), 3), (x("x0c0s0b0n1"), 2)]);
    }

    #[test]
    fn a_put_body_may_omit_or_repeat_the_url_name_but_not_contradict_it() {
        let url = Xname::parse("x0c0s0b0n0").unwrap();
        let mut id = String::new();
        put_id(&url, &mut id).unwrap();
        assert_eq!(id, "x0c0s0b0n0");
        put_id(&url, &mut "X0C0S0B0N0".to_string()).unwrap();
        let err = put_id(&url, &mut "x0c0s0b0n1".to_string()).unwrap_err();
        assert_eq!(err.to_string(), "xname in URL and PUT body do not match");
    }
}
