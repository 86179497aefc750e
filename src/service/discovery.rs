//! Discovery: walk Redfish endpoints (service root, Systems with their NICs and reset types,
//! Managers, the services the root links) and fill inventory from what they report, as SMD's discovery does, recording each
//! endpoint's progress in its `DiscoveryInfo.LastDiscoveryStatus`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use futures::stream::{self, StreamExt};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::endpoints::Endpoints;
use super::ServiceError;
use crate::model::discovery::{root_services, Manager, Nic, Power, ServiceEndpoint, System};
use crate::model::ethernet::now_rfc3339;
use crate::model::redfish::{DiscoveryInfo, EndpointFilter, EndpointInput, RedfishEndpoint};
use crate::model::xname::Xname;
use crate::redfish::client::{Endpoint, ErrorKind, RedfishClient, RedfishError};
use crate::store::Store;

/// Endpoints walked at once.
const CONCURRENCY: usize = 32;

/// How the core reaches and trusts BMCs.
#[derive(Debug, Clone)]
pub struct Trust {
    /// CA (PEM) that signed BMC certificates; `None`: the system roots.
    pub ca_pem: Option<Arc<Vec<u8>>>,
    /// Accept any BMC certificate.
    pub insecure: bool,
    /// Time allowed per Redfish request.
    pub timeout: Duration,
    /// Port BMCs answer HTTPS on (443 unless a site says otherwise).
    pub port: u16,
    /// Walk an endpoint registered with `RediscoverOnUpdate` and without a description of
    /// its hardware, as SMD does.
    pub on_register: bool,
}

impl Default for Trust {
    fn default() -> Self {
        Trust {
            ca_pem: None,
            insecure: false,
            timeout: crate::redfish::client::DEFAULT_TIMEOUT,
            port: 443,
            on_register: false,
        }
    }
}

/// The state of the last discovery run, as SMD's `DiscoveryStatus`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct DiscoveryStatus {
    /// Always 0: one discovery runs at a time.
    #[serde(rename = "ID")]
    pub id: u32,
    /// `NotStarted`, `InProgress` or `Complete`.
    #[serde(rename = "Status")]
    pub status: String,
    /// When it last changed (RFC 3339).
    #[serde(rename = "LastUpdateTime")]
    pub last_update: String,
    /// Each endpoint's outcome in its last run (absent before any run, as SMD omits it).
    #[serde(rename = "Details", skip_serializing_if = "is_empty_object")]
    #[schema(value_type = Option<Object>)]
    pub details: Value,
}

fn is_empty_object(v: &Value) -> bool {
    v.as_object().is_some_and(|o| o.is_empty()) || v.is_null()
}

/// Runs under way and the endpoints they walk.
#[derive(Debug, Default)]
struct Runs {
    /// Runs started and not finished.
    running: usize,
    /// Endpoints a run is walking.
    walking: HashSet<Xname>,
}

/// Discovery over the endpoints service and a Redfish client.
#[derive(Clone)]
pub struct Discovery {
    store: Arc<dyn Store>,
    endpoints: Endpoints,
    redfish: RedfishClient,
    trust: Arc<OnceLock<Trust>>,
    status: Arc<Mutex<DiscoveryStatus>>,
    runs: Arc<Mutex<Runs>>,
}

fn status_of(e: &RedfishError) -> &'static str {
    match e.kind {
        ErrorKind::Decode => "EPResponseFailedDecode",
        ErrorKind::Auth => "VerificationFailed",
        _ => "HTTPsGetFailed",
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn text(v: &Value, key: &str) -> String {
    v[key].as_str().unwrap_or_default().to_string()
}

impl Discovery {
    /// Discovery writing through `endpoints`; call [`Discovery::configure`] before running.
    pub fn new(store: Arc<dyn Store>, endpoints: Endpoints) -> Discovery {
        Discovery {
            store,
            endpoints,
            redfish: RedfishClient::new(),
            trust: Arc::new(OnceLock::new()),
            status: Arc::new(Mutex::new(DiscoveryStatus {
                id: 0,
                status: "NotStarted".into(),
                last_update: now_rfc3339(),
                details: Value::Object(Default::default()),
            })),
            runs: Arc::default(),
        }
    }

    /// Sets how BMCs are reached (once; later calls are ignored).
    pub fn configure(&self, trust: Trust) {
        let _ = self.trust.set(trust);
    }

    /// The Redfish client, shared with the power engine.
    pub fn client(&self) -> &RedfishClient {
        &self.redfish
    }

    fn trust(&self) -> Trust {
        self.trust.get().cloned().unwrap_or_default()
    }

    /// How to call the BMC behind `ep`, with its opened credentials.
    pub async fn endpoint_for(&self, ep: &RedfishEndpoint) -> Result<Endpoint, ServiceError> {
        let creds = self.endpoints.credentials(&ep.id).await?;
        Ok(self.endpoint_with(ep, &creds))
    }

    /// How to call each of these BMCs; credentials are read in one query.
    pub async fn endpoints_for(
        &self,
        eps: &[RedfishEndpoint],
    ) -> Result<HashMap<Xname, Result<Endpoint, ServiceError>>, ServiceError> {
        let mut creds = self.endpoints.credentials_of(eps).await?;
        Ok(eps
            .iter()
            .map(|ep| {
                let e = creds
                    .remove(&ep.id)
                    .unwrap_or_else(|| {
                        Err(ServiceError::Internal(format!(
                            "endpoint {}: no credentials",
                            ep.id
                        )))
                    })
                    .map(|c| self.endpoint_with(ep, &c));
                (ep.id.clone(), e)
            })
            .collect())
    }

    fn endpoint_with(
        &self,
        ep: &RedfishEndpoint,
        creds: &super::endpoints::Credentials,
    ) -> Endpoint {
        let trust = self.trust();
        let host = if ep.fqdn.contains(':') && !ep.fqdn.starts_with('[') {
            format!("[{}]", ep.fqdn)
        } else {
            ep.fqdn.clone()
        };
        let mut e = Endpoint::new(
            &format!("https://{host}:{}", trust.port),
            &creds.user,
            &creds.password,
        );
        e.ca_pem = trust.ca_pem;
        e.insecure = trust.insecure;
        e.timeout = trust.timeout;
        e
    }

    /// The last run's status.
    pub fn status(&self) -> DiscoveryStatus {
        self.status
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Starts walking `targets` in the background, as SMD does: an endpoint another run is
    /// walking is left to it unless `force`. The status is InProgress from before this
    /// returns until every run has finished. Returns how many endpoints this run walks.
    pub fn start(&self, targets: Vec<RedfishEndpoint>, force: bool) -> usize {
        let claimed = self.claim(targets, force);
        let n = claimed.len();
        let me = self.clone();
        tokio::spawn(async move {
            me.walk_all(claimed).await;
        });
        n
    }

    /// After endpoints were registered: walks those of `ids` that are enabled and ask for it
    /// (`RediscoverOnUpdate`), unless the core is set not to (`--discover-on-register=false`).
    /// Returns how many.
    pub async fn registered(&self, ids: &[Xname]) -> Result<usize, ServiceError> {
        if !self.trust().on_register || ids.is_empty() {
            return Ok(0);
        }
        let filter = EndpointFilter {
            ids: ids.to_vec(),
            ..EndpointFilter::default()
        };
        let targets: Vec<RedfishEndpoint> = self
            .endpoints
            .list(&filter)
            .await?
            .into_iter()
            .filter(|e| e.enabled && e.rediscover_on_update)
            .collect();
        if targets.is_empty() {
            return Ok(0);
        }
        Ok(self.start(targets, false))
    }

    /// Takes `targets` for a new run (all of them with `force`; otherwise those no run is
    /// walking) and marks discovery InProgress.
    fn claim(&self, targets: Vec<RedfishEndpoint>, force: bool) -> Vec<RedfishEndpoint> {
        let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        runs.running += 1;
        let mut claimed = Vec::with_capacity(targets.len());
        for ep in targets {
            if runs.walking.insert(ep.id.clone()) || force {
                claimed.push(ep);
            } else {
                tracing::info!(endpoint = %ep.id, "already being discovered; left to that run");
            }
        }
        drop(runs);
        self.set_status("InProgress");
        claimed
    }

    fn set_status(&self, status: &str) {
        let mut s = self.status.lock().unwrap_or_else(|p| p.into_inner());
        s.status = status.into();
        s.last_update = now_rfc3339();
    }

    /// The endpoints to walk: those named (each must exist), or every enabled one.
    pub async fn targets(&self, ids: &[Xname]) -> Result<Vec<RedfishEndpoint>, ServiceError> {
        if ids.is_empty() {
            return Ok(self
                .endpoints
                .list(&EndpointFilter::default())
                .await?
                .into_iter()
                .filter(|e| e.enabled)
                .collect());
        }
        let mut out = Vec::new();
        let mut missing = Vec::new();
        for id in ids {
            match self.store.endpoint(id).await? {
                Some(e) => out.push(e),
                None => missing.push(id.to_string()),
            }
        }
        if !missing.is_empty() {
            return Err(ServiceError::NotFound(format!(
                "no such Redfish endpoint: {}; register it first (POST /hsm/v2/Inventory/RedfishEndpoints)",
                missing.join(", ")
            )));
        }
        Ok(out)
    }

    /// Walks every target now (another run's included) and ingests what it reports; returns
    /// each endpoint's outcome. One endpoint failing does not stop the others.
    pub async fn run(&self, targets: Vec<RedfishEndpoint>) -> Vec<(Xname, String, String)> {
        let claimed = self.claim(targets, true);
        self.walk_all(claimed).await
    }

    async fn walk_all(&self, targets: Vec<RedfishEndpoint>) -> Vec<(Xname, String, String)> {
        let results: Vec<(Xname, String, String)> = stream::iter(targets)
            .map(|ep| async move {
                let id = ep.id.clone();
                let (status, why) = self.discover_one(ep).await;
                (id, status, why)
            })
            .buffer_unordered(CONCURRENCY)
            .collect()
            .await;
        let mut runs = self.runs.lock().unwrap_or_else(|p| p.into_inner());
        for (id, _, _) in &results {
            runs.walking.remove(id);
        }
        runs.running = runs.running.saturating_sub(1);
        let done = runs.running == 0;
        let mut s = self.status.lock().unwrap_or_else(|p| p.into_inner());
        drop(runs);
        if !s.details.is_object() {
            s.details = Value::Object(Default::default());
        }
        if let Some(details) = s.details.as_object_mut() {
            for (id, status, why) in &results {
                details.insert(
                    id.to_string(),
                    serde_json::json!({"LastDiscoveryStatus": status, "Error": why}),
                );
            }
        }
        if done {
            s.status = "Complete".into();
        }
        s.last_update = now_rfc3339();
        drop(s);
        results
    }

    async fn discover_one(&self, ep: RedfishEndpoint) -> (String, String) {
        let started = now_rfc3339();
        self.record(&ep.id, "DiscoveryStarted", &started, "").await;
        match self.walk(&ep).await {
            Ok(Walked {
                systems,
                managers,
                version,
                services,
            }) => {
                let input = EndpointInput {
                    id: Some(ep.id.to_string()),
                    kind: Some(ep.kind.clone()),
                    name: Some(ep.name.clone()).filter(|s| !s.is_empty()),
                    hostname: Some(ep.hostname.clone()),
                    domain: Some(ep.domain.clone()),
                    fqdn: Some(ep.fqdn.clone()),
                    enabled: Some(ep.enabled),
                    uuid: Some(ep.uuid.clone()),
                    user: Some(ep.user.clone()),
                    mac_addr: Some(ep.mac_addr.clone()).filter(|s| !s.is_empty()),
                    ip_address: Some(ep.ip_address.clone()).filter(|s| !s.is_empty()),
                    rediscover_on_update: Some(ep.rediscover_on_update),
                    schema_version: Some(1),
                    systems,
                    managers,
                    ..EndpointInput::default()
                };
                let written = match self.endpoints.replace(&ep.id, input).await {
                    Ok(_) => self.endpoints.record_services(&ep.id, &services).await,
                    Err(e) => Err(e),
                };
                match written {
                    Ok(()) => {
                        self.record(&ep.id, "DiscoverOK", &started, &version).await;
                        ("DiscoverOK".into(), String::new())
                    }
                    Err(e) => {
                        tracing::warn!(endpoint = %ep.id, error = %e, "discovery could not store");
                        self.record(&ep.id, "StoreFailed", &started, &version).await;
                        ("StoreFailed".into(), e.to_string())
                    }
                }
            }
            Err((status, why)) => {
                tracing::warn!(endpoint = %ep.id, status, error = %why, "discovery failed");
                self.record(&ep.id, status, &started, "").await;
                (status.to_string(), why)
            }
        }
    }

    async fn record(&self, id: &Xname, status: &str, at: &str, version: &str) {
        let info = DiscoveryInfo {
            last_attempt: at.to_string(),
            last_status: status.to_string(),
            redfish_version: version.to_string(),
        };
        if let Err(e) = self.endpoints.set_discovery(id, &info).await {
            tracing::warn!(endpoint = %id, error = %e, "cannot record discovery status");
        }
    }

    /// Reads what the BMC reports, in magellan's shapes.
    async fn walk(&self, ep: &RedfishEndpoint) -> Result<Walked, (&'static str, String)> {
        let target = self
            .endpoint_for(ep)
            .await
            .map_err(|e| ("EndpointInvalid", e.to_string()))?;
        let c = &self.redfish;
        let fail = |e: RedfishError| (status_of(&e), e.to_string());
        let child = |e: RedfishError| ("ChildVerificationFailed", e.to_string());
        let root = c.service_root(&target).await.map_err(fail)?;
        let version = text(&root, "RedfishVersion");
        let mut systems = Vec::new();
        if let Some(path) = root["Systems"]["@odata.id"].as_str() {
            for uri in c.members(&target, path).await.map_err(fail)? {
                let s = c.get(&target, &uri).await.map_err(child)?;
                let mut nics = Vec::new();
                if let Some(p) = s["EthernetInterfaces"]["@odata.id"].as_str() {
                    for n in c.members(&target, p).await.map_err(child)? {
                        nics.push(nic(&c.get(&target, &n).await.map_err(child)?, &n));
                    }
                }
                let reset = &s["Actions"]["#ComputerSystem.Reset"];
                let arch = match s["Processors"]["@odata.id"].as_str() {
                    Some(p) => self.processor_arch(&target, p).await,
                    None => String::new(),
                };
                systems.push(System {
                    uri: uri.clone(),
                    uuid: text(&s, "UUID"),
                    name: text(&s, "Name"),
                    manufacturer: text(&s, "Manufacturer"),
                    model: text(&s, "Model"),
                    serial: text(&s, "SerialNumber"),
                    bios_version: text(&s, "BiosVersion"),
                    processor_count: s["ProcessorSummary"]["Count"].as_i64(),
                    processor_type: text(&s["ProcessorSummary"], "Model"),
                    processor_architecture: arch,
                    description: text(&s, "Description"),
                    hostname: text(&s, "HostName"),
                    memory_total: s["MemorySummary"]["TotalSystemMemoryGiB"].as_f64(),
                    ethernet_interfaces: nics,
                    actions: strings(&reset["ResetType@Redfish.AllowableValues"]),
                    power: self.power_of(&target, &s).await,
                    ..System::default()
                });
            }
        }
        let mut managers = Vec::new();
        if let Some(path) = root["Managers"]["@odata.id"].as_str() {
            for uri in c.members(&target, path).await.map_err(fail)? {
                let m = c.get(&target, &uri).await.map_err(child)?;
                let mut nics = Vec::new();
                if let Some(p) = m["EthernetInterfaces"]["@odata.id"].as_str() {
                    for n in c.members(&target, p).await.map_err(child)? {
                        nics.push(nic(&c.get(&target, &n).await.map_err(child)?, &n));
                    }
                }
                managers.push(Manager {
                    uri: uri.clone(),
                    uuid: text(&m, "UUID"),
                    name: text(&m, "Name"),
                    description: text(&m, "Description"),
                    model: text(&m, "Model"),
                    kind: text(&m, "ManagerType"),
                    firmware_version: text(&m, "FirmwareVersion"),
                    ethernet_interfaces: nics,
                    actions: strings(
                        &m["Actions"]["#Manager.Reset"]["ResetType@Redfish.AllowableValues"],
                    ),
                });
            }
        }
        let mut services = Vec::new();
        for (name, path) in root_services(&root) {
            // A service the root links but does not serve is left out, not a failed discovery.
            match c.get(&target, &path).await {
                Ok(info) => services.push(ServiceEndpoint::found(
                    &ep.id,
                    &ep.fqdn,
                    &name,
                    &text(&root, "UUID"),
                    &path,
                    info,
                )),
                Err(e) => {
                    tracing::info!(endpoint = %ep.id, service = %name, error = %e, "service not read")
                }
            }
        }
        Ok(Walked {
            systems,
            managers,
            version,
            services,
        })
    }
}

impl Discovery {
    /// The architecture of a system's first CPU (`ProcessorArchitecture`, else
    /// `InstructionSet`), or "" when the BMC does not say; a failed read is not a failed
    /// discovery.
    async fn processor_arch(&self, target: &Endpoint, processors: &str) -> String {
        let c = &self.redfish;
        let Ok(members) = c.members(target, processors).await else {
            return String::new();
        };
        for uri in members.iter().take(4) {
            let Ok(p) = c.get(target, uri).await else {
                continue;
            };
            let kind = text(&p, "ProcessorType");
            if !kind.is_empty() && kind != "CPU" {
                continue;
            }
            let arch = text(&p, "ProcessorArchitecture");
            return if arch.is_empty() {
                text(&p, "InstructionSet")
            } else {
                arch
            };
        }
        String::new()
    }
}

impl Discovery {
    /// A system's power state and, from its chassis (the first `Links.Chassis`, else the
    /// chassis with the system's Id), the `Power` resource's `PowerControl` entries and the
    /// `Controls` collection: what power capping needs. A failed read leaves those out; it
    /// is not a failed discovery.
    async fn power_of(&self, target: &Endpoint, system: &Value) -> Power {
        let c = &self.redfish;
        let mut power = Power {
            state: text(system, "PowerState"),
            ..Power::default()
        };
        let chassis = match system["Links"]["Chassis"][0]["@odata.id"].as_str() {
            Some(p) => p.to_string(),
            None => format!("/redfish/v1/Chassis/{}", text(system, "Id")),
        };
        let Ok(ch) = c.get(target, &chassis).await else {
            return power;
        };
        if let Some(p) = ch["Power"]["@odata.id"].as_str() {
            match c.get(target, p).await {
                Ok(v) => {
                    power.power_url = p.to_string();
                    power.power_control = v["PowerControl"].as_array().cloned().unwrap_or_default();
                }
                Err(e) => tracing::info!(path = p, error = %e, "power resource not read"),
            }
        }
        if let Some(p) = ch["Controls"]["@odata.id"].as_str() {
            for uri in c
                .members(target, p)
                .await
                .unwrap_or_default()
                .into_iter()
                .take(64)
            {
                match c.get(target, &uri).await {
                    // Only power limits: a Controls collection also holds frequency and the like.
                    Ok(v) if v["ControlType"].as_str().is_none_or(|t| t == "Power") => {
                        power.controls.push((uri, v))
                    }
                    Ok(_) => {}
                    Err(e) => tracing::info!(path = %uri, error = %e, "control not read"),
                }
            }
        }
        power
    }
}

/// What one walk of a BMC read.
struct Walked {
    systems: Vec<System>,
    managers: Vec<Manager>,
    version: String,
    services: Vec<ServiceEndpoint>,
}

fn nic(v: &Value, uri: &str) -> Nic {
    Nic {
        uri: uri.to_string(),
        mac: text(v, "MACAddress"),
        ip: v["IPv4Addresses"][0]["Address"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        name: text(v, "Name"),
        description: text(v, "Description"),
        enabled: v["InterfaceEnabled"].as_bool(),
    }
}
