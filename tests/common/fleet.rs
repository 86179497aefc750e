//! A simulated BMC fleet registered and discovered in a test core.

use std::path::Path;
use std::time::Duration;

use chami::config::ServeArgs;
use chami::redfish::sim::{Fleet, SimConfig};
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

/// Registers the fleet's BMCs in `t` and discovers them.
pub async fn register(t: &TestServer, fleet: &Fleet, bmcs: u32) {
    let (user, pass) = fleet.credentials();
    let eps: Vec<Value> = (0..bmcs)
        .map(|i| {
            json!({"ID": format!("x3000c0s{i}b0"), "FQDN": chami::redfish::sim::bmc_ip(i).to_string(),
                   "User": user, "Password": pass})
        })
        .collect();
    let (status, body) = t
        .post(
            "/hsm/v2/Inventory/RedfishEndpoints",
            json!({"RedfishEndpoints": eps}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // Discover; under a loaded test machine a BMC may miss the 1 s timeout, so the ones that
    // did are discovered again (at most three rounds), as an operator would.
    let mut todo: Vec<String> = Vec::new();
    for _round in 0..3 {
        let (status, body) = t
            .post("/hsm/v2/Inventory/Discover", json!({"xnames": todo}))
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let st = wait_complete(t).await;
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

pub async fn wait_complete(t: &TestServer) -> Value {
    for _ in 0..400 {
        let (_, st) = t.get("/hsm/v2/Inventory/DiscoveryStatus/0").await;
        if st["Status"] == "Complete" {
            return st;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("discovery did not complete");
}
