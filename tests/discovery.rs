//! Discovery against the simulated BMC fleet over HTTPS: registered endpoints are walked and
//! fill components (with NIDs), component endpoints with reset types, and interfaces; failing
//! BMCs are marked with SMD's statuses and do not stop the others.

mod common;

use std::time::Duration;

use chami::service::auth::Role;
use chami::sim::{Faults, Fleet, SimConfig};
use common::{assert_problem, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const EPS: &str = "/hsm/v2/Inventory/RedfishEndpoints";

async fn setup() -> (Fleet, TestServer) {
    let fleet = Fleet::start(SimConfig {
        bmcs: 4,
        nodes_per_bmc: 2,
        power_delay: Duration::from_millis(50),
        ..SimConfig::default()
    })
    .await
    .expect("fleet");
    let ca = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(ca.path(), fleet.ca_pem()).unwrap();
    let port = fleet.port;
    let ca_path = ca.path().to_path_buf();
    let t = TestServer::start_with(move |a| {
        a.redfish_ca_cert = Some(ca_path);
        a.redfish_port = port;
        a.redfish_timeout = 1;
    })
    .await;
    drop(ca);
    (fleet, t)
}

async fn wait_complete(t: &TestServer) -> Value {
    for _ in 0..200 {
        let (status, body) = t.get("/hsm/v2/Inventory/DiscoveryStatus/0").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if body["Status"] == "Complete" {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("discovery did not complete within 10 s");
}

#[tokio::test]
async fn discovery_fills_inventory_and_marks_failures() {
    let (fleet, t) = setup().await;
    let (user, pass) = fleet.credentials();
    let bodies = [
        json!({"ID": "x3000c0s1b0", "FQDN": "127.10.0.1", "User": user, "Password": pass}),
        json!({"ID": "x3000c0s2b0", "FQDN": "127.10.0.2", "User": user, "Password": pass}),
        json!({"ID": "x3000c0s3b0", "FQDN": "127.10.0.3", "User": user, "Password": "wrong"}),
        json!({"ID": "x3000c0s4b0", "FQDN": "127.10.0.4", "User": user, "Password": pass}),
    ];
    for b in bodies {
        let (status, body) = t.post(EPS, b).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    fleet.bmc(3).unwrap().set_faults(Faults {
        hang: true,
        ..Faults::default()
    });

    let (status, body) = t.post("/hsm/v2/Inventory/Discover", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!([{"URI": "/hsm/v2/Inventory/DiscoveryStatus/0"}])
    );
    let done = wait_complete(&t).await;
    assert_eq!(
        done["Details"]["x3000c0s1b0"]["LastDiscoveryStatus"], "DiscoverOK",
        "{done}"
    );

    // The good BMCs' nodes are in inventory with NIDs, reset types and MACs.
    let (_, n) = t.get("/hsm/v2/State/Components/x3000c0s2b0n1").await;
    assert_eq!(n["Type"], "Node", "{n}");
    assert_eq!(n["State"], "Off");
    assert!(n["NID"].as_i64().is_some(), "{n}");
    // As SMD's discovery fills them: Arch from the processors, NetType, Class.
    assert_eq!(
        (&n["Arch"], &n["NetType"], &n["Class"]),
        (&json!("X86"), &json!("Sling"), &json!("River")),
        "{n}"
    );
    let (_, b) = t.get("/hsm/v2/State/Components/x3000c0s2b0").await;
    assert_eq!(
        (&b["Arch"], &b["Class"]),
        (&json!("X86"), &json!("River")),
        "{b}"
    );
    let (_, bmc) = t
        .get("/hsm/v2/Inventory/ComponentEndpoints/x3000c0s2b0")
        .await;
    let mac = bmc["MACAddr"].as_str().unwrap_or_default();
    assert!(!mac.is_empty(), "the BMC's MAC from its manager NIC: {bmc}");
    let nics = &bmc["RedfishManagerInfo"]["EthernetNICInfo"];
    assert_eq!(nics[0]["RedfishId"], "1", "{bmc}");
    assert_eq!(nics[0]["MACAddress"], mac, "{bmc}");
    let (_, hw) = t.get("/hsm/v2/Inventory/Hardware/x3000c0s2b0n1").await;
    let loc = &hw["NodeLocationInfo"];
    assert_eq!(loc["HostName"], "sim0001-node1", "{hw}");
    assert_eq!(loc["Description"], "Simulated compute node", "{hw}");
    assert_eq!(hw["PopulatedFRU"]["Subtype"], "", "{hw}");
    let (_, ce) = t
        .get("/hsm/v2/Inventory/ComponentEndpoints/x3000c0s2b0n1")
        .await;
    assert_eq!(
        ce["RedfishSystemInfo"]["Actions"]["#ComputerSystem.Reset"]
            ["ResetType@Redfish.AllowableValues"],
        json!([
            "On",
            "ForceOff",
            "GracefulShutdown",
            "GracefulRestart",
            "ForceRestart",
            "PowerCycle"
        ]),
        "{ce}"
    );
    // What power capping needs: BMC 1 offers the Controls schema, BMC 0 only PowerControl
    // with a Cray OEM range ("OEM", as SMD records it).
    let info = &ce["RedfishSystemInfo"];
    assert_eq!(info["PowerURL"], "/redfish/v1/Chassis/Node1/Power", "{ce}");
    assert_eq!(
        info["Controls"][0]["URL"], "/redfish/v1/Chassis/Node1/Controls/NodePowerLimit",
        "{ce}"
    );
    assert_eq!(
        info["Controls"][0]["Control"]["SettingRangeMax"], 850,
        "{ce}"
    );
    assert_eq!(
        info["PowerControl"][0]["Name"], "Node Power Control",
        "{ce}"
    );
    let (_, other) = t
        .get("/hsm/v2/Inventory/ComponentEndpoints/x3000c0s1b0n0")
        .await;
    let info = &other["RedfishSystemInfo"];
    assert!(info.get("Controls").is_none(), "{other}");
    assert_eq!(
        info["PowerControl"][0]["OEM"]["Cray"]["PowerLimit"],
        json!({"Min": 350, "Max": 850}),
        "{other}"
    );
    let (_, nics) = t
        .get("/hsm/v2/Inventory/EthernetInterfaces?ComponentID=x3000c0s2b0n1")
        .await;
    assert_eq!(nics[0]["MACAddress"], "02:5e:01:00:00:03", "{nics}");
    let (_, ep) = t.get(&format!("{EPS}/x3000c0s1b0")).await;
    assert_eq!(
        ep["DiscoveryInfo"]["LastDiscoveryStatus"], "DiscoverOK",
        "{ep}"
    );
    assert_eq!(ep["DiscoveryInfo"]["RedfishVersion"], "1.11.0");

    // Wrong credentials and a hanging BMC are named; their nodes were not invented.
    let (_, ep) = t.get(&format!("{EPS}/x3000c0s3b0")).await;
    assert_eq!(
        ep["DiscoveryInfo"]["LastDiscoveryStatus"], "VerificationFailed",
        "{ep}"
    );
    assert!(
        done["Details"]["x3000c0s3b0"]["Error"]
            .as_str()
            .unwrap()
            .contains("refused the credentials"),
        "{done}"
    );
    let (_, ep) = t.get(&format!("{EPS}/x3000c0s4b0")).await;
    assert_eq!(
        ep["DiscoveryInfo"]["LastDiscoveryStatus"], "HTTPsGetFailed",
        "{ep}"
    );
    assert_eq!(
        t.get("/hsm/v2/State/Components/x3000c0s4b0n0").await.0,
        StatusCode::NOT_FOUND
    );

    // Fix the BMC and rediscover just it.
    fleet.bmc(3).unwrap().set_faults(Faults::default());
    let (status, body) = t
        .post(
            "/hsm/v2/Inventory/Discover",
            json!({"xnames": ["x3000c0s4b0"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    wait_complete(&t).await;
    let (status, _) = t.get("/hsm/v2/State/Components/x3000c0s4b0n0").await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn discover_refuses_bad_requests() {
    let (_fleet, t) = setup().await;
    assert_problem(
        &t.post(
            "/hsm/v2/Inventory/Discover",
            json!({"xnames": ["x3000c0s9b0"]}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "no such Redfish endpoint: x3000c0s9b0",
    );
    assert_problem(
        &t.post("/hsm/v2/Inventory/Discover", json!({"xnames": ["bogus"]}))
            .await,
        StatusCode::BAD_REQUEST,
        "bogus",
    );
    let viewer = t.token("v", &[Role::Viewer]);
    let got = t
        .call(
            Method::POST,
            "/hsm/v2/Inventory/Discover",
            Some(&viewer),
            Some(json!({})),
        )
        .await;
    assert_eq!(got.0, StatusCode::FORBIDDEN, "{}", got.1);
    assert_problem(
        &t.get("/hsm/v2/Inventory/DiscoveryStatus/7").await,
        StatusCode::NOT_FOUND,
        "there is only 0",
    );
}

/// Runs `chami discover ARGS` against the test server; returns exit code, stdout, stderr.
async fn chami_discover(t: &TestServer, args: &[&str]) -> (i32, String, String) {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_chami"));
    for (k, _) in std::env::vars() {
        if k.starts_with("CHAMI_") {
            cmd.env_remove(k);
        }
    }
    cmd.env("XDG_CONFIG_HOME", "/nonexistent/chami-test-config")
        .arg("discover")
        .args(["--server", &t.server.url(), "--token", &t.admin])
        .arg("--ca-cert")
        .arg(t.server.ca.as_ref().unwrap())
        .args(args);
    // The server runs on this test's runtime: wait for the child off it.
    let out = tokio::task::spawn_blocking(move || cmd.output())
        .await
        .unwrap()
        .expect("run chami discover");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test]
async fn chami_discover_names_bmcs_by_xname_or_address_and_reports_failures() {
    let (fleet, t) = setup().await;
    let (user, pass) = fleet.credentials();
    for (id, ip) in [("x3000c0s1b0", "127.10.0.1"), ("x3000c0s2b0", "127.10.0.2")] {
        let (status, body) = t
            .post(
                EPS,
                json!({"ID": id, "FQDN": ip, "User": user, "Password": pass}),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (code, out, err) = chami_discover(&t, &["x3000c0s1b0", "127.10.0.2", "-o", "json"]).await;
    assert_eq!(code, 0, "stdout {out}\nstderr {err}");
    let rows: Value = serde_json::from_str(&out).expect("JSON output");
    assert_eq!(
        rows,
        json!([
            {"ID": "x3000c0s1b0", "FQDN": "127.10.0.1", "LastDiscoveryStatus": "DiscoverOK"},
            {"ID": "x3000c0s2b0", "FQDN": "127.10.0.2", "LastDiscoveryStatus": "DiscoverOK"}
        ])
    );
    let (_, n) = t.get("/hsm/v2/State/Components/x3000c0s2b0n1").await;
    assert_eq!(n["Type"], "Node", "{n}");

    // One BMC hangs: exit 3, the failure named on stderr, the table still printed.
    fleet.bmc(1).unwrap().set_faults(Faults {
        hang: true,
        ..Faults::default()
    });
    let (code, out, err) = chami_discover(&t, &[]).await;
    assert_eq!(code, 3, "stdout {out}\nstderr {err}");
    assert!(out.starts_with("ID "), "{out}");
    assert!(out.contains("x3000c0s1b0  127.10.0.1  DiscoverOK"), "{out}");
    assert!(err.contains("x3000c0s2b0 (127.10.0.2)"), "{err}");
    assert!(
        err.contains("1 of 2 endpoints were not discovered"),
        "{err}"
    );

    // A name no endpoint has: exit 1, nothing started, the name in the message.
    let (code, _, err) = chami_discover(&t, &["10.99.0.1"]).await;
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("no Redfish endpoint has the xname or FQDN 10.99.0.1"),
        "{err}"
    );
}

#[tokio::test]
async fn discovery_records_service_endpoints_and_deletes_undo_it() {
    let (fleet, t) = setup().await;
    let (user, pass) = fleet.credentials();
    for i in 1..=2 {
        let body = json!({"ID": format!("x3000c0s{i}b0"), "FQDN": format!("127.10.0.{i}"),
                          "User": user, "Password": pass});
        let (status, body) = t.post(EPS, body).await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
    }
    let (status, body) = t.post("/hsm/v2/Inventory/Discover", json!({})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    wait_complete(&t).await;

    // Every service the BMC's root links, as SMD records it.
    let (status, body) = t
        .get("/hsm/v2/Inventory/ServiceEndpoints?redfish_ep=x3000c0s1b0")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let types: Vec<&str> = body["ServiceEndpoints"]
        .as_array()
        .expect("array")
        .iter()
        .map(|s| s["RedfishType"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        [
            "AccountService",
            "EventService",
            "SessionService",
            "UpdateService"
        ]
    );
    let (status, update) = t
        .get("/hsm/v2/Inventory/ServiceEndpoints/UpdateService/RedfishEndpoints/x3000c0s1b0")
        .await;
    assert_eq!(status, StatusCode::OK, "{update}");
    assert_eq!(update["OdataID"], "/redfish/v1/UpdateService");
    assert_eq!(update["RedfishEndpointFQDN"], "127.10.0.1");
    assert_eq!(update["RedfishURL"], "127.10.0.1/redfish/v1/UpdateService");
    assert_eq!(update["ServiceInfo"]["ServiceEnabled"], true, "{update}");
    assert!(
        update["UUID"].as_str().is_some_and(|u| !u.is_empty()),
        "{update}"
    );

    // Deleting a service endpoint, then all of them, with SMD's answers.
    let one = "/hsm/v2/Inventory/ServiceEndpoints/UpdateService/RedfishEndpoints/x3000c0s1b0";
    let (status, body) = t.delete(one).await;
    assert_eq!(
        (status, body["message"].clone()),
        (StatusCode::OK, json!("deleted 1 entry"))
    );
    assert_problem(
        &t.delete(one).await,
        StatusCode::NOT_FOUND,
        "no such service",
    );
    assert_problem(&t.get(one).await, StatusCode::NOT_FOUND, "UpdateService");
    let (status, body) = t.delete("/hsm/v2/Inventory/ServiceEndpoints").await;
    assert_eq!(
        (status, body["message"].clone()),
        (StatusCode::OK, json!("deleted 7 entries"))
    );
    assert_problem(
        &t.delete("/hsm/v2/Inventory/ServiceEndpoints").await,
        StatusCode::NOT_FOUND,
        "no entries to delete",
    );

    // Deleting a component endpoint undoes its discovery: the component is Empty.
    let ce = "/hsm/v2/Inventory/ComponentEndpoints/x3000c0s1b0n0";
    let (status, body) = t.delete(ce).await;
    assert_eq!(
        (status, body["message"].clone()),
        (StatusCode::OK, json!("deleted 1 entry"))
    );
    let (_, n) = t.get("/hsm/v2/State/Components/x3000c0s1b0n0").await;
    assert_eq!(
        (&n["State"], &n["Flag"]),
        (&json!("Empty"), &json!("OK")),
        "{n}"
    );
    assert_problem(&t.delete(ce).await, StatusCode::NOT_FOUND, "x3000c0s1b0n0");
    assert_problem(&t.get(ce).await, StatusCode::NOT_FOUND, "x3000c0s1b0n0");
    let (_, n) = t.get("/hsm/v2/State/Components/x3000c0s1b0n1").await;
    assert_eq!(n["State"], "Off", "a neighbour is untouched: {n}");
    let (status, body) = t.delete("/hsm/v2/Inventory/ComponentEndpoints").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, all) = t.get("/hsm/v2/State/Components?state=!Empty").await;
    assert_eq!(
        all["Components"],
        json!([]),
        "every discovered component is Empty"
    );
    assert_problem(
        &t.delete("/hsm/v2/Inventory/ComponentEndpoints").await,
        StatusCode::NOT_FOUND,
        "no entries to delete",
    );
    // A viewer may not delete.
    let viewer = t.token("v", &[Role::Viewer]);
    let got = t
        .call(
            Method::DELETE,
            "/hsm/v2/Inventory/ServiceEndpoints",
            Some(&viewer),
            None,
        )
        .await;
    assert_eq!(got.0, StatusCode::FORBIDDEN, "{}", got.1);
}

#[tokio::test]
async fn a_discover_while_one_runs_is_accepted_and_a_registration_is_walked() {
    let (fleet, t) = setup().await;
    let (user, pass) = fleet.credentials();
    // Registered asking for rediscovery and without a description: walked at once, as SMD.
    let body = json!({"ID": "x3000c0s1b0", "FQDN": "127.10.0.1", "User": user,
                      "Password": pass, "RediscoverOnUpdate": true});
    let (status, body) = t.post(EPS, body).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let done = wait_complete(&t).await;
    assert_eq!(
        done["Details"]["x3000c0s1b0"]["LastDiscoveryStatus"], "DiscoverOK",
        "{done}"
    );
    assert_eq!(
        t.get("/hsm/v2/State/Components/x3000c0s1b0n0").await.0,
        StatusCode::OK
    );
    // Without RediscoverOnUpdate it waits for a Discover.
    let body = json!({"ID": "x3000c0s2b0", "FQDN": "127.10.0.2", "User": user, "Password": pass});
    let (status, body) = t.post(EPS, body).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, ep) = t.get(&format!("{EPS}/x3000c0s2b0")).await;
    assert_eq!(
        ep["DiscoveryInfo"]["LastDiscoveryStatus"], "NotYetQueried",
        "{ep}"
    );

    // A BMC that hangs keeps a run going; a second Discover is accepted meanwhile.
    fleet.bmc(1).unwrap().set_faults(Faults {
        hang: true,
        ..Faults::default()
    });
    let one = json!({"xnames": ["x3000c0s2b0"]});
    let (status, body) = t.post("/hsm/v2/Inventory/Discover", one.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = t.post("/hsm/v2/Inventory/Discover", one).await;
    assert_eq!(
        status,
        StatusCode::OK,
        "a Discover during a run is queued: {body}"
    );
    let (_, now) = t.get("/hsm/v2/Inventory/DiscoveryStatus/0").await;
    assert_eq!(now["Status"], "InProgress", "{now}");
    let done = wait_complete(&t).await;
    assert_eq!(
        done["Details"]["x3000c0s2b0"]["LastDiscoveryStatus"], "HTTPsGetFailed",
        "{done}"
    );
    fleet.bmc(1).unwrap().set_faults(Faults::default());
    // The first run's outcome is kept beside it.
    assert_eq!(
        done["Details"]["x3000c0s1b0"]["LastDiscoveryStatus"], "DiscoverOK",
        "{done}"
    );
}

#[tokio::test]
async fn discover_on_register_false_leaves_registrations_alone() {
    let t = TestServer::start_with(|a| a.discover_on_register = false).await;
    let body = json!({"ID": "x3000c0s1b0", "FQDN": "127.10.9.1", "User": "u",
                      "Password": "p", "RediscoverOnUpdate": true});
    let (status, body) = t.post(EPS, body).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    // A walk is claimed before the POST answers, so none was started.
    let (_, ep) = t.get(&format!("{EPS}/x3000c0s1b0")).await;
    assert_eq!(
        ep["DiscoveryInfo"]["LastDiscoveryStatus"], "NotYetQueried",
        "{ep}"
    );
    let (_, status) = t.get("/hsm/v2/Inventory/DiscoveryStatus/0").await;
    assert_eq!(status["Status"], "NotStarted", "{status}");
    assert_eq!(
        status.get("Details"),
        None,
        "SMD omits Details before a run: {status}"
    );
}
