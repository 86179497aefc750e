//! A simulated BMC fleet registered and discovered in a test core.

use std::path::Path;
use std::time::Duration;

use chami::server::config::ServeArgs;
use chami::sim::{Fleet, SimConfig};
use reqwest::StatusCode;
use serde_json::{json, Value};

use super::TestServer;

pub struct Rig {
    pub fleet: Fleet,
    pub t: TestServer,
    /// The fleet's CA, which the core reads again when it restarts.
    pub ca: tempfile::TempPath,
}

/// `bmcs` BMCs with two nodes each, registered as x3000c0s{i}b0 and discovered.
pub async fn rig(bmcs: u32, delay: Duration) -> Rig {
    let (fleet, ca) = fleet(bmcs, delay).await;
    let t = TestServer::start_with(reach(&fleet, &ca)).await;
    register(&t, &fleet, bmcs).await;
    Rig { fleet, t, ca }
}

/// A simulated fleet of `bmcs` BMCs with two nodes each, and its CA in a file.
pub async fn fleet(bmcs: u32, delay: Duration) -> (Fleet, tempfile::TempPath) {
    let fleet = Fleet::start(SimConfig {
        bmcs,
        nodes_per_bmc: 2,
        power_delay: delay,
        ..SimConfig::default()
    })
    .await
    .expect("fleet");
    let ca = tempfile::NamedTempFile::new().unwrap().into_temp_path();
    std::fs::write(&ca, fleet.ca_pem()).unwrap();
    (fleet, ca)
}

/// Settings for a core that reaches `fleet`'s BMCs, trusting the CA at `ca`.
pub fn reach(fleet: &Fleet, ca: &Path) -> impl Fn(&mut ServeArgs) + Clone {
    let ca_path = ca.to_path_buf();
    let port = fleet.port;
    move |a: &mut ServeArgs| {
        a.redfish_ca_cert = Some(ca_path.clone());
        a.redfish_port = port;
        a.redfish_timeout = 1;
        a.power_poll_ms = 20;
    }
}

/// What registering and discovering a fleet needs of a core: requests as an admin.
#[allow(async_fn_in_trait)]
pub trait Admin {
    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value);
    async fn get(&self, path: &str) -> (StatusCode, Value);
}

impl Admin for TestServer {
    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        TestServer::post(self, path, body).await
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        TestServer::get(self, path).await
    }
}

/// Registers the fleet's BMCs in `t` as x3000c0s{i}b0 and discovers them.
pub async fn register(t: &TestServer, fleet: &Fleet, bmcs: u32) {
    register_as(t, fleet, (0..bmcs).map(|i| (format!("x3000c0s{i}b0"), i))).await
}

/// Registers BMCs (xname, fleet index) in `core` and discovers them.
pub async fn register_as(
    core: &impl Admin,
    fleet: &Fleet,
    bmcs: impl IntoIterator<Item = (String, u32)>,
) {
    let (user, pass) = fleet.credentials();
    let eps: Vec<Value> = bmcs
        .into_iter()
        .map(|(id, i)| {
            json!({"ID": id, "FQDN": chami::sim::bmc_ip(i).to_string(),
                   "User": user, "Password": pass})
        })
        .collect();
    let (status, body) = core
        .post(
            "/hsm/v2/Inventory/RedfishEndpoints",
            json!({"RedfishEndpoints": eps}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Discover; under a loaded test machine a BMC may miss its timeout, so the ones that
    // did are discovered again (at most four rounds), as an operator would.
    let mut todo: Vec<String> = Vec::new();
    for _round in 0..4 {
        let (status, body) = core
            .post("/hsm/v2/Inventory/Discover", json!({"xnames": todo}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let st = wait_complete(core).await;
        todo = st["Details"]
            .as_object()
            .unwrap()
            .iter()
            .filter(|(_, d)| d["LastDiscoveryStatus"] != "DiscoverOK")
            .map(|(id, _)| id.clone())
            .collect();
        if todo.is_empty() {
            return;
        }
    }
    panic!("discovery kept failing for {todo:?}");
}

/// Waits (at most two minutes) for discovery to complete; its status.
pub async fn wait_complete(core: &impl Admin) -> Value {
    for _ in 0..2400 {
        let (_, st) = core.get("/hsm/v2/Inventory/DiscoveryStatus/0").await;
        if st["Status"] == "Complete" {
            return st;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("discovery did not complete");
}
