//! Boot parameters (BSS): versioned writes with optimistic concurrency, history and undo, and
//! iPXE boot scripts served from an in-memory index.

pub mod index;
pub mod script;

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use serde_json::{json, Value};

use super::events::{Event, EventBus};
use super::scope::Scope;
use super::ServiceError;
use crate::model::boot::{etag, BootData, BootEntry, BootName, BootOp, BootParams, BootVersion};
use crate::model::ethernet::{normalize_mac, now_rfc3339, InterfaceFilter};
use crate::model::filter::{ComponentFilter, Match};
use crate::model::xname::HmsType;
use crate::store::{BootChange, Store, StoreError};

use index::BootIndex;
use script::{Outcome, Request, ScriptConfig};

/// How often a write without `If-Match` retries when another write overtook it.
const WRITE_ATTEMPTS: usize = 5;

/// Which entries a GET asks for.
#[derive(Debug, Clone, Default)]
pub struct BootQuery {
    /// `name=` values.
    pub names: Vec<String>,
    /// `mac=` values.
    pub macs: Vec<String>,
    /// `nid=` values.
    pub nids: Vec<i64>,
}

impl BootQuery {
    /// True when nothing is asked for (list everything).
    pub fn is_empty(&self) -> bool {
        self.names.is_empty() && self.macs.is_empty() && self.nids.is_empty()
    }
}

/// The result of a write.
#[derive(Debug, Clone)]
pub struct Written {
    /// Entries as written (none for a delete).
    pub entries: Vec<BootEntry>,
    /// The ETag of the addressed entries after the write.
    pub etag: String,
    /// The referral token handed out, when a new one was made.
    pub token: Option<String>,
}

/// Boot parameters over a store, publishing changes on the bus.
#[derive(Clone)]
pub struct Boot {
    store: Arc<dyn Store>,
    bus: EventBus,
    index: Arc<BootIndex>,
    config: Arc<OnceLock<ScriptConfig>>,
}

static NO_CONFIG: ScriptConfig = ScriptConfig {
    chain_base: None,
    cloud_init: None,
};

impl Boot {
    /// Boot parameters over `store`; call [`Boot::start`] before serving scripts.
    pub fn new(store: Arc<dyn Store>, bus: EventBus) -> Boot {
        Boot {
            store,
            bus,
            index: Arc::new(BootIndex::default()),
            config: Arc::new(OnceLock::new()),
        }
    }

    /// Loads the boot index and keeps it current from the bus.
    pub async fn start(&self, config: ScriptConfig) -> Result<(), ServiceError> {
        let _ = self.config.set(config);
        self.index.start(self.store.clone(), &self.bus).await?;
        Ok(())
    }

    fn config(&self) -> &ScriptConfig {
        self.config.get().unwrap_or(&NO_CONFIG)
    }

    /// Answers one bootscript request from the index, once it has seen every earlier change.
    pub async fn bootscript<T>(&self, req: &Request<'_>, answer: impl FnOnce(Outcome) -> T) -> T {
        self.index.caught_up(self.bus.last_seq()).await;
        let snap = self.index.snapshot();
        let outcome = script::render(&snap, self.config(), req);
        if let Outcome::Script {
            booted: Some(name), ..
        } = &outcome
        {
            if req.record {
                self.index.record_boot(name, now_epoch());
            }
        }
        answer(outcome)
    }

    /// The entry a node boots from (its own, a group's, its role's or `Default`), from the
    /// index as the next boot would see it; `NotFound` when inventory has no such node or
    /// nothing applies.
    pub async fn effective(&self, name: &str, scope: &Scope) -> Result<BootEntry, ServiceError> {
        let id = crate::model::xname::Xname::parse(name)
            .map_err(|e| ServiceError::BadRequest(e.to_string()))?;
        let absent = || ServiceError::NotFound(format!("no node {id} in inventory"));
        scope.hide(id.as_str(), absent)?;
        self.index.caught_up(self.bus.last_seq()).await;
        let snap = self.index.snapshot();
        let node = snap.by_name(&id).ok_or_else(absent)?;
        snap.effective(node).map(|e| (**e).clone()).ok_or_else(|| {
            ServiceError::NotFound(format!(
                "{id} has no boot parameters: none of its own, its groups', its role's, or Default"
            ))
        })
    }

    /// Last bootscript fetch per node, as BSS's endpoint history (`name`, `endpoint` filter).
    pub fn endpoint_history(&self, name: Option<&str>, endpoint: Option<&str>) -> Vec<Value> {
        if endpoint.is_some_and(|e| !e.eq_ignore_ascii_case("bootscript")) {
            return Vec::new();
        }
        self.index
            .boots()
            .into_iter()
            .filter(|(n, _)| name.is_none_or(|want| want == n))
            .map(|(n, t)| json!({"name": n, "endpoint": "bootscript", "last_epoch": t}))
            .collect()
    }

    /// Entries a GET asks for: all when the query is empty; else by name, by the node owning
    /// a MAC, or by NID. Nothing found is `NotFound`, as BSS answers.
    /// For a tenant (`scope`) only its nodes' entries exist: others are not found.
    pub async fn list(&self, q: &BootQuery, scope: &Scope) -> Result<Vec<BootEntry>, ServiceError> {
        if q.is_empty() {
            let mut all = self.store.boot_entries(None).await?;
            scope.retain(&mut all, |e| &e.name);
            return Ok(all);
        }
        let mut keys = Vec::new();
        for n in &q.names {
            keys.push(BootName::parse(n).map_err(ServiceError::BadRequest)?.key());
        }
        for m in &q.macs {
            if let Ok(x) = self.node_of_mac(m, scope).await {
                keys.push(x);
            }
        }
        for n in &q.nids {
            if let Ok(x) = self.node_of_nid(*n, scope).await {
                keys.push(x);
            }
        }
        keys.retain(|k| scope.allows(k));
        keys.sort();
        keys.dedup();
        let found = self.store.boot_entries(Some(&keys)).await?;
        if found.is_empty() {
            let asked: Vec<&str> = [
                (!q.names.is_empty()).then_some("Hosts"),
                (!q.macs.is_empty()).then_some("MACs"),
                (!q.nids.is_empty()).then_some("NIDs"),
            ]
            .into_iter()
            .flatten()
            .collect();
            let list = match asked.split_last() {
                Some((last, [])) => last.to_string(),
                Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
                None => String::new(),
            };
            return Err(ServiceError::NotFound(format!(
                "Cannot find boot parameters for requested {list}"
            )));
        }
        Ok(found)
    }

    /// The ETag of these entries as they are now.
    pub fn etag_of(names: &[String], entries: &[BootEntry]) -> String {
        let versions: HashMap<&str, u64> = entries
            .iter()
            .map(|e| (e.name.as_str(), e.version))
            .collect();
        let pairs: Vec<(&str, u64)> = names
            .iter()
            .map(|n| (n.as_str(), versions.get(n.as_str()).copied().unwrap_or(0)))
            .collect();
        etag(&pairs)
    }

    /// POST: creates entries that must not exist yet. One that exists is BSS's 400 "Already
    /// exists", or, when the writer asked for creation only (`If-None-Match: *`), a failed
    /// precondition.
    pub async fn create(
        &self,
        body: &BootParams,
        if_match: Option<&str>,
        create_only: bool,
        by: &str,
        scope: &Scope,
    ) -> Result<Written, ServiceError> {
        let targets = self.targets(body, scope).await?;
        let data = BootData::of(body);
        data.validate().map_err(ServiceError::BadRequest)?;
        let token = uuid::Uuid::new_v4().to_string();
        let mut w = self
            .write(&targets, if_match, by, |name, current| match current {
                Some(_) => {
                    let why = format!(
                        "Already exists: {name} (PUT replaces its boot parameters, PATCH changes them)"
                    );
                    Err(if create_only {
                        ServiceError::Precondition(why)
                    } else {
                        ServiceError::BadRequest(why)
                    })
                }
                None => Ok(Some(Some((data.clone(), token.clone())))),
            }, BootOp::Create)
            .await?;
        w.token = Some(token);
        Ok(w)
    }

    /// PUT: sets entries whole, creating those that do not exist.
    pub async fn replace(
        &self,
        body: &BootParams,
        if_match: Option<&str>,
        by: &str,
        scope: &Scope,
    ) -> Result<Written, ServiceError> {
        let targets = self.targets(body, scope).await?;
        let data = BootData::of(body);
        data.validate().map_err(ServiceError::BadRequest)?;
        let token = uuid::Uuid::new_v4().to_string();
        let mut w = self
            .write(
                &targets,
                if_match,
                by,
                |_, _| Ok(Some(Some((data.clone(), token.clone())))),
                BootOp::Replace,
            )
            .await?;
        w.token = Some(token);
        Ok(w)
    }

    /// PATCH: changes existing entries as BSS merges them; the referral token is kept.
    pub async fn update(
        &self,
        body: &BootParams,
        if_match: Option<&str>,
        by: &str,
        scope: &Scope,
    ) -> Result<Written, ServiceError> {
        let targets = self.targets(body, scope).await?;
        self.write(
            &targets,
            if_match,
            by,
            |name, current| {
                let current = current.ok_or_else(|| missing(name))?;
                let data = current.data.patched(body);
                data.validate().map_err(ServiceError::BadRequest)?;
                Ok((data != current.data).then(|| Some((data, current.token.clone()))))
            },
            BootOp::Update,
        )
        .await
    }

    /// DELETE: removes existing entries.
    pub async fn delete(
        &self,
        body: &BootParams,
        if_match: Option<&str>,
        by: &str,
        scope: &Scope,
    ) -> Result<Written, ServiceError> {
        let by_items = body.hosts.is_empty() && body.macs.is_empty() && body.nids.is_empty();
        let targets = if by_items {
            // BSS: a body naming no node but a kernel, initrd and/or params deletes every
            // entry that uses all of them (none is not an error).
            let found = self.entries_using(body, scope).await?;
            if found.is_empty() {
                return Ok(Written {
                    entries: Vec::new(),
                    etag: Self::etag_of(&[], &[]),
                    token: None,
                });
            }
            found
        } else {
            self.targets(body, scope).await?
        };
        self.write(
            &targets,
            if_match,
            by,
            |name, current| {
                current.ok_or_else(|| missing(name))?;
                Ok(Some(None))
            },
            BootOp::Delete,
        )
        .await
    }

    /// The entries `scope` may write whose kernel, initrd and params are those `body` gives
    /// (a field it leaves empty matches any); a body giving none of them names nothing.
    async fn entries_using(
        &self,
        body: &BootParams,
        scope: &Scope,
    ) -> Result<Vec<String>, ServiceError> {
        let want = BootData::of(body);
        if want.kernel.is_empty() && want.initrd.is_empty() && want.params.is_empty() {
            return Err(ServiceError::BadRequest(
                "name what to delete: hosts, macs or nids, or the kernel, initrd or params \
                 of the entries to delete"
                    .into(),
            ));
        }
        let same = |given: &str, stored: &str| given.is_empty() || given == stored;
        Ok(self
            .store
            .boot_entries(None)
            .await?
            .into_iter()
            .filter(|e| {
                same(&want.kernel, &e.data.kernel)
                    && same(&want.initrd, &e.data.initrd)
                    && same(&want.params, &e.data.params)
            })
            .filter(|e| match scope.tenant() {
                None => true,
                // A tenant writes its own nodes' entries only.
                Some(_) => matches!(BootName::parse(&e.name), Ok(BootName::Node(x)) if scope.allows(x.as_str())),
            })
            .map(|e| e.name)
            .collect())
    }

    /// Brings back version `version` of an entry as a new version (undo).
    pub async fn restore(
        &self,
        name: &str,
        version: u64,
        if_match: Option<&str>,
        by: &str,
        scope: &Scope,
    ) -> Result<Written, ServiceError> {
        let parsed = BootName::parse(name).map_err(ServiceError::BadRequest)?;
        let key = parsed.key();
        let absent =
            || ServiceError::NotFound(format!("{key} has no version {version} in its history"));
        if let Some(tenant) = scope.tenant() {
            if !matches!(parsed, BootName::Node(_)) {
                return Err(shared_entry(tenant, &key));
            }
            scope.hide(&key, absent)?;
        }
        let old = self
            .store
            .boot_version(&key, version)
            .await?
            .ok_or_else(absent)?;
        self.write(
            std::slice::from_ref(&key),
            if_match,
            by,
            |name, current| match (&old.data, current) {
                (Some(data), current) => {
                    let token = current
                        .map(|c| c.token.clone())
                        .unwrap_or_else(|| uuid::Uuid::new_v4().to_string());
                    Ok(Some(Some((data.clone(), token))))
                }
                (None, Some(_)) => Ok(Some(None)),
                (None, None) => Err(ServiceError::BadRequest(format!(
                    "version {version} of {name} deleted it, and it does not exist now"
                ))),
            },
            BootOp::Restore,
        )
        .await
    }

    /// History of one entry, or of all, newest first.
    pub async fn history(
        &self,
        name: Option<&str>,
        limit: u32,
    ) -> Result<Vec<BootVersion>, ServiceError> {
        let key = name
            .map(|n| BootName::parse(n).map(|b| b.key()))
            .transpose()
            .map_err(ServiceError::BadRequest)?;
        Ok(self.store.boot_history(key.as_deref(), limit).await?)
    }

    /// Node components as BSS's `hosts` lists them (with `FQDN`, `MAC`, `EndpointEnabled`),
    /// all or those named by name, MAC or NID (the first unknown one is `NotFound`).
    /// For a tenant (`scope`) only its nodes exist.
    pub async fn hosts(&self, q: &BootQuery, scope: &Scope) -> Result<Vec<Value>, ServiceError> {
        let nodes = ComponentFilter {
            kinds: Match {
                any_of: vec![HmsType::Node],
                none_of: Vec::new(),
            },
            ..ComponentFilter::default()
        };
        let mut components = self.store.components(&nodes).await?;
        scope.retain(&mut components, |c| c.id.as_str());
        let interfaces = self.store.interfaces(&InterfaceFilter::default()).await?;
        let mut macs: HashMap<&str, Vec<&str>> = HashMap::new();
        for i in &interfaces {
            if !i.component_id.is_empty() {
                macs.entry(i.component_id.as_str())
                    .or_default()
                    .push(i.mac_address.as_str());
            }
        }
        let host = |c: &crate::model::component::Component| {
            let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut v {
                m.insert("FQDN".into(), Value::String(String::new()));
                m.insert(
                    "MAC".into(),
                    json!(macs.get(c.id.as_str()).cloned().unwrap_or_default()),
                );
                m.insert("EndpointEnabled".into(), json!(c.enabled != Some(false)));
            }
            v
        };
        if q.is_empty() {
            return Ok(components.iter().map(host).collect());
        }
        let by_id: HashMap<&str, &crate::model::component::Component> =
            components.iter().map(|c| (c.id.as_str(), c)).collect();
        let mut out = Vec::new();
        for n in &q.names {
            let c = crate::model::xname::Xname::parse(n)
                .ok()
                .and_then(|x| by_id.get(x.as_str()).copied())
                .ok_or_else(|| {
                    ServiceError::NotFound(format!("Not Found - Unknown host name '{n}'"))
                })?;
            out.push(host(c));
        }
        for m in &q.macs {
            let x = self.node_of_mac(m, scope).await.map_err(|_| {
                ServiceError::NotFound(format!("Not Found - Unknown MAC address '{m}'"))
            })?;
            if let Some(c) = by_id.get(x.as_str()) {
                out.push(host(c));
            }
        }
        for n in &q.nids {
            let x = self
                .node_of_nid(*n, scope)
                .await
                .map_err(|_| ServiceError::NotFound(format!("Not Found - Unknown NID '{n}'")))?;
            if let Some(c) = by_id.get(x.as_str()) {
                out.push(host(c));
            }
        }
        Ok(out)
    }

    /// Every node and entry, as BSS's dumpstate.
    pub async fn dump(&self) -> Result<Value, ServiceError> {
        let components = self.hosts(&BootQuery::default(), &Scope::All).await?;
        let params: Vec<BootParams> = self
            .store
            .boot_entries(None)
            .await?
            .iter()
            .map(BootEntry::to_params)
            .collect();
        Ok(json!({"Components": components, "Params": params}))
    }

    /// The entry names a write body addresses, checked against inventory: hosts must be
    /// known nodes, existing groups or tags; MACs and NIDs must belong to known nodes. For a
    /// tenant (`scope`) only its nodes exist, and the shared entries (Default, roles, groups)
    /// are refused whether they exist or not.
    pub async fn targets(
        &self,
        body: &BootParams,
        scope: &Scope,
    ) -> Result<Vec<String>, ServiceError> {
        let mut keys = Vec::new();
        let mut unknown = Vec::new();
        for h in &body.hosts {
            let name = BootName::parse(h).map_err(ServiceError::BadRequest)?;
            if let (Some(tenant), false) = (scope.tenant(), matches!(name, BootName::Node(_))) {
                return Err(shared_entry(tenant, h));
            }
            match name {
                BootName::Node(x) => match self.store.component(&x).await? {
                    Some(_) if scope.allows(x.as_str()) => keys.push(x.as_str().to_string()),
                    _ => unknown.push(format!("node {x} is not in inventory")),
                },
                BootName::Group(g) => match self.store.group(&g).await? {
                    Some(_) => keys.push(g),
                    None => unknown.push(format!(
                        "'{h}' is not a node xname, Default, a role, Unknown-<arch>, or an existing group label"
                    )),
                },
                other => keys.push(other.key()),
            }
        }
        for m in &body.macs {
            match self.node_of_mac(m, scope).await {
                Ok(x) => keys.push(x),
                Err(ServiceError::NotFound(why)) => unknown.push(why),
                Err(e) => return Err(e),
            }
        }
        for n in &body.nids {
            match self.node_of_nid(*n, scope).await {
                Ok(x) => keys.push(x),
                Err(ServiceError::NotFound(why)) => unknown.push(why),
                Err(e) => return Err(e),
            }
        }
        if !unknown.is_empty() {
            return Err(ServiceError::BadRequest(unknown.join("; ")));
        }
        if keys.is_empty() {
            return Err(ServiceError::BadRequest(
                "name what to set: hosts (xnames, Default, a role, Unknown-<arch> or a group label), macs or nids".into(),
            ));
        }
        let mut seen = std::collections::HashSet::new();
        keys.retain(|k| seen.insert(k.clone()));
        Ok(keys)
    }

    /// The node a MAC belongs to; for a tenant (`scope`) a foreign node's MAC is unknown.
    async fn node_of_mac(&self, raw: &str, scope: &Scope) -> Result<String, ServiceError> {
        let (id, canonical) = normalize_mac(raw).map_err(|e| ServiceError::BadRequest(e.0))?;
        let found = self.store.interface(&id).await?;
        let iface = scope
            .visible(found, |i| i.component_id.as_str())
            .ok_or_else(|| {
                ServiceError::NotFound(format!(
                    "MAC {canonical} is not a known interface (see /hsm/v2/Inventory/EthernetInterfaces)"
                ))
            })?;
        match crate::model::xname::Xname::parse(&iface.component_id) {
            Ok(x) if x.kind() == HmsType::Node => Ok(x.as_str().to_string()),
            _ => Err(ServiceError::NotFound(format!(
                "MAC {canonical} belongs to no node (its ComponentID is '{}')",
                iface.component_id
            ))),
        }
    }

    /// The node with a NID; for a tenant (`scope`) a foreign node's NID is unknown.
    async fn node_of_nid(&self, nid: i64, scope: &Scope) -> Result<String, ServiceError> {
        match self.store.component_by_nid(nid).await? {
            Some(c) if c.kind == HmsType::Node && scope.allows(c.id.as_str()) => {
                Ok(c.id.as_str().to_string())
            }
            _ => Err(ServiceError::NotFound(format!("no node has NID {nid}"))),
        }
    }

    /// Reads the targets, checks `If-Match`, computes each change and writes them all with
    /// a version check; retries when overtaken unless the caller gave `If-Match`.
    /// `change` returns `None` to leave an entry alone, `Some(None)` to delete it.
    async fn write<F>(
        &self,
        targets: &[String],
        if_match: Option<&str>,
        by: &str,
        change: F,
        op: BootOp,
    ) -> Result<Written, ServiceError>
    where
        F: Fn(&str, Option<&BootEntry>) -> Result<Option<Option<(BootData, String)>>, ServiceError>,
    {
        for _ in 0..WRITE_ATTEMPTS {
            let current = self.store.boot_entries(Some(targets)).await?;
            let now_tag = Self::etag_of(targets, &current);
            if let Some(want) = if_match {
                if !etag_matches(want, &now_tag, current.len() == targets.len()) {
                    return Err(ServiceError::Precondition(format!(
                        "boot parameters for {} changed since they were read (ETag is now {now_tag}, If-Match was {want}); read them again and reapply your change",
                        targets.join(", ")
                    )));
                }
            }
            let by_name: HashMap<&str, &BootEntry> =
                current.iter().map(|e| (e.name.as_str(), e)).collect();
            let mut changes = Vec::new();
            for name in targets {
                let cur = by_name.get(name.as_str()).copied();
                if let Some(after) = change(name, cur)? {
                    changes.push(BootChange {
                        name: name.clone(),
                        expect: cur.map_or(0, |c| c.version),
                        after,
                        op,
                    });
                }
            }
            if changes.is_empty() {
                return Ok(Written {
                    entries: current,
                    etag: now_tag,
                    token: None,
                });
            }
            match self.store.write_boot(&changes, &now_rfc3339(), by).await {
                Ok(_) => {
                    self.bus.publish(Event::BootChanged {
                        names: changes.iter().map(|c| c.name.clone()).collect(),
                    });
                    let after = self.store.boot_entries(Some(targets)).await?;
                    return Ok(Written {
                        etag: Self::etag_of(targets, &after),
                        entries: after,
                        token: None,
                    });
                }
                Err(StoreError::Stale(why)) if if_match.is_some() => {
                    return Err(ServiceError::Precondition(why));
                }
                Err(StoreError::Stale(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Conflict(format!(
            "boot parameters for {} kept changing under this write; try again",
            targets.join(", ")
        )))
    }
}

/// A tenant's refusal of an entry it cannot hold (Default, a role, a group): the same whether
/// that entry exists or not.
fn shared_entry(tenant: &str, name: &str) -> ServiceError {
    ServiceError::Forbidden(format!(
        "tenant {tenant} may set only its own nodes' boot parameters: '{name}' is shared by \
         every tenant"
    ))
}

fn missing(name: &str) -> ServiceError {
    ServiceError::NotFound(format!(
        "no boot parameters for {name}: POST or PUT creates them"
    ))
}

/// Whether an `If-Match` value matches `tag`: a list of tags (weak ones compared weakly), or
/// `*`, which matches when every addressed entry exists.
pub fn etag_matches(header: &str, tag: &str, all_exist: bool) -> bool {
    header.split(',').map(str::trim).any(|t| {
        if t == "*" {
            return all_exist;
        }
        t.strip_prefix("W/").unwrap_or(t) == tag
    })
}

fn now_epoch() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_forms() {
        assert!(etag_matches("\"ab\"", "\"ab\"", false));
        assert!(etag_matches("\"x\", W/\"ab\"", "\"ab\"", false));
        assert!(!etag_matches("\"x\"", "\"ab\"", true));
        assert!(etag_matches("*", "\"ab\"", true));
        assert!(!etag_matches("*", "\"ab\"", false));
    }
}
