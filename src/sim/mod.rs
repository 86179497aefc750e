//! A simulated BMC fleet: many Redfish services behind one listener, each on its own loopback
//! address (the accepted socket's local address picks the BMC), over HTTPS with certificates
//! from the fleet's own CA. Power changes take a configurable delay; faults are injected per
//! BMC. It backs `chami sim`, the demo, tests and benchmarks; nothing in the core uses it.
//!
//! This file holds the fleet and each BMC's state; `listener` accepts connections and picks
//! the BMC, `handlers` answers Redfish.

mod caps;
mod handlers;

pub use caps::recorded_power;
mod listener;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::Router;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};

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

/// The power limits every simulated node takes, watts (0 lifts the limit).
pub const CAP_RANGE: (i64, i64) = (350, 850);

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
    /// Its power limit, watts; None: no limit.
    limit: Mutex<Option<i64>>,
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

    /// Whether this BMC offers power limits as Redfish `Controls` (odd BMCs, as a Cray EX
    /// blade does) rather than only `Power.PowerControl` (even BMCs).
    pub fn offers_controls(&self) -> bool {
        self.index % 2 == 1
    }

    /// A system's power limit (None: no limit); None when it has no such system.
    pub fn power_limit(&self, system: &str) -> Option<Option<i64>> {
        let s = self.systems.iter().find(|s| s.id == system)?;
        Some(*s.limit.lock().unwrap_or_else(|p| p.into_inner()))
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
                        limit: Mutex::new(None),
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
            router: handlers::routes(),
        });
        let task = tokio::spawn(listener::accept_loop(listener, shared.clone()));
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
