//! SMD `Defaults/NodeMaps` and `sysinfo/powermaps` over HTTPS: SMD's bodies and codes, the
//! refusals (each naming the problem, each losing nothing), and node maps applied as the
//! defaults of new nodes.

mod common;

use common::{assert_problem, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

const NODE_MAPS: &str = "/hsm/v2/Defaults/NodeMaps";
const POWER_MAPS: &str = "/hsm/v2/sysinfo/powermaps";

async fn node_maps(t: &TestServer) -> Value {
    let (status, body) = t.get(NODE_MAPS).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body
}

#[tokio::test]
async fn node_maps_round_trip_as_smd_answers() {
    let t = TestServer::start().await;
    assert_eq!(node_maps(&t).await, json!({"NodeMaps": []}));

    // A named array, and a single map: both are SMD's POST bodies.
    let (status, body) = t
        .post(
            NODE_MAPS,
            json!({"NodeMaps": [
                {"ID": "X3000C0S1B0N0", "NID": 1, "Role": "compute"},
                {"ID": "x3000c0s2b0n0", "NID": 2, "Role": "Application", "SubRole": "worker",
                 "NodeInfo": {"rack": 3}},
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"code": 0, "message": "Created or modified 2 entries"})
    );
    let (status, body) = t
        .post(NODE_MAPS, json!({"ID": "x3000c0s3b0n0", "NID": 3}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["message"], "Created or modified 1 entries");

    assert_eq!(
        node_maps(&t).await,
        json!({"NodeMaps": [
            {"ID": "x3000c0s1b0n0", "NID": 1, "Role": "Compute"},
            {"ID": "x3000c0s2b0n0", "NID": 2, "Role": "Application", "SubRole": "Worker",
             "NodeInfo": {"rack": 3}},
            {"ID": "x3000c0s3b0n0", "NID": 3},
        ]})
    );
    let (status, one) = t.get(&format!("{NODE_MAPS}/X3000C0S2B0N0")).await;
    assert_eq!(status, StatusCode::OK, "{one}");
    assert_eq!(one["SubRole"], "Worker");

    // PUT takes the name from the URL, or the same name in the body.
    let (status, body) = t
        .put(
            &format!("{NODE_MAPS}/x3000c0s3b0n0"),
            json!({"NID": 30, "Role": "Service"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"ID": "x3000c0s3b0n0", "NID": 30, "Role": "Service"})
    );
    let got = t
        .put(
            &format!("{NODE_MAPS}/x3000c0s3b0n0"),
            json!({"ID": "x3000c0s1b0n0", "NID": 31}),
        )
        .await;
    assert_problem(
        &got,
        StatusCode::BAD_REQUEST,
        "xname in URL and PUT body do not match",
    );

    // Two maps may trade NIDs in one request.
    let (status, body) = t
        .post(
            NODE_MAPS,
            json!({"NodeMaps": [{"ID": "x3000c0s1b0n0", "NID": 2},
                                {"ID": "x3000c0s2b0n0", "NID": 1}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (_, one) = t.get(&format!("{NODE_MAPS}/x3000c0s1b0n0")).await;
    assert_eq!(one["NID"], 2);
    assert_eq!(
        one.get("Role"),
        None,
        "a POST replaces the whole map: {one}"
    );

    // Deletes, with SMD's 404s once nothing is left.
    let (status, body) = t.delete(&format!("{NODE_MAPS}/x3000c0s3b0n0")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["message"], "deleted 1 entry");
    let got = t.delete(&format!("{NODE_MAPS}/x3000c0s3b0n0")).await;
    assert_problem(&got, StatusCode::NOT_FOUND, "no such xname");
    let got = t.get(&format!("{NODE_MAPS}/x3000c0s3b0n0")).await;
    assert_problem(&got, StatusCode::NOT_FOUND, "no such xname");
    let (status, body) = t.delete(NODE_MAPS).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["message"], "deleted 2 entries");
    let got = t.delete(NODE_MAPS).await;
    assert_problem(&got, StatusCode::NOT_FOUND, "no entries to delete");
}

#[tokio::test]
async fn bad_node_maps_are_refused_whole_and_named() {
    let t = TestServer::start().await;
    let (status, _) = t
        .post(NODE_MAPS, json!({"ID": "x3000c0s1b0n0", "NID": 1}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let before = node_maps(&t).await;

    for (body, needle) in [
        (
            json!({"NodeMaps": [{"ID": "x3000c0s2b0n0", "NID": 2}, {"ID": "x3000c0s2b0", "NID": 3}]}),
            "couldn't validate map data at idx 1: xname ID 'x3000c0s2b0' is invalid or not a node",
        ),
        (
            json!({"ID": "x3000c0s2b0n0", "NID": 0}),
            "NID '0' is out of range",
        ),
        (json!({"ID": "x3000c0s2b0n0"}), "NID '0' is out of range"),
        (
            json!({"ID": "x3000c0s2b0n0", "NID": 2, "Role": "Chef"}),
            "Role 'Chef' is not valid.",
        ),
        (
            json!({"ID": "x3000c0s2b0n0", "NID": "two"}),
            "malformed JSON body",
        ),
        (json!({"NodeMaps": {"ID": "x"}}), "malformed JSON body"),
    ] {
        let got = t.post(NODE_MAPS, body.clone()).await;
        assert_problem(&got, StatusCode::BAD_REQUEST, needle);
    }
    // A NID another node holds, and one NID given twice.
    let got = t
        .post(NODE_MAPS, json!({"ID": "x3000c0s2b0n0", "NID": 1}))
        .await;
    assert_problem(
        &got,
        StatusCode::CONFLICT,
        "NID 1 is mapped to x3000c0s1b0n0",
    );
    let got = t
        .post(
            NODE_MAPS,
            json!({"NodeMaps": [{"ID": "x3000c0s2b0n0", "NID": 7}, {"ID": "x3000c0s3b0n0", "NID": 7}]}),
        )
        .await;
    assert_problem(&got, StatusCode::CONFLICT, "NID 7 is given to both");
    let got = t
        .put(&format!("{NODE_MAPS}/x3000c0s2b0n0"), json!({"NID": 1}))
        .await;
    assert_problem(
        &got,
        StatusCode::CONFLICT,
        "NID 1 is mapped to x3000c0s1b0n0",
    );
    let got = t.get(&format!("{NODE_MAPS}/x3000c0s2b0")).await;
    assert_problem(&got, StatusCode::NOT_FOUND, "no such xname");
    let got = t.get(&format!("{NODE_MAPS}/bogus")).await;
    assert_problem(&got, StatusCode::BAD_REQUEST, "bogus");
    assert_eq!(
        node_maps(&t).await,
        before,
        "a refused write changed the maps"
    );
}

#[tokio::test]
async fn a_new_node_takes_its_maps_defaults() {
    let t = TestServer::start().await;
    let (status, body) = t
        .post(
            NODE_MAPS,
            json!({"NodeMaps": [
                {"ID": "x3000c0s1b0n0", "NID": 1001, "Role": "Application", "SubRole": "Worker"},
                {"ID": "x3000c0s2b0n0", "NID": 1002},
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = t
        .post(
            "/hsm/v2/State/Components",
            json!({"Components": [
                {"ID": "x3000c0s1b0n0", "State": "On"},
                {"ID": "x3000c0s2b0n0", "State": "On"},
                {"ID": "x3000c0s3b0n0", "State": "On"},
                {"ID": "x3000c0s1b0n1", "State": "On", "NID": 5, "Role": "Service"},
            ]}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let get = |id: &'static str| {
        let t = &t;
        async move {
            let (status, c) = t.get(&format!("/hsm/v2/State/Components/{id}")).await;
            assert_eq!(status, StatusCode::OK, "{c}");
            (c["NID"].clone(), c["Role"].clone(), c["SubRole"].clone())
        }
    };
    assert_eq!(
        get("x3000c0s1b0n0").await,
        (json!(1001), json!("Application"), json!("Worker"))
    );
    // A map without a role: the NID is the map's, the role SMD's default.
    assert_eq!(
        get("x3000c0s2b0n0").await,
        (json!(1002), json!("Compute"), Value::Null)
    );
    // No map: SMD's location-derived NID.
    let (nid, role, _) = get("x3000c0s3b0n0").await;
    assert_eq!(
        (nid, role),
        (json!(3001 * 16384 + 3 * 32), json!("Compute"))
    );
    // What the write gives wins over no map.
    assert_eq!(
        get("x3000c0s1b0n1").await,
        (json!(5), json!("Service"), Value::Null)
    );
}

#[tokio::test]
async fn power_maps_round_trip_as_smd_answers() {
    let t = TestServer::start().await;
    let (status, body) = t.get(POWER_MAPS).await;
    assert_eq!((status, body), (StatusCode::OK, json!([])));

    let (status, body) = t
        .post(
            POWER_MAPS,
            json!([
                {"id": "x0c0s1b0n0", "poweredBy": ["X0M0P0J10", "x0m0p0j11"]},
                {"id": "x0c0s0b0n0", "poweredBy": ["x0m0p0j9"]},
            ]),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"code": 0, "message": "Created or modified 2 entries"})
    );
    let (status, body) = t.get(POWER_MAPS).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        body,
        json!([
            {"id": "x0c0s0b0n0", "poweredBy": ["x0m0p0j9"]},
            {"id": "x0c0s1b0n0", "poweredBy": ["x0m0p0j10", "x0m0p0j11"]},
        ])
    );
    let (status, body) = t
        .put(
            &format!("{POWER_MAPS}/x0c0s0b0n0"),
            json!({"poweredBy": ["x0m0p0j12"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"id": "x0c0s0b0n0", "poweredBy": ["x0m0p0j12"]})
    );
    let (_, one) = t.get(&format!("{POWER_MAPS}/X0C0S0B0N0")).await;
    assert_eq!(one["poweredBy"], json!(["x0m0p0j12"]));

    let before = t.get(POWER_MAPS).await.1;
    for (body, needle) in [
        (
            json!([{"id": "x0c0s2b0n0", "poweredBy": ["x0m0p0j1"]}, {"id": "x0c0s3b0n0"}]),
            "poweredBy is required for PowerMaps",
        ),
        (
            json!([{"id": "nope", "poweredBy": ["x0m0p0j1"]}]),
            "couldn't validate map data at idx 0: xname ID 'nope' is invalid",
        ),
        (
            json!([{"id": "x0c0s2b0n0", "poweredBy": ["x0m0p0j1", "j2"]}]),
            "Power supply xname ID 'j2' is invalid",
        ),
        (json!({"id": "x0c0s2b0n0"}), "malformed JSON body"),
    ] {
        let got = t.post(POWER_MAPS, body).await;
        assert_problem(&got, StatusCode::BAD_REQUEST, needle);
    }
    let got = t
        .put(
            &format!("{POWER_MAPS}/x0c0s0b0n0"),
            json!({"poweredBy": []}),
        )
        .await;
    assert_problem(&got, StatusCode::BAD_REQUEST, "poweredBy is required");
    let got = t
        .put(
            &format!("{POWER_MAPS}/x0c0s0b0n0"),
            json!({"id": "x0c0s1b0n0", "poweredBy": ["x0m0p0j1"]}),
        )
        .await;
    assert_problem(
        &got,
        StatusCode::BAD_REQUEST,
        "xname in URL and PUT body do not match",
    );
    assert_eq!(
        t.get(POWER_MAPS).await.1,
        before,
        "a refused write changed the maps"
    );

    let (status, body) = t.delete(&format!("{POWER_MAPS}/x0c0s0b0n0")).await;
    assert_eq!(
        (status, body["message"].clone()),
        (StatusCode::OK, json!("deleted 1 entry"))
    );
    let got = t.get(&format!("{POWER_MAPS}/x0c0s0b0n0")).await;
    assert_problem(&got, StatusCode::NOT_FOUND, "no such xname");
    let got = t.delete(&format!("{POWER_MAPS}/bad-name")).await;
    assert_problem(&got, StatusCode::BAD_REQUEST, "bad-name");
    let (status, body) = t.delete(POWER_MAPS).await;
    assert_eq!(
        (status, body["message"].clone()),
        (StatusCode::OK, json!("deleted 1 entries"))
    );
    let got = t.delete(POWER_MAPS).await;
    assert_problem(&got, StatusCode::NOT_FOUND, "no entries to delete");
}

#[tokio::test]
async fn nodes_a_bmc_describes_take_their_maps_defaults() {
    let t = TestServer::start().await;
    let (status, body) = t
        .post(
            NODE_MAPS,
            json!({"ID": "x1000c0s0b0n1", "NID": 77, "Role": "Storage", "SubRole": "Storage"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The body magellan sends: the BMC with its two systems.
    let magellan: Value =
        serde_json::from_str(include_str!("fixtures/magellan-bmc.json")).expect("fixture");
    let (status, body) = t.post("/hsm/v2/Inventory/RedfishEndpoints", magellan).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, n1) = t.get("/hsm/v2/State/Components/x1000c0s0b0n1").await;
    assert_eq!(
        (&n1["NID"], &n1["Role"], &n1["SubRole"]),
        (&json!(77), &json!("Storage"), &json!("Storage")),
        "{n1}"
    );
    let (_, n0) = t.get("/hsm/v2/State/Components/x1000c0s0b0n0").await;
    assert_eq!(n0["Role"], "Compute", "{n0}");
    assert_eq!(n0["NID"], 1001 * 16384, "{n0}");
}
