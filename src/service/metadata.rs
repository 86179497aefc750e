//! Cloud-init data (metadata-service): the admin's cluster defaults, groups and instance info,
//! and what a node is served. A node is known by the address it asks from, matched against
//! inventory's Ethernet interfaces; `X-Forwarded-For` counts only from a trusted proxy.

use std::net::IpAddr;
use std::sync::{Arc, RwLock};

use super::ServiceError;
use crate::model::filter::ComponentFilter;
use crate::model::metadata::{
    asking_ip, meta_data, vendor_data, Cidr, ClusterDefaults, InstanceInfo, MetaGroup, NodeFacts,
};
use crate::model::xname::Xname;
use crate::store::Store;

const DEFAULTS: &str = "defaults";
const GROUP: &str = "group";
const INSTANCE: &str = "instance";

/// Cloud-init operations.
#[derive(Clone)]
pub struct Metadata {
    store: Arc<dyn Store>,
    trusted: Arc<RwLock<Vec<Cidr>>>,
}

fn corrupt(what: &str, e: serde_json::Error) -> ServiceError {
    ServiceError::Internal(format!("stored cloud-init {what} does not read: {e}"))
}

fn no_group(name: &str) -> ServiceError {
    ServiceError::NotFound(format!("no cloud-init group '{name}'"))
}

impl Metadata {
    /// Cloud-init data over a store, trusting no proxy.
    pub fn new(store: Arc<dyn Store>) -> Metadata {
        Metadata {
            store,
            trusted: Arc::default(),
        }
    }

    /// Sets the proxies whose `X-Forwarded-For` names the asking node.
    pub fn trust_proxies(&self, proxies: Vec<Cidr>) {
        *self.trusted.write().unwrap_or_else(|p| p.into_inner()) = proxies;
    }

    /// The node asking from `peer` (through a trusted proxy's `forwarded`, if any); 404 naming
    /// the address when no interface has it.
    pub async fn who(&self, peer: IpAddr, forwarded: Option<&str>) -> Result<Xname, ServiceError> {
        let trusted = self
            .trusted
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let ip = asking_ip(peer, forwarded, &trusted).map_err(|e| ServiceError::BadRequest(e.0))?;
        let filter = crate::model::ethernet::InterfaceFilter {
            ips: vec![ip.to_string()],
            ..Default::default()
        };
        let ifaces = self.store.interfaces(&filter).await?;
        ifaces
            .iter()
            .find_map(|i| Xname::parse(&i.component_id).ok())
            .ok_or_else(|| ServiceError::NotFound(format!("no node has address {ip}")))
    }

    /// What inventory says of `id`: 404 when it is not a component.
    async fn facts(&self, id: &Xname) -> Result<NodeFacts, ServiceError> {
        let c = self
            .store
            .component(id)
            .await?
            .ok_or_else(|| ServiceError::NotFound(format!("node {id} not found")))?;
        let filter = crate::model::ethernet::InterfaceFilter {
            component_ids: vec![id.to_string()],
            ..Default::default()
        };
        let iface = self.store.interfaces(&filter).await?.into_iter().next();
        let groups = self
            .store
            .memberships(&ComponentFilter {
                ids: vec![id.clone()],
                ..Default::default()
            })
            .await?
            .into_iter()
            .next()
            .map(|m| m.group_labels)
            .unwrap_or_default();
        Ok(NodeFacts {
            id: id.to_string(),
            nid: c.nid,
            role: c.role.map(|r| r.to_string()).unwrap_or_default(),
            sub_role: c.subrole.map(|r| r.to_string()).unwrap_or_default(),
            ip: iface
                .as_ref()
                .and_then(|i| i.ip_addresses.first())
                .map(|m| m.ip_address.clone())
                .unwrap_or_default(),
            mac: iface.map(|i| i.mac_address).unwrap_or_default(),
            groups,
        })
    }

    /// `id`'s meta-data, as YAML.
    pub async fn meta_data(&self, id: &Xname) -> Result<String, ServiceError> {
        let node = self.facts(id).await?;
        let mut groups = Vec::new();
        for g in &node.groups {
            groups.push((g.clone(), self.group_opt(g).await?));
        }
        let v = meta_data(
            &node,
            &groups,
            &self.defaults().await?,
            &self.instance(id).await?,
        );
        serde_yaml::to_string(&v).map_err(|e| ServiceError::Internal(e.to_string()))
    }

    /// `id`'s vendor-data: an include of its groups' files, under the node's or the cluster's
    /// base URL, else `fallback` (where the request came in).
    pub async fn vendor_data(&self, id: &Xname, fallback: &str) -> Result<String, ServiceError> {
        let node = self.facts(id).await?;
        let inst = self.instance(id).await?;
        let d = self.defaults().await?;
        let base = [inst.cloud_init_base_url.as_str(), d.base_url.as_str()]
            .into_iter()
            .find(|b| !b.is_empty())
            .unwrap_or(fallback);
        Ok(vendor_data(base, &node.groups))
    }

    /// Group `group`'s file for `id`: 404 unless the node is in the group; `#cloud-config`
    /// when the group has no stored data.
    pub async fn group_file(&self, id: &Xname, group: &str) -> Result<String, ServiceError> {
        let node = self.facts(id).await?;
        if !node.groups.iter().any(|g| g == group) {
            return Err(ServiceError::NotFound(format!(
                "node {id} is not a member of group {group}"
            )));
        }
        match self.group_opt(group).await? {
            Some(g) => g.file_text().map_err(|e| ServiceError::Internal(e.0)),
            None => Ok("#cloud-config".into()),
        }
    }

    /// The cluster defaults (empty when none were set).
    pub async fn defaults(&self) -> Result<ClusterDefaults, ServiceError> {
        match self.store.metadata_doc(DEFAULTS, "").await? {
            Some(doc) => serde_json::from_str(&doc).map_err(|e| corrupt("defaults", e)),
            None => Ok(ClusterDefaults::default()),
        }
    }

    /// Replaces the cluster defaults.
    pub async fn set_defaults(&self, d: &ClusterDefaults) -> Result<(), ServiceError> {
        let doc = serde_json::to_string(d).map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.store
            .put_metadata_doc(DEFAULTS, "", &doc, false)
            .await?;
        Ok(())
    }

    async fn group_opt(&self, name: &str) -> Result<Option<MetaGroup>, ServiceError> {
        self.store
            .metadata_doc(GROUP, name)
            .await?
            .map(|doc| serde_json::from_str(&doc).map_err(|e| corrupt("group", e)))
            .transpose()
    }

    /// One group.
    pub async fn group(&self, name: &str) -> Result<MetaGroup, ServiceError> {
        self.group_opt(name).await?.ok_or_else(|| no_group(name))
    }

    /// Every group, by name.
    pub async fn groups(&self) -> Result<Vec<MetaGroup>, ServiceError> {
        self.store
            .metadata_docs(GROUP)
            .await?
            .into_iter()
            .map(|(_, doc)| serde_json::from_str(&doc).map_err(|e| corrupt("group", e)))
            .collect()
    }

    /// Writes a group: `create` refuses a name taken (409), otherwise the group must exist
    /// (404).
    pub async fn put_group(&self, g: &MetaGroup, create: bool) -> Result<(), ServiceError> {
        g.check().map_err(|e| ServiceError::BadRequest(e.0))?;
        if !create && self.group_opt(&g.name).await?.is_none() {
            return Err(no_group(&g.name));
        }
        let doc = serde_json::to_string(g).map_err(|e| ServiceError::Internal(e.to_string()))?;
        if !self
            .store
            .put_metadata_doc(GROUP, &g.name, &doc, create)
            .await?
        {
            return Err(ServiceError::Conflict(format!(
                "cloud-init group '{}' already exists",
                g.name
            )));
        }
        Ok(())
    }

    /// Deletes a group.
    pub async fn delete_group(&self, name: &str) -> Result<(), ServiceError> {
        if self.store.delete_metadata_doc(GROUP, name).await? {
            Ok(())
        } else {
            Err(no_group(name))
        }
    }

    /// A node's instance info (its ID only when none was set).
    pub async fn instance(&self, id: &Xname) -> Result<InstanceInfo, ServiceError> {
        let mut inst: InstanceInfo = match self.store.metadata_doc(INSTANCE, id.as_str()).await? {
            Some(doc) => serde_json::from_str(&doc).map_err(|e| corrupt("instance info", e))?,
            None => InstanceInfo::default(),
        };
        inst.id = id.to_string();
        Ok(inst)
    }

    /// Replaces a node's instance info; its instance ID stays once set (as upstream), and a
    /// node inventory does not know is refused.
    pub async fn set_instance(
        &self,
        id: &Xname,
        mut inst: InstanceInfo,
    ) -> Result<(), ServiceError> {
        if self.store.component(id).await?.is_none() {
            return Err(ServiceError::NotFound(format!("node {id} not found")));
        }
        let old = self.instance(id).await?;
        if !old.instance_id.is_empty() {
            inst.instance_id = old.instance_id;
        }
        inst.id = id.to_string();
        let doc =
            serde_json::to_string(&inst).map_err(|e| ServiceError::Internal(e.to_string()))?;
        self.store
            .put_metadata_doc(INSTANCE, id.as_str(), &doc, false)
            .await?;
        Ok(())
    }
}
