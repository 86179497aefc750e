//! A simulated BMC fleet: many Redfish services behind one listener, each on its own loopback
//! address (the accepted socket's local address picks the BMC), over HTTPS with certificates
//! from the fleet's own CA. Power changes take a configurable delay; faults are injected per
//! BMC. It backs `chami sim`, the demo, tests and benchmarks.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::Path;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use base64::Engine;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use serde_json::{json, Value};

/// Longest a hanging BMC keeps a request open (clients time out long before).
const HANG: Duration = Duration::from_secs(120);

/// Reset types every simulated system allows.
pub const RESET_TYPES: &[&str] = &[
    "On",
    "ForceOff",
    "GracefulShutdown",
    "GracefulRestart",
    "ForceRestart",
    "PowerCycle",
];

/// How the fleet is laid out.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Number of BMCs.
    pub bmcs: u32,
    /// Systems (nodes) behind each BMC.
    pub nodes_per_bmc: u32,
    /// How long a power change takes to show.
    pub power_delay: Duration,
    /// Basic-auth user every BMC accepts.
    pub user: String,
    /// Its password.
    pub password: String,
    /// Port every BMC listens on (0: any free port).
    pub port: u16,
    /// Whether systems start powered on.
    pub start_on: bool,
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            bmcs: 4,
            nodes_per_bmc: 2,
            power_delay: Duration::from_millis(200),
            user: "root".into(),
            password: "sim-password".into(),
            port: 0,
            start_on: false,
        }
    }
}

/// What a BMC does wrong, set per BMC at any time.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    /// Added before every answer.
    pub latency: Duration,
    /// Never answers (until the client gives up).
    pub hang: bool,
    /// Answers every request but the service root with HTTP 500.
    pub error_500: bool,
    /// Closes every connection as soon as it is accepted.
    pub reset: bool,
    /// Refuses every credential (401).
    pub wrong_credentials: bool,
    /// Applies a reset, then waits this long before answering it (past a client's timeout,
    /// the client cannot tell whether it was applied).
    pub late_reset: Duration,
    /// Answers this many resets 503 (busy) without acting on them, then takes them again.
    pub busy_resets: u32,
}

impl Faults {
    /// Reads one fault as `chami sim --fault` takes it: `hang`, `500`, `reset`,
    /// `wrong-credentials`, `latency=MS`, `late-reset=MS`, `busy-resets=N`.
    pub fn add(&mut self, spec: &str) -> Result<(), String> {
        let (name, value) = match spec.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (spec, None),
        };
        let number = |what: &str| -> Result<u64, String> {
            let v = value.ok_or_else(|| format!("fault {name} needs a value: {name}={what}"))?;
            v.parse()
                .map_err(|_| format!("fault {name}: '{v}' is not a whole number of {what}"))
        };
        let flag = || match value {
            None => Ok(true),
            Some(v) => Err(format!("fault {name} takes no value (got '{v}')")),
        };
        match name {
            "hang" => self.hang = flag()?,
            "500" => self.error_500 = flag()?,
            "reset" => self.reset = flag()?,
            "wrong-credentials" => self.wrong_credentials = flag()?,
            "latency" => self.latency = Duration::from_millis(number("milliseconds")?),
            "late-reset" => self.late_reset = Duration::from_millis(number("milliseconds")?),
            "busy-resets" => {
                self.busy_resets = u32::try_from(number("resets")?)
                    .map_err(|_| format!("fault {name}: too many"))?
            }
            other => {
                return Err(format!(
                    "unknown fault '{other}' (hang, 500, reset, wrong-credentials, latency=MS, \
                     late-reset=MS, busy-resets=N)"
                ))
            }
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Power {
    On,
    Off,
}

impl Power {
    fn as_str(self) -> &'static str {
        match self {
            Power::On => "On",
            Power::Off => "Off",
        }
    }
}

#[derive(Debug)]
struct PowerState {
    now: Power,
    /// A change under way: the state it reaches, and when.
    pending: Option<(Power, Instant)>,
}

impl PowerState {
    fn settle(&mut self) -> Power {
        if let Some((to, at)) = self.pending {
            if Instant::now() >= at {
                self.now = to;
                self.pending = None;
            }
        }
        self.now
    }
}

/// One simulated system.
#[derive(Debug)]
pub struct SimSystem {
    /// Redfish Id (`Node0`, `Node1`, ...).
    pub id: String,
    /// UUID.
    pub uuid: String,
    /// MAC of its one NIC.
    pub mac: String,
    power: Mutex<PowerState>,
    resets: Mutex<Vec<String>>,
}

/// One simulated BMC.
#[derive(Debug)]
pub struct SimBmc {
    /// Its index in the fleet.
    pub index: u32,
    /// Its loopback address.
    pub ip: Ipv4Addr,
    /// Its systems.
    pub systems: Vec<SimSystem>,
    /// Its MAC.
    pub mac: String,
    user: String,
    password: String,
    faults: Mutex<Faults>,
    sessions: Mutex<HashMap<String, String>>,
    tls: OnceLock<Arc<rustls::ServerConfig>>,
    requests: std::sync::atomic::AtomicU64,
    connections: std::sync::atomic::AtomicU64,
}

impl SimBmc {
    /// Replaces this BMC's faults.
    pub fn set_faults(&self, f: Faults) {
        *self.faults.lock().unwrap_or_else(|p| p.into_inner()) = f;
    }

    fn faults(&self) -> Faults {
        self.faults
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Requests answered so far.
    pub fn requests(&self) -> u64 {
        self.requests.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> u64 {
        self.connections.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// A system's power state as the BMC reports it now (`On`/`Off`).
    pub fn power(&self, system: &str) -> Option<&'static str> {
        let s = self.systems.iter().find(|s| s.id == system)?;
        Some(
            s.power
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .settle()
                .as_str(),
        )
    }

    /// Sets a system's power at once, with no delay (for seeding); false when it has no such
    /// system.
    pub fn set_power(&self, system: &str, on: bool) -> bool {
        let Some(s) = self.systems.iter().find(|s| s.id == system) else {
            return false;
        };
        *s.power.lock().unwrap_or_else(|p| p.into_inner()) = PowerState {
            now: if on { Power::On } else { Power::Off },
            pending: None,
        };
        true
    }

    /// Resets received by each system, by Redfish Id.
    pub fn reset_counts(&self) -> Vec<(String, usize)> {
        self.systems
            .iter()
            .map(|s| {
                let n = s.resets.lock().unwrap_or_else(|p| p.into_inner()).len();
                (s.id.clone(), n)
            })
            .collect()
    }

    /// The reset types a system received, in order.
    pub fn resets(&self, system: &str) -> Vec<String> {
        self.systems
            .iter()
            .find(|s| s.id == system)
            .map(|s| s.resets.lock().unwrap_or_else(|p| p.into_inner()).clone())
            .unwrap_or_default()
    }
}

struct Shared {
    config: SimConfig,
    bmcs: HashMap<Ipv4Addr, Arc<SimBmc>>,
    ca_key: KeyPair,
    ca_cert: rcgen::Certificate,
    router: Router,
}

/// A running fleet. Dropping it stops the listener.
pub struct Fleet {
    shared: Arc<Shared>,
    /// The port every BMC answers on.
    pub port: u16,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Fleet {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The loopback address of BMC `i`: 127.10+(i>>16).(i>>8).(i), never a .0 host part.
pub fn bmc_ip(i: u32) -> Ipv4Addr {
    let n = i + 1;
    Ipv4Addr::new(
        127,
        10 + ((n >> 16) & 0xff) as u8,
        ((n >> 8) & 0xff) as u8,
        (n & 0xff) as u8,
    )
}

fn mac_of(kind: u8, i: u32) -> String {
    let b = i.to_be_bytes();
    format!("02:5e:{kind:02x}:{:02x}:{:02x}:{:02x}", b[1], b[2], b[3])
}

impl Fleet {
    /// Builds the fleet and starts its listener (all addresses on `port`; connections to
    /// anything but a fleet BMC's loopback address are closed at once).
    pub async fn start(config: SimConfig) -> anyhow::Result<Fleet> {
        anyhow::ensure!(
            config.bmcs >= 1 && config.bmcs <= 1_000_000,
            "a fleet has 1 to 1,000,000 BMCs"
        );
        anyhow::ensure!(
            (1..=64).contains(&config.nodes_per_bmc),
            "a BMC has 1 to 64 systems"
        );
        let mut bmcs = HashMap::new();
        let mut node = 0u32;
        for i in 0..config.bmcs {
            let systems = (0..config.nodes_per_bmc)
                .map(|k| {
                    let s = SimSystem {
                        id: format!("Node{k}"),
                        uuid: format!("5e000000-0000-4000-8000-{node:012x}"),
                        mac: mac_of(1, node),
                        power: Mutex::new(PowerState {
                            now: if config.start_on {
                                Power::On
                            } else {
                                Power::Off
                            },
                            pending: None,
                        }),
                        resets: Mutex::new(Vec::new()),
                    };
                    node += 1;
                    s
                })
                .collect();
            let ip = bmc_ip(i);
            bmcs.insert(
                ip,
                Arc::new(SimBmc {
                    index: i,
                    ip,
                    systems,
                    mac: mac_of(0, i),
                    user: config.user.clone(),
                    password: config.password.clone(),
                    faults: Mutex::new(Faults::default()),
                    sessions: Mutex::new(HashMap::new()),
                    tls: OnceLock::new(),
                    requests: Default::default(),
                    connections: Default::default(),
                }),
            );
        }
        let ca_key = KeyPair::generate()?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params
            .distinguished_name
            .push(DnType::CommonName, "chami simulated BMC CA");
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        params.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        let ca_cert = params.self_signed(&ca_key)?;

        // Every interface, so each 127.x.y.z reaches it; anything not a fleet address is dropped.
        let listener = tokio::net::TcpListener::bind(SocketAddr::new(
            IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            config.port,
        ))
        .await?;
        let port = listener.local_addr()?.port();
        let shared = Arc::new(Shared {
            config,
            bmcs,
            ca_key,
            ca_cert,
            router: routes(),
        });
        let task = tokio::spawn(accept_loop(listener, shared.clone()));
        Ok(Fleet { shared, port, task })
    }

    /// The fleet CA, PEM, for clients to trust.
    pub fn ca_pem(&self) -> String {
        self.shared.ca_cert.pem()
    }

    /// BMC `i`.
    pub fn bmc(&self, i: u32) -> Option<&Arc<SimBmc>> {
        self.shared.bmcs.get(&bmc_ip(i))
    }

    /// Every BMC, by index.
    pub fn bmcs(&self) -> Vec<&Arc<SimBmc>> {
        let mut v: Vec<&Arc<SimBmc>> = self.shared.bmcs.values().collect();
        v.sort_by_key(|b| b.index);
        v
    }

    /// `https://127.x.y.z:port` of BMC `i`.
    pub fn url(&self, i: u32) -> String {
        format!("https://{}:{}", bmc_ip(i), self.port)
    }

    /// The credentials every BMC accepts.
    pub fn credentials(&self) -> (&str, &str) {
        (&self.shared.config.user, &self.shared.config.password)
    }
}

async fn accept_loop(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _peer)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let Ok(SocketAddr::V4(local)) = stream.local_addr() else {
            continue;
        };
        let Some(bmc) = shared.bmcs.get(local.ip()).cloned() else {
            continue; // not a fleet address (or not loopback): close at once
        };
        bmc.connections
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if bmc.faults().reset {
            // Linger 0 makes the close an RST; with a zero timeout the drop never blocks.
            #[allow(deprecated)]
            let _ = stream.set_linger(Some(Duration::ZERO));
            continue; // RST
        }
        let _ = stream.set_nodelay(true); // no Nagle wait on the last segment of a reply
        let shared = shared.clone();
        tokio::spawn(async move {
            let Ok(tls) = tls_for(&shared, &bmc) else {
                return;
            };
            let Ok(stream) = tokio_rustls::TlsAcceptor::from(tls).accept(stream).await else {
                return;
            };
            let app = shared
                .router
                .clone()
                .layer(Extension(bmc))
                .layer(Extension(shared.clone()));
            let service = hyper_util::service::TowerToHyperService::new(app);
            let _ =
                hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new())
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
        });
    }
}

/// The BMC's TLS setup, made on first use: a certificate for its address from the fleet CA.
fn tls_for(shared: &Shared, bmc: &SimBmc) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    if let Some(c) = bmc.tls.get() {
        return Ok(c.clone());
    }
    let mut params = CertificateParams::new(vec![bmc.ip.to_string()])?;
    params
        .distinguished_name
        .push(DnType::CommonName, format!("bmc{}", bmc.index));
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, &shared.ca_cert, &shared.ca_key)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der())
                .map_err(|e| anyhow::anyhow!("sim key: {e}"))?,
        )?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let config = Arc::new(config);
    Ok(bmc.tls.get_or_init(|| config).clone())
}

type St = Extension<Arc<Shared>>;
type B = Extension<Arc<SimBmc>>;

fn routes() -> Router {
    Router::new()
        .route(
            "/redfish",
            get(|| async { Json(json!({"v1": "/redfish/v1/"})) }),
        )
        .route("/redfish/v1", get(root))
        .route("/redfish/v1/", get(root))
        .route("/redfish/v1/Systems", get(systems))
        .route("/redfish/v1/Systems/{id}", get(system))
        .route(
            "/redfish/v1/Systems/{id}/EthernetInterfaces",
            get(system_nics),
        )
        .route(
            "/redfish/v1/Systems/{id}/EthernetInterfaces/{nic}",
            get(system_nic),
        )
        .route(
            "/redfish/v1/Systems/{id}/Actions/ComputerSystem.Reset",
            post(reset),
        )
        .route("/redfish/v1/Managers", get(managers))
        .route("/redfish/v1/Managers/BMC", get(manager))
        .route(
            "/redfish/v1/Managers/BMC/EthernetInterfaces",
            get(manager_nics),
        )
        .route(
            "/redfish/v1/Managers/BMC/EthernetInterfaces/1",
            get(manager_nic),
        )
        .route("/redfish/v1/Chassis", get(chassis_list))
        .route("/redfish/v1/Chassis/{id}", get(chassis))
        .route("/redfish/v1/SessionService/Sessions", post(login))
        .route(
            "/redfish/v1/SessionService/Sessions/{id}",
            axum::routing::delete(logout),
        )
        .fallback(|| async {
            redfish_error(
                StatusCode::NOT_FOUND,
                "ResourceMissingAtURI",
                "no such resource",
            )
        })
        .layer(axum::middleware::from_fn(gate))
}

fn redfish_error(status: StatusCode, id: &str, message: &str) -> Response {
    let body = json!({"error": {"code": format!("Base.1.8.{id}"), "message": message,
        "@Message.ExtendedInfo": [{"MessageId": format!("Base.1.8.{id}"), "Message": message}]}});
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Faults, latency and authentication before any handler.
async fn gate(req: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let Some(bmc) = req.extensions().get::<Arc<SimBmc>>().cloned() else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    bmc.requests
        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let faults = bmc.faults();
    if !faults.latency.is_zero() {
        tokio::time::sleep(faults.latency).await;
    }
    if faults.hang {
        tokio::time::sleep(HANG).await;
        return StatusCode::GATEWAY_TIMEOUT.into_response();
    }
    let path = req.uri().path();
    let open = matches!(path, "/redfish" | "/redfish/v1" | "/redfish/v1/")
        || (path == "/redfish/v1/SessionService/Sessions" && req.method() == http::Method::POST);
    if faults.error_500 && !matches!(path, "/redfish/v1" | "/redfish/v1/") {
        return redfish_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "InternalError",
            "simulated failure",
        );
    }
    if !open && !authorized(&bmc, req.headers(), &faults) {
        let mut r = redfish_error(
            StatusCode::UNAUTHORIZED,
            "NoValidSession",
            "authentication required",
        );
        r.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            http::HeaderValue::from_static("Basic realm=\"simulated BMC\""),
        );
        return r;
    }
    let mut resp = next.run(req).await;
    resp.headers_mut()
        .insert("odata-version", http::HeaderValue::from_static("4.0"));
    resp
}

fn authorized(bmc: &SimBmc, headers: &HeaderMap, faults: &Faults) -> bool {
    if faults.wrong_credentials {
        return false;
    }
    if let Some(t) = headers.get("x-auth-token").and_then(|v| v.to_str().ok()) {
        return bmc
            .sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .any(|v| v == t);
    }
    let Some(basic) = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Basic "))
    else {
        return false;
    };
    let Ok(decoded) = base64::engine::general_purpose::STANDARD.decode(basic.trim()) else {
        return false;
    };
    let text = String::from_utf8_lossy(&decoded);
    text.split_once(':') == Some((bmc.user.as_str(), bmc.password.as_str()))
}

async fn root(Extension(bmc): B) -> Json<Value> {
    Json(json!({
        "@odata.id": "/redfish/v1/", "@odata.type": "#ServiceRoot.v1_9_0.ServiceRoot",
        "Id": "RootService", "Name": "Simulated BMC", "RedfishVersion": "1.11.0",
        "UUID": format!("5eb00000-0000-4000-8000-{:012x}", bmc.index),
        "Vendor": "chami-sim",
        "Systems": {"@odata.id": "/redfish/v1/Systems"},
        "Managers": {"@odata.id": "/redfish/v1/Managers"},
        "Chassis": {"@odata.id": "/redfish/v1/Chassis"},
        "SessionService": {"@odata.id": "/redfish/v1/SessionService"},
        "Links": {"Sessions": {"@odata.id": "/redfish/v1/SessionService/Sessions"}},
    }))
}

fn collection(id: &str, members: Vec<String>) -> Json<Value> {
    Json(json!({
        "@odata.id": id, "Name": id.rsplit('/').next().unwrap_or(id),
        "Members@odata.count": members.len(),
        "Members": members.iter().map(|m| json!({"@odata.id": m})).collect::<Vec<_>>(),
    }))
}

async fn systems(Extension(bmc): B) -> Json<Value> {
    collection(
        "/redfish/v1/Systems",
        bmc.systems
            .iter()
            .map(|s| format!("/redfish/v1/Systems/{}", s.id))
            .collect(),
    )
}

fn find<'a>(bmc: &'a SimBmc, id: &str) -> Option<&'a SimSystem> {
    bmc.systems.iter().find(|s| s.id == id)
}

fn no_system(id: &str) -> Response {
    redfish_error(
        StatusCode::NOT_FOUND,
        "ResourceMissingAtURI",
        &format!("no system {id}"),
    )
}

async fn system(Extension(bmc): B, Path(id): Path<String>) -> Response {
    let Some(s) = find(&bmc, &id) else {
        return no_system(&id);
    };
    let power = s.power.lock().unwrap_or_else(|p| p.into_inner()).settle();
    let base = format!("/redfish/v1/Systems/{}", s.id);
    Json(json!({
        "@odata.id": base, "@odata.type": "#ComputerSystem.v1_13_0.ComputerSystem",
        "Id": s.id, "Name": s.id, "UUID": s.uuid, "SystemType": "Physical",
        "Manufacturer": "chami-sim", "Model": "SIM-1", "SerialNumber": format!("SIM{:04}{}", bmc.index, s.id),
        "BiosVersion": "1.0.0", "PowerState": power.as_str(),
        "Status": {"State": "Enabled", "Health": "OK"},
        "ProcessorSummary": {"Count": 2, "Model": "Simulated CPU"},
        "MemorySummary": {"TotalSystemMemoryGiB": 256},
        "EthernetInterfaces": {"@odata.id": format!("{base}/EthernetInterfaces")},
        "Links": {"ManagedBy": [{"@odata.id": "/redfish/v1/Managers/BMC"}],
                  "Chassis": [{"@odata.id": format!("/redfish/v1/Chassis/{}", s.id)}]},
        "Actions": {"#ComputerSystem.Reset": {
            "target": format!("{base}/Actions/ComputerSystem.Reset"),
            "ResetType@Redfish.AllowableValues": RESET_TYPES,
        }},
    }))
    .into_response()
}

async fn system_nics(Extension(bmc): B, Path(id): Path<String>) -> Response {
    match find(&bmc, &id) {
        Some(s) => collection(
            &format!("/redfish/v1/Systems/{}/EthernetInterfaces", s.id),
            vec![format!("/redfish/v1/Systems/{}/EthernetInterfaces/1", s.id)],
        )
        .into_response(),
        None => no_system(&id),
    }
}

async fn system_nic(Extension(bmc): B, Path((id, nic)): Path<(String, String)>) -> Response {
    let Some(s) = find(&bmc, &id) else {
        return no_system(&id);
    };
    if nic != "1" {
        return redfish_error(
            StatusCode::NOT_FOUND,
            "ResourceMissingAtURI",
            "no such interface",
        );
    }
    Json(json!({
        "@odata.id": format!("/redfish/v1/Systems/{}/EthernetInterfaces/1", s.id),
        "Id": "1", "Name": "HSN0", "MACAddress": s.mac, "PermanentMACAddress": s.mac,
        "InterfaceEnabled": true,
    }))
    .into_response()
}

async fn reset(
    Extension(bmc): B,
    Extension(shared): St,
    Path(id): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let Some(s) = find(&bmc, &id) else {
        return no_system(&id);
    };
    let reset_type = serde_json::from_slice::<Value>(&body).ok().and_then(|v| {
        v.get("ResetType")
            .and_then(Value::as_str)
            .map(str::to_string)
    });
    let Some(reset_type) = reset_type else {
        return redfish_error(
            StatusCode::BAD_REQUEST,
            "ActionParameterMissing",
            "ResetType is required",
        );
    };
    if !RESET_TYPES.contains(&reset_type.as_str()) {
        return redfish_error(
            StatusCode::BAD_REQUEST,
            "ActionParameterValueNotInList",
            &format!(
                "ResetType {reset_type} is not one of {}",
                RESET_TYPES.join(", ")
            ),
        );
    }
    {
        let mut f = bmc.faults.lock().unwrap_or_else(|p| p.into_inner());
        if f.busy_resets > 0 {
            f.busy_resets -= 1;
            drop(f);
            return redfish_error(
                StatusCode::SERVICE_UNAVAILABLE,
                "ServiceTemporarilyUnavailable",
                "simulated busy BMC: the reset was not taken",
            );
        }
    }
    let late = bmc.faults().late_reset;
    if let Err(why) = apply(s, &reset_type, shared.config.power_delay) {
        return redfish_error(StatusCode::CONFLICT, "ActionNotSupported", &why);
    }
    s.resets
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(reset_type);
    if !late.is_zero() {
        tokio::time::sleep(late).await;
    }
    StatusCode::NO_CONTENT.into_response()
}

/// Applies a reset to a system's power (a change shows after `delay`);
/// an error says why the reset cannot be taken.
fn apply(s: &SimSystem, reset_type: &str, delay: Duration) -> Result<(), String> {
    let mut p = s.power.lock().unwrap_or_else(|p| p.into_inner());
    let now = p.settle();
    let at = Instant::now() + delay;
    match reset_type {
        "On" => {
            if now == Power::Off {
                p.pending = Some((Power::On, at));
            }
        }
        "ForceOff" => {
            p.now = Power::Off;
            p.pending = None;
        }
        "GracefulShutdown" => {
            if now == Power::On {
                p.pending = Some((Power::Off, at));
            }
        }
        // Restarts: off at once, back on after the delay (as sushy-tools shows it).
        _ => {
            if now == Power::On || reset_type == "PowerCycle" {
                p.now = Power::Off;
                p.pending = Some((Power::On, at));
            } else {
                return Err(format!("{reset_type} needs the system on; it is off"));
            }
        }
    }
    Ok(())
}

async fn managers() -> Json<Value> {
    collection(
        "/redfish/v1/Managers",
        vec!["/redfish/v1/Managers/BMC".into()],
    )
}

async fn manager(Extension(bmc): B) -> Json<Value> {
    Json(json!({
        "@odata.id": "/redfish/v1/Managers/BMC", "@odata.type": "#Manager.v1_10_0.Manager",
        "Id": "BMC", "Name": "Simulated BMC", "ManagerType": "BMC",
        "UUID": format!("5eb00000-0000-4000-8000-{:012x}", bmc.index),
        "FirmwareVersion": "sim-1.0", "Model": "SIM-BMC",
        "EthernetInterfaces": {"@odata.id": "/redfish/v1/Managers/BMC/EthernetInterfaces"},
        "Links": {"ManagerForServers": bmc.systems.iter()
            .map(|s| json!({"@odata.id": format!("/redfish/v1/Systems/{}", s.id)})).collect::<Vec<_>>()},
        "Actions": {"#Manager.Reset": {"target": "/redfish/v1/Managers/BMC/Actions/Manager.Reset",
            "ResetType@Redfish.AllowableValues": ["ForceRestart", "GracefulRestart"]}},
    }))
}

async fn manager_nics() -> Json<Value> {
    collection(
        "/redfish/v1/Managers/BMC/EthernetInterfaces",
        vec!["/redfish/v1/Managers/BMC/EthernetInterfaces/1".into()],
    )
}

async fn manager_nic(Extension(bmc): B) -> Json<Value> {
    Json(json!({
        "@odata.id": "/redfish/v1/Managers/BMC/EthernetInterfaces/1",
        "Id": "1", "Name": "Manager NIC", "MACAddress": bmc.mac, "PermanentMACAddress": bmc.mac,
        "IPv4Addresses": [{"Address": bmc.ip.to_string(), "AddressOrigin": "Static", "SubnetMask": "255.0.0.0"}],
        "InterfaceEnabled": true,
    }))
}

async fn chassis_list(Extension(bmc): B) -> Json<Value> {
    collection(
        "/redfish/v1/Chassis",
        bmc.systems
            .iter()
            .map(|s| format!("/redfish/v1/Chassis/{}", s.id))
            .collect(),
    )
}

async fn chassis(Extension(bmc): B, Path(id): Path<String>) -> Response {
    match find(&bmc, &id) {
        Some(s) => Json(json!({
            "@odata.id": format!("/redfish/v1/Chassis/{}", s.id), "Id": s.id,
            "ChassisType": "RackMount", "Manufacturer": "chami-sim", "Model": "SIM-1",
            "Links": {"ComputerSystems": [{"@odata.id": format!("/redfish/v1/Systems/{}", s.id)}]},
        }))
        .into_response(),
        None => no_system(&id),
    }
}

async fn login(Extension(bmc): B, Extension(shared): St, body: axum::body::Bytes) -> Response {
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let user = v["UserName"].as_str().unwrap_or_default();
    let pass = v["Password"].as_str().unwrap_or_default();
    if bmc.faults().wrong_credentials
        || user != shared.config.user
        || pass != shared.config.password
    {
        return redfish_error(
            StatusCode::UNAUTHORIZED,
            "NoValidSession",
            "invalid credentials",
        );
    }
    let id = uuid::Uuid::new_v4().simple().to_string();
    let token = uuid::Uuid::new_v4().simple().to_string();
    bmc.sessions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(id.clone(), token.clone());
    let location = format!("/redfish/v1/SessionService/Sessions/{id}");
    (
        StatusCode::CREATED,
        [
            ("x-auth-token", token),
            (header::LOCATION.as_str(), location.clone()),
        ],
        Json(json!({"@odata.id": location, "Id": id, "UserName": user})),
    )
        .into_response()
}

async fn logout(Extension(bmc): B, Path(id): Path<String>) -> StatusCode {
    match bmc
        .sessions
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .remove(&id)
    {
        Some(_) => StatusCode::NO_CONTENT,
        None => StatusCode::NOT_FOUND,
    }
}
