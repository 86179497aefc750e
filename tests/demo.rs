//! The demo cluster seeds every inventory resource consistently.

mod common;

use std::time::Duration;

use common::TestServer;
use reqwest::StatusCode;
use serde_json::json;

/// The typed client of an admin named `demo-admin`, as the demo seeds with.
fn demo_admin(t: &TestServer) -> chami::client::Client {
    let token = chami::server::local::admin_token(&t.server, "demo-admin").expect("token");
    chami::server::local::client(&t.server, &token).expect("client")
}

#[tokio::test]
async fn demo_seed_fills_every_inventory_resource() {
    let t = TestServer::start().await;
    chami::server::demo::seed(&demo_admin(&t), 300)
        .await
        .expect("seed");
    let nodes = t.ids("/hsm/v2/State/Components?type=Node").await;
    assert_eq!(nodes.len(), 300);
    let (_, eps) = t.get("/hsm/v2/Inventory/RedfishEndpoints").await;
    assert_eq!(eps["RedfishEndpoints"].as_array().unwrap().len(), 150);
    let (_, ifs) = t.get("/hsm/v2/Inventory/EthernetInterfaces").await;
    assert_eq!(ifs.as_array().unwrap().len(), 300);
    let (status, hw) = t.get("/hsm/v2/Inventory/Hardware/x1000c0s0b0n1").await;
    assert_eq!(status, StatusCode::OK, "{hw}");
    assert_eq!(
        hw["PopulatedFRU"]["NodeFRUInfo"]["SerialNumber"],
        "CX0000001"
    );
    // Demo states survive endpoint ingestion (existing components are kept).
    let (_, n0) = t.get("/hsm/v2/State/Components/x1000c0s0b0n0").await;
    assert_eq!(n0["State"], "Off");
    assert_eq!(n0["Role"], "Management");
    // Exclusive queues split the compute nodes; p1 holds the first half.
    let batch = t.ids("/hsm/v2/State/Components?group=batch").await;
    let debug = t.ids("/hsm/v2/State/Components?group=debug").await;
    let compute = t.ids("/hsm/v2/State/Components?group=compute").await;
    assert_eq!(batch.len() + debug.len(), compute.len());
    assert!(batch.iter().all(|b| !debug.contains(b)));
    let p1 = t.ids("/hsm/v2/State/Components?partition=p1").await;
    assert_eq!(p1.len(), 150);
    // Every node boots: x86 compute from Default, Arm from its group, management by role.
    for (mac, want) in [
        ("02:00:00:00:00:10", "x86_64/initrd.img"),
        ("02:00:00:00:00:0f", "aarch64/initrd.img"),
        ("02:00:00:00:00:00", "x86_64/initrd-mgmt.img"),
    ] {
        let resp = t
            .client
            .get(t.url(&format!("/boot/v1/bootscript?mac={mac}")))
            .send()
            .await
            .expect("bootscript");
        assert_eq!(resp.status(), StatusCode::OK, "{mac}");
        let text = resp.text().await.unwrap();
        assert!(text.contains(want), "{mac}: {text}");
    }
    // The seeding went through the API: every write is in the audit, by the demo's admin.
    let (status, audit) = t.get("/audit?subject=demo-admin&limit=1000").await;
    assert_eq!(status, StatusCode::OK, "{audit}");
    let entries = audit.as_array().expect("audit entries");
    let writes = |path: &str| {
        entries
            .iter()
            .filter(|e| e["method"] == "POST" && e["path"] == path && e["outcome"] == "ok")
            .count()
    };
    assert_eq!(writes("/hsm/v2/State/Components"), 1, "{audit}");
    assert_eq!(writes("/hsm/v2/Inventory/RedfishEndpoints"), 1, "{audit}");
    assert_eq!(writes("/hsm/v2/groups"), 5, "{audit}");
    assert_eq!(writes("/hsm/v2/partitions"), 1, "{audit}");
    assert_eq!(writes("/boot/v1/bootparameters"), 4, "{audit}");
}

/// The demo's BMCs are simulated: power status reads them, and a transition moves them and
/// the inventory.
#[tokio::test]
async fn demo_power_runs_against_the_simulated_bmcs() {
    let cluster = chami::server::demo::DemoCluster::built_in().expect("demo description");
    let fleet = cluster
        .start_fleet(8, Duration::from_millis(50))
        .await
        .expect("fleet");
    let ca_dir = tempfile::tempdir().unwrap();
    let t = TestServer::start_with(|a| {
        chami::server::demo::with_fleet(a, &fleet, ca_dir.path()).expect("fleet config");
        a.power_poll_ms = 20;
    })
    .await;
    chami::server::demo::seed(&demo_admin(&t), 8)
        .await
        .expect("seed");
    // Node 0 starts Off, node 1 Ready (on), as the demo's state cycle says.
    let (status, body) = t
        .get("/power-control/v1/power-status?xname=x1000c0s0b0n0&xname=x1000c0s0b0n1")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let power: Vec<(&str, &str)> = body["status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["xname"].as_str().unwrap(),
                s["powerState"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        power,
        [("x1000c0s0b0n0", "off"), ("x1000c0s0b0n1", "on")],
        "{body}"
    );
    let (status, body) = t
        .post(
            "/power-control/v1/transitions",
            json!({"operation": "On", "location": [{"xname": "x1000c0s0b0n0"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["transitionID"].as_str().unwrap().to_string();
    let mut last = serde_json::Value::Null;
    for _ in 0..200 {
        let (_, tr) = t.get(&format!("/power-control/v1/transitions/{id}")).await;
        if tr["transitionStatus"] == "completed" {
            last = tr;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(last["taskCounts"]["succeeded"], 1, "{last}");
    assert_eq!(fleet.bmc(0).unwrap().power("Node0"), Some("On"));
    let (_, n0) = t.get("/hsm/v2/State/Components/x1000c0s0b0n0").await;
    assert_eq!(n0["State"], "On");
}
