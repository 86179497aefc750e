//! SMD hardware inventory over HTTPS: location records written and deleted, FRUs as their own
//! records, and the history of which FRU was seen where (recorded on every write, discovery
//! included), with SMD's bodies, filters and refusals.

mod common;

use common::{assert_problem, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

const HW: &str = "/hsm/v2/Inventory/Hardware";
const FRU: &str = "/hsm/v2/Inventory/HardwareByFRU";

fn node(id: &str, fru: &str) -> Value {
    json!({"ID": id, "Type": "Node", "Ordinal": 0, "Status": "Populated",
           "HWInventoryByLocationType": "HWInvByLocNode",
           "PopulatedFRU": {"FRUID": fru, "Type": "Node", "Subtype": "",
                            "HWInventoryByFRUType": "HWInvByFRUNode",
                            "NodeFRUInfo": {"SerialNumber": fru}}})
}

/// (location, FRU, event type) of a grouped history answer, in order.
fn events(body: &Value) -> Vec<(String, String, String)> {
    body["Components"]
        .as_array()
        .unwrap_or_else(|| panic!("no Components in {body}"))
        .iter()
        .flat_map(|c| c["History"].as_array().unwrap().clone())
        .map(|e| {
            (
                e["ID"].as_str().unwrap().to_string(),
                e["FRUID"].as_str().unwrap().to_string(),
                e["EventType"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

fn ev(loc: &str, fru: &str) -> (String, String, String) {
    (loc.into(), fru.into(), "Detected".into())
}

#[tokio::test]
async fn writes_frus_and_history_as_smd() {
    let t = TestServer::start().await;
    let (status, body) = t.get(&format!("{HW}/History")).await;
    assert_eq!((status, body), (StatusCode::OK, json!({"Components": []})));

    let (status, body) = t
        .post(
            HW,
            json!({"Hardware": [node("x3000c0s1b0n0", "F1"), node("x3000c0s2b0n0", "F2")]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["message"], "Created 2 entries");
    // The same again records nothing new; F1 replaced by F3 at its location is detected.
    t.post(HW, json!({"Hardware": [node("x3000c0s1b0n0", "F1")]}))
        .await;
    let (status, _) = t
        .post(HW, json!({"Hardware": [node("x3000c0s1b0n0", "F3")]}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, all) = t.get(&format!("{HW}/History")).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(
        events(&all),
        [
            ev("x3000c0s1b0n0", "F1"),
            ev("x3000c0s1b0n0", "F3"),
            ev("x3000c0s2b0n0", "F2")
        ]
    );
    let ts = all["Components"][0]["History"][0]["Timestamp"]
        .as_str()
        .unwrap();
    assert!(ts.ends_with('Z') && ts.contains('T'), "RFC 3339: {ts}");

    let (_, one) = t.get(&format!("{HW}/History/X3000C0S1B0N0")).await;
    assert_eq!(one["ID"], "x3000c0s1b0n0");
    assert_eq!(one["History"].as_array().map(Vec::len), Some(2), "{one}");
    let (_, by_fru) = t.get(&format!("{FRU}/History")).await;
    let ids: Vec<&str> = by_fru["Components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["ID"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["F1", "F2", "F3"], "{by_fru}");
    let (_, f1) = t.get(&format!("{FRU}/History/F1")).await;
    assert_eq!(f1["History"][0]["ID"], "x3000c0s1b0n0", "{f1}");
    // Filters.
    let (_, detected) = t
        .get(&format!("{HW}/History?eventtype=detected&id=x3000c0s2b0n0"))
        .await;
    assert_eq!(events(&detected), [ev("x3000c0s2b0n0", "F2")]);
    let (_, later) = t
        .get(&format!("{HW}/History?starttime=2999-01-01T00:00:00Z"))
        .await;
    assert_eq!(later, json!({"Components": []}));
    assert_problem(
        &t.get(&format!("{HW}/History?eventtype=Exploded")).await,
        StatusCode::BAD_REQUEST,
        "invalid EventType 'Exploded'",
    );
    assert_problem(
        &t.get(&format!("{HW}/History?starttime=yesterday")).await,
        StatusCode::BAD_REQUEST,
        "StartTime 'yesterday' is not an RFC 3339 time",
    );

    // FRUs: what populates a location now.
    let (_, frus) = t.get(FRU).await;
    let ids: Vec<&str> = frus
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["FRUID"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["F2", "F3"], "{frus}");
    let (status, f3) = t.get(&format!("{FRU}/F3")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(f3["NodeFRUInfo"]["SerialNumber"], "F3");
    let (status, body) = t.delete(&format!("{FRU}/F3")).await;
    assert_eq!(
        (status, body["message"].clone()),
        (StatusCode::OK, json!("deleted 1 entry"))
    );
    assert_problem(
        &t.get(&format!("{FRU}/F3")).await,
        StatusCode::NOT_FOUND,
        "no such FRU ID: F3",
    );
    let (_, loc) = t.get(&format!("{HW}/x3000c0s1b0n0")).await;
    assert_eq!(loc["ID"], "x3000c0s1b0n0", "the location stays");
    assert_eq!(loc.get("PopulatedFRU"), None, "{loc}");

    // Deletes, with SMD's 404s once nothing is left.
    let (status, _) = t.delete(&format!("{HW}/x3000c0s2b0n0")).await;
    assert_eq!(status, StatusCode::OK);
    assert_problem(
        &t.delete(&format!("{HW}/x3000c0s2b0n0")).await,
        StatusCode::NOT_FOUND,
        "no hardware inventory",
    );
    let (status, body) = t.delete(&format!("{HW}/History/x3000c0s1b0n0")).await;
    assert_eq!(
        (status, body["message"].clone()),
        (StatusCode::OK, json!("deleted 2 entries"))
    );
    assert_problem(
        &t.delete(&format!("{HW}/History/x3000c0s1b0n0")).await,
        StatusCode::NOT_FOUND,
        "no hardware history",
    );
    let (status, _) = t.delete(&format!("{FRU}/History/F2")).await;
    assert_eq!(status, StatusCode::OK);
    assert_problem(
        &t.delete(&format!("{HW}/History")).await,
        StatusCode::NOT_FOUND,
        "no entries to delete",
    );
    let (status, _) = t.delete(HW).await;
    assert_eq!(status, StatusCode::OK);
    assert_problem(
        &t.delete(HW).await,
        StatusCode::NOT_FOUND,
        "no entries to delete",
    );
    assert_problem(
        &t.delete(FRU).await,
        StatusCode::NOT_FOUND,
        "no entries to delete",
    );
}

#[tokio::test]
async fn bad_hardware_is_refused_whole() {
    let t = TestServer::start().await;
    t.post(HW, json!({"Hardware": [node("x3000c0s1b0n0", "F1")]}))
        .await;
    let before = (t.get(HW).await.1, t.get(&format!("{HW}/History")).await.1);
    for (body, needle) in [
        (json!({"Hardware": []}), "no Hardware in the body"),
        (
            json!({"Hardware": [node("x3000c0s2b0n0", "F2"), {"Type": "Node"}]}),
            "Hardware[1]",
        ),
        (json!({"Hardware": [node("bogus", "F2")]}), "Hardware[0]"),
        (
            json!({"Hardware": [{"ID": "x3000c0s2b0n0", "PopulatedFRU": {"Type": "Node"}}]}),
            "PopulatedFRU has no FRUID",
        ),
        (
            json!({"Hardware": [node("x3000c0s2b0n0", "F2"), node("X3000C0S2B0N0", "F3")]}),
            "appears more than once",
        ),
    ] {
        assert_problem(&t.post(HW, body).await, StatusCode::BAD_REQUEST, needle);
    }
    let after = (t.get(HW).await.1, t.get(&format!("{HW}/History")).await.1);
    assert_eq!(after, before, "a refused write changed nothing");
}

#[tokio::test]
async fn magellans_registration_records_history() {
    let t = TestServer::start().await;
    let magellan: Value =
        serde_json::from_str(include_str!("fixtures/magellan-bmc.json")).expect("fixture");
    let (status, body) = t.post("/hsm/v2/Inventory/RedfishEndpoints", magellan).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (status, all) = t.get(&format!("{HW}/History")).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    let locations: Vec<String> = events(&all).into_iter().map(|e| e.0).collect();
    assert!(locations.contains(&"x1000c0s0b0n0".to_string()), "{all}");
}

/// A populated location of `kind`, its FRU named after it.
fn loc(id: &str, kind: &str) -> Value {
    json!({"ID": id, "Type": kind, "Ordinal": 0, "Status": "Populated",
           "HWInventoryByLocationType": format!("HWInvByLoc{kind}"),
           "PopulatedFRU": {"FRUID": format!("F-{id}"), "Type": kind,
                            "HWInventoryByFRUType": format!("HWInvByFRU{kind}")}})
}

/// The IDs in array `key` of a query answer (top level), in order.
fn listed(body: &Value, key: &str) -> Vec<String> {
    body[key]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| e["ID"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn query_answers_smds_tree() {
    let t = TestServer::start().await;
    let records = vec![
        loc("x3000c0s1", "ComputeModule"),
        loc("x3000c0s1b0", "NodeBMC"),
        node("x3000c0s1b0n0", "N0"),
        loc("x3000c0s1b0n0p0", "Processor"),
        loc("x3000c0s1b0n0p1", "Processor"),
        loc("x3000c0s1b0n0d0", "Memory"),
        loc("x3000c0s1b0n0g0k0", "Drive"),
        node("x3000c0s2b0n0", "N1"),
        loc("x3000c0s2b0n0p0", "Processor"),
    ];
    let (status, body) = t.post(HW, json!({"Hardware": records})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let q = |rest: &str| format!("{HW}/Query/{rest}");

    // NestNodesOnly (the default): node parts inside their node, the rest flat.
    let (status, all) = t.get(&q("s0")).await;
    assert_eq!(status, StatusCode::OK, "{all}");
    assert_eq!(all["XName"], "s0");
    assert_eq!(all["Format"], "NestNodesOnly");
    assert_eq!(listed(&all, "Nodes"), ["x3000c0s1b0n0", "x3000c0s2b0n0"]);
    assert_eq!(listed(&all, "ComputeModules"), ["x3000c0s1"]);
    assert_eq!(listed(&all, "NodeBMCs"), ["x3000c0s1b0"]);
    assert!(all.get("Processors").is_none(), "{all}");
    let n0 = &all["Nodes"][0];
    assert_eq!(
        listed(n0, "Processors"),
        ["x3000c0s1b0n0p0", "x3000c0s1b0n0p1"]
    );
    assert_eq!(listed(n0, "Memory"), ["x3000c0s1b0n0d0"]);
    assert_eq!(listed(n0, "Drives"), ["x3000c0s1b0n0g0k0"]);
    assert_eq!(n0["PopulatedFRU"]["FRUID"], "N0");

    // FullyFlat: every type its own array.
    let (_, flat) = t.get(&q("all?format=fullyflat")).await;
    assert_eq!(flat["Format"], "FullyFlat");
    assert_eq!(listed(&flat, "Processors").len(), 3);
    assert!(flat["Nodes"][0].get("Processors").is_none(), "{flat}");

    // From a location: it and what lies under it.
    let (_, one) = t.get(&q("x3000c0s1b0n0")).await;
    assert_eq!(listed(&one, "Nodes"), ["x3000c0s1b0n0"]);
    assert_eq!(listed(&one["Nodes"][0], "Processors").len(), 2);
    let (_, bare) = t.get(&q("x3000c0s1b0n0?children=false")).await;
    assert!(bare["Nodes"][0].get("Processors").is_none(), "{bare}");
    // With a type: those under the location, and (children) their parts.
    let (_, procs) = t.get(&q("x3000c0s1?type=processor")).await;
    assert_eq!(
        listed(&procs, "Processors"),
        ["x3000c0s1b0n0p0", "x3000c0s1b0n0p1"]
    );
    assert!(procs.get("Nodes").is_none(), "{procs}");
    let (_, nodes) = t.get(&q("x3000c0s1?type=Node")).await;
    assert_eq!(listed(&nodes, "Nodes"), ["x3000c0s1b0n0"]);
    assert_eq!(listed(&nodes["Nodes"][0], "Memory"), ["x3000c0s1b0n0d0"]);
    // Parents: the location and its ancestors.
    let (_, up) = t.get(&q("x3000c0s1b0n0p0?parents=true")).await;
    assert_eq!(listed(&up, "Nodes"), ["x3000c0s1b0n0"]);
    assert_eq!(listed(&up, "ComputeModules"), ["x3000c0s1"]);
    assert_eq!(listed(&up["Nodes"][0], "Processors"), ["x3000c0s1b0n0p0"]);

    // A partition: its members and what lies under them.
    let (status, body) = t
        .post(
            "/hsm/v2/State/Components",
            json!({"Components": [{"ID": "x3000c0s2b0n0", "State": "Ready"}]}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let (status, body) = t
        .post(
            "/hsm/v2/partitions",
            json!({"name": "p1", "members": {"ids": ["x3000c0s2b0n0"]}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, part) = t.get(&q("p1")).await;
    assert_eq!(listed(&part, "Nodes"), ["x3000c0s2b0n0"]);
    assert_eq!(listed(&part["Nodes"][0], "Processors"), ["x3000c0s2b0n0p0"]);
    assert!(part.get("ComputeModules").is_none(), "{part}");
    let (_, part) = t.get(&q("s0?partition=p1&format=FullyFlat")).await;
    assert_eq!(listed(&part, "Processors"), ["x3000c0s2b0n0p0"]);

    // Nothing there: an empty inventory, not an error.
    let (status, none) = t.get(&q("x9c0s0b0n0")).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        none,
        json!({"XName": "x9c0s0b0n0", "Format": "NestNodesOnly"})
    );

    // SMD's refusals.
    for (path, text) in [
        ("nonsense", "Invalid xname"),
        ("s0?type=bogus", "Invalid HMS type"),
        ("s0?children=maybe", "Invalid boolean for children"),
        ("s0?parents=2", "Invalid boolean for parents"),
        ("s0?format=Hierarchical", "Invalid format"),
        ("s0?partition=x1", "Invalid partition"),
        ("s0?depth=1", "unknown parameter 'depth'"),
    ] {
        let got = t.get(&q(path)).await;
        assert_problem(&got, StatusCode::BAD_REQUEST, text);
    }
}

#[tokio::test]
async fn a_tenant_queries_only_its_nodes_hardware() {
    let t = TestServer::start().await;
    let records = vec![
        loc("x3000c0s1", "ComputeModule"),
        node("x3000c0s1b0n0", "N0"),
        loc("x3000c0s1b0n0p0", "Processor"),
        node("x3000c0s2b0n0", "N1"),
        loc("x3000c0s2b0n0p0", "Processor"),
    ];
    let (status, body) = t.post(HW, json!({"Hardware": records})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = t
        .post(
            "/hsm/v2/State/Components",
            json!({"Components": [{"ID": "x3000c0s1b0n0", "State": "Ready", "Role": "Compute"},
                                  {"ID": "x3000c0s2b0n0", "State": "Ready", "Role": "Compute"}]}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let (status, body) = t
        .put(
            "/apis/tapms/v1alpha3/tenants/blue",
            json!({"spec": {"tenantresources": [{"type": "compute",
                "xnames": ["x3000c0s2b0n0"], "hsmgrouplabel": "blue",
                "enforceexclusivehsmgroups": true}]}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = common::mint_for(
        &t.server,
        "bob",
        &[chami::service::auth::Role::Viewer],
        Some("blue"),
    );
    let resp = t
        .client
        .get(t.url(&format!("{HW}/Query/s0?format=FullyFlat")))
        .bearer_auth(&token)
        .header("Cray-Tenant-Name", "blue")
        .send()
        .await
        .unwrap();
    let (status, body) = common::read(resp).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(listed(&body, "Nodes"), ["x3000c0s2b0n0"]);
    assert_eq!(listed(&body, "Processors"), ["x3000c0s2b0n0p0"]);
    assert!(body.get("ComputeModules").is_none(), "{body}");
    assert!(!body.to_string().contains("x3000c0s1b0n0"), "{body}");
}
