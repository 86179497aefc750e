//! SMD `State/Components` over HTTPS: CRUD, every filter, PATCHes, queries and bad input.

mod common;

use common::{assert_problem, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// A small, varied inventory: 2 BMCs, 6 nodes.
fn seed() -> Value {
    json!({"Components": [
        {"ID": "x1000c0s0b0", "State": "Ready"},
        {"ID": "x1000c0s1b0", "State": "Ready"},
        {"ID": "x1000c0s0b0n0", "State": "Ready", "Role": "Management", "SubRole": "Master", "NID": 1, "Arch": "X86", "Class": "River"},
        {"ID": "x1000c0s0b0n1", "State": "Off", "Flag": "Warning", "NID": 2, "Arch": "X86", "Class": "River", "SoftwareStatus": "AdminDown"},
        {"ID": "x1000c0s1b0n0", "State": "On", "NID": 3, "Arch": "ARM", "Class": "Mountain", "Subtype": "EX425"},
        {"ID": "x1000c0s1b0n1", "State": "Standby", "Enabled": false, "NID": 4, "Role": "Application", "SubRole": "Worker"},
        {"ID": "x1000c0s2b0n0", "State": "Ready", "NID": 10},
        {"ID": "x1000c0s10b0n0", "State": "Empty", "NID": 20},
    ]})
}

async fn seeded() -> TestServer {
    let t = TestServer::start().await;
    let (status, body) = t.post("/hsm/v2/State/Components", seed()).await;
    assert_eq!(status, StatusCode::NO_CONTENT, "seed: {body}");
    t
}

#[tokio::test]
async fn create_read_update_delete_round_trip() {
    let t = seeded().await;
    let (status, c) = t.get("/hsm/v2/State/Components/x1000c0s0b0n1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(c["ID"], "x1000c0s0b0n1");
    assert_eq!(c["Type"], "Node");
    assert_eq!(c["State"], "Off");
    assert_eq!(c["Flag"], "Warning");
    assert_eq!(c["Enabled"], true);
    assert_eq!(c["Role"], "Compute", "nodes default to Compute");
    assert_eq!(c["NID"], 2);
    assert_eq!(c["SoftwareStatus"], "AdminDown");

    // Natural order: s2 before s10.
    let all = t.ids("/hsm/v2/State/Components").await;
    assert_eq!(all.len(), 8);
    let s2 = all.iter().position(|i| i == "x1000c0s2b0n0").expect("s2");
    let s10 = all.iter().position(|i| i == "x1000c0s10b0n0").expect("s10");
    assert!(s2 < s10, "natural order: {all:?}");

    // PUT creates; leading zeros and case are normalised as SMD does.
    let (status, body) = t
        .put(
            "/hsm/v2/State/Components/X1000C0S3B0N0",
            json!({"Component": {"State": "Off"}}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, c) = t.get("/hsm/v2/State/Components/x1000c00s03b0n0").await;
    assert_eq!(c["ID"], "x1000c0s3b0n0");
    assert_eq!(
        c["NID"],
        (1000 + 1) * 16384 + 3 * 32,
        "SMD's location-derived default NID"
    );

    let (status, body) = t.delete("/hsm/v2/State/Components/x1000c0s3b0n0").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["message"], "deleted 1 entry");
    assert_problem(
        &t.get("/hsm/v2/State/Components/x1000c0s3b0n0").await,
        StatusCode::NOT_FOUND,
        "x1000c0s3b0n0",
    );
    assert_problem(
        &t.delete("/hsm/v2/State/Components/x1000c0s3b0n0").await,
        StatusCode::NOT_FOUND,
        "no such xname",
    );

    let (status, body) = t.delete("/hsm/v2/State/Components").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["message"], "deleted 8 entries");
    assert_problem(
        &t.delete("/hsm/v2/State/Components").await,
        StatusCode::NOT_FOUND,
        "no entries to delete",
    );
    assert!(t.ids("/hsm/v2/State/Components").await.is_empty());
}

#[tokio::test]
async fn post_keeps_existing_unless_forced() {
    let t = seeded().await;
    let again = json!({"Components": [{"ID": "x1000c0s0b0n1", "State": "Ready", "Role": "Service", "Arch": "ARM"}]});
    assert_eq!(
        t.post("/hsm/v2/State/Components", again.clone()).await.0,
        StatusCode::NO_CONTENT
    );
    let (_, c) = t.get("/hsm/v2/State/Components/x1000c0s0b0n1").await;
    assert_eq!(
        c["State"], "Off",
        "existing component untouched without Force"
    );

    let mut forced = again;
    forced["Force"] = json!(true);
    assert_eq!(
        t.post("/hsm/v2/State/Components", forced).await.0,
        StatusCode::NO_CONTENT
    );
    let (_, c) = t.get("/hsm/v2/State/Components/x1000c0s0b0n1").await;
    assert_eq!(c["State"], "Ready");
    assert_eq!(c["Flag"], "OK");
    assert_eq!(c["Arch"], "ARM");
    assert_eq!(c["Role"], "Compute", "Force does not overwrite Role");
}

#[tokio::test]
async fn every_filter() {
    let t = seeded().await;
    let cases: &[(&str, &[&str])] = &[
        ("id=x1000c0s0b0n0", &["x1000c0s0b0n0"]),
        (
            "id=x1000c0s0b0n0&id=x1000c0s1b0n1",
            &["x1000c0s0b0n0", "x1000c0s1b0n1"],
        ),
        (
            "id=x1000c0s[0-1]b0n[0-1]&state=!Off",
            &["x1000c0s0b0n0", "x1000c0s1b0n0", "x1000c0s1b0n1"],
        ),
        ("type=NodeBMC", &["x1000c0s0b0", "x1000c0s1b0"]),
        ("type=nodebmc&state=ready", &["x1000c0s0b0", "x1000c0s1b0"]),
        ("state=Off&state=On", &["x1000c0s0b0n1", "x1000c0s1b0n0"]),
        (
            "type=Node&state=!Ready",
            &[
                "x1000c0s0b0n1",
                "x1000c0s1b0n0",
                "x1000c0s1b0n1",
                "x1000c0s10b0n0",
            ],
        ),
        ("flag=Warning", &["x1000c0s0b0n1"]),
        ("role=Management", &["x1000c0s0b0n0"]),
        ("role=Application&subrole=Worker", &["x1000c0s1b0n1"]),
        ("subrole=Master", &["x1000c0s0b0n0"]),
        ("enabled=false", &["x1000c0s1b0n1"]),
        ("softwarestatus=admindown", &["x1000c0s0b0n1"]),
        ("subtype=EX425", &["x1000c0s1b0n0"]),
        ("arch=ARM", &["x1000c0s1b0n0"]),
        ("class=Mountain", &["x1000c0s1b0n0"]),
        ("nid=3", &["x1000c0s1b0n0"]),
        ("nid=1&nid=20", &["x1000c0s0b0n0", "x1000c0s10b0n0"]),
        (
            "nid_start=3&nid_end=10",
            &["x1000c0s1b0n0", "x1000c0s1b0n1", "x1000c0s2b0n0"],
        ),
        ("nid_start=10", &["x1000c0s2b0n0", "x1000c0s10b0n0"]),
    ];
    for (query, want) in cases {
        let got = t.ids(&format!("/hsm/v2/State/Components?{query}")).await;
        assert_eq!(&got, want, "?{query}");
    }
}

#[tokio::test]
async fn field_selection() {
    let t = seeded().await;
    let one = |body: Value| body["Components"][0].clone();
    let (_, b) = t
        .get("/hsm/v2/State/Components?id=x1000c0s0b0n1&stateonly=true")
        .await;
    assert_eq!(
        one(b),
        json!({"ID": "x1000c0s0b0n1", "Type": "Node", "State": "Off", "Flag": "Warning"})
    );
    let (_, b) = t
        .get("/hsm/v2/State/Components?id=x1000c0s0b0n1&flagonly=true")
        .await;
    assert_eq!(
        one(b),
        json!({"ID": "x1000c0s0b0n1", "Type": "Node", "Flag": "Warning"})
    );
    let (_, b) = t
        .get("/hsm/v2/State/Components?id=x1000c0s0b0n0&roleonly=true")
        .await;
    assert_eq!(
        one(b),
        json!({"ID": "x1000c0s0b0n0", "Type": "Node", "Role": "Management", "SubRole": "Master"})
    );
    let (_, b) = t
        .get("/hsm/v2/State/Components?id=x1000c0s0b0n0&nidonly=true")
        .await;
    assert_eq!(
        one(b),
        json!({"ID": "x1000c0s0b0n0", "Type": "Node", "NID": 1})
    );
}

#[tokio::test]
async fn bad_filters_are_named() {
    let t = seeded().await;
    assert_problem(
        &t.get("/hsm/v2/State/Components?state=Sleeping").await,
        StatusCode::BAD_REQUEST,
        "bad query param: invalid state 'Sleeping'",
    );
    assert_problem(
        &t.get("/hsm/v2/State/Components?id=x1000c0q0").await,
        StatusCode::BAD_REQUEST,
        "x1000c0q0",
    );
    assert_problem(
        &t.get("/hsm/v2/State/Components?id=x1000c0s[3-1]").await,
        StatusCode::BAD_REQUEST,
        "bad query param: hostlist",
    );
    assert_problem(
        &t.get("/hsm/v2/State/Components?nid=three").await,
        StatusCode::BAD_REQUEST,
        "three",
    );
    assert_problem(
        &t.get("/hsm/v2/State/Components?stat=Off").await,
        StatusCode::BAD_REQUEST,
        "bad query param: unknown parameter 'stat'",
    );
    assert_problem(
        &t.get("/hsm/v2/State/Components?group=blue").await,
        StatusCode::BAD_REQUEST,
        "no such group 'blue'",
    );
    assert_problem(
        &t.get("/hsm/v2/State/Components?partition=p1").await,
        StatusCode::BAD_REQUEST,
        "no such partition 'p1'",
    );
}

#[tokio::test]
async fn bad_writes_are_refused_and_change_nothing() {
    let t = seeded().await;
    let before = t.get("/hsm/v2/State/Components").await.1;

    assert_problem(
        &t.raw(
            reqwest::Method::POST,
            "/hsm/v2/State/Components",
            "{\"Components\": [",
        )
        .await,
        StatusCode::BAD_REQUEST,
        "malformed JSON",
    );
    assert_problem(
        &t.raw(reqwest::Method::POST, "/hsm/v2/State/Components", "")
            .await,
        StatusCode::BAD_REQUEST,
        "empty",
    );
    assert_problem(
        &t.post("/hsm/v2/State/Components", json!({"Components": []}))
            .await,
        StatusCode::BAD_REQUEST,
        "missing Components",
    );
    // One bad entry among good ones: nothing is written, the bad one is named.
    let mixed = json!({"Components": [
        {"ID": "x1000c0s5b0n0", "State": "Ready"},
        {"ID": "x1000c0s5b0n", "State": "Ready"},
    ]});
    assert_problem(
        &t.post("/hsm/v2/State/Components", mixed).await,
        StatusCode::BAD_REQUEST,
        "couldn't validate components: Components[1]: xname 'x1000c0s5b0n'",
    );
    assert_problem(
        &t.post(
            "/hsm/v2/State/Components",
            json!({"Components": [{"ID": "x1000c0s5b0n0"}]}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "missing State",
    );
    assert_problem(
        &t.post(
            "/hsm/v2/State/Components",
            json!({"Components": [{"ID": "x1000c0s5b0n0", "State": "Ready", "Role": "Chef"}]}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "Chef",
    );
    assert_problem(
        &t.post(
            "/hsm/v2/State/Components",
            json!({"Components": [{"ID": "x1000c0s5b0", "State": "Ready", "NID": 7}]}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "nodes only",
    );
    assert_problem(&t.post("/hsm/v2/State/Components", json!({"Components": [{"ID": "x1000c0s5b0n0", "State": "Ready"}, {"ID": "x1000c0s5b0n0", "State": "Off"}]})).await, StatusCode::BAD_REQUEST, "more than once");
    assert_problem(
        &t.put(
            "/hsm/v2/State/Components/x1000c0s5b0n0",
            json!({"Component": {"ID": "x1000c0s6b0n0", "State": "Ready"}}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "do not match",
    );
    assert_problem(
        &t.get("/hsm/v2/State/Components/x1000c0s0b0n").await,
        StatusCode::BAD_REQUEST,
        "x1000c0s0b0n",
    );
    assert_problem(
        &t.get("/hsm/v2/State/Components/ByNID/abc").await,
        StatusCode::BAD_REQUEST,
        "abc",
    );
    assert_problem(
        &t.get("/hsm/v2/State/Components/ByNID/999").await,
        StatusCode::NOT_FOUND,
        "999",
    );

    assert_eq!(
        t.get("/hsm/v2/State/Components").await.1,
        before,
        "nothing changed"
    );
}

#[tokio::test]
async fn single_patches() {
    let t = seeded().await;
    let node = "/hsm/v2/State/Components/x1000c0s0b0n0";
    let patch = |sub: &str, body: Value| {
        let path = format!("{node}/{sub}");
        let t = &t;
        async move { t.patch(&path, body).await }
    };
    assert_eq!(
        patch("StateData", json!({"State": "Off", "Flag": "Alert"}))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    let (_, c) = t.get(node).await;
    assert_eq!(
        (c["State"].clone(), c["Flag"].clone()),
        (json!("Off"), json!("Alert"))
    );
    // Flag omitted: back to OK, as SMD does.
    assert_eq!(
        patch("StateData", json!({"State": "On"})).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(t.get(node).await.1["Flag"], "OK");

    assert_eq!(
        patch("FlagOnly", json!({"Flag": "Warning"})).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        patch("Enabled", json!({"Enabled": false})).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        patch("SoftwareStatus", json!({"SoftwareStatus": "DvsAvailable"}))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        patch("Role", json!({"Role": "Service", "SubRole": "Storage"}))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        patch("NID", json!({"NID": 77})).await.0,
        StatusCode::NO_CONTENT
    );
    let (_, c) = t.get(node).await;
    assert_eq!(c["State"], "On");
    assert_eq!(c["Flag"], "Warning");
    assert_eq!(c["Enabled"], false);
    assert_eq!(c["SoftwareStatus"], "DvsAvailable");
    assert_eq!(
        (c["Role"].clone(), c["SubRole"].clone()),
        (json!("Service"), json!("Storage"))
    );
    assert_eq!(c["NID"], 77);
    assert_eq!(
        t.get("/hsm/v2/State/Components/ByNID/77").await.1["ID"],
        "x1000c0s0b0n0"
    );

    // Refusals name the problem and change nothing.
    let before = t.get(node).await.1;
    assert_problem(
        &patch("StateData", json!({"State": "Empty"})).await,
        StatusCode::BAD_REQUEST,
        "Force",
    );
    assert_problem(
        &patch("StateData", json!({})).await,
        StatusCode::BAD_REQUEST,
        "missing State",
    );
    assert_problem(
        &patch("FlagOnly", json!({"Flag": "Purple"})).await,
        StatusCode::BAD_REQUEST,
        "Purple",
    );
    assert_problem(
        &patch("Enabled", json!({})).await,
        StatusCode::BAD_REQUEST,
        "missing Enabled",
    );
    assert_problem(
        &patch("NID", json!({"NID": -3})).await,
        StatusCode::BAD_REQUEST,
        "negative",
    );
    assert_problem(
        &patch("StateData", json!({"ID": "x1000c0s1b0n0", "State": "On"})).await,
        StatusCode::BAD_REQUEST,
        "do not match",
    );
    assert_problem(
        &t.patch(
            "/hsm/v2/State/Components/x1000c0s0b0/NID",
            json!({"NID": 5}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "nodes only",
    );
    assert_problem(
        &t.patch(
            "/hsm/v2/State/Components/x1000c0s9b0n0/FlagOnly",
            json!({"Flag": "OK"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "x1000c0s9b0n0",
    );
    assert_eq!(t.get(node).await.1, before);

    // An empty SoftwareStatus clears the field.
    assert_eq!(
        patch("SoftwareStatus", json!({"SoftwareStatus": ""}))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert!(t.get(node).await.1.get("SoftwareStatus").is_none());

    // Empty is only ever set with Force; with it the change is made.
    assert_eq!(
        patch("StateData", json!({"State": "Empty", "Force": true}))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(t.get(node).await.1["State"], "Empty");
}

#[tokio::test]
async fn bulk_patches_are_all_or_nothing() {
    let t = seeded().await;
    let nodes = json!(["x1000c0s0b0n0", "x1000c0s2b0n0"]);
    let bulk = |op: &str, mut body: Value| {
        body["ComponentIDs"] = nodes.clone();
        let path = format!("/hsm/v2/State/Components/Bulk{op}");
        let t = &t;
        async move { t.patch(&path, body).await }
    };
    let sel = "/hsm/v2/State/Components?id=x1000c0s0b0n0&id=x1000c0s2b0n0";
    let field = |body: &Value, f: &str| -> Vec<Value> {
        body["Components"]
            .as_array()
            .expect("array")
            .iter()
            .map(|c| c[f].clone())
            .collect()
    };

    assert_eq!(
        bulk("StateData", json!({"State": "Standby"})).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        field(&t.get(sel).await.1, "State"),
        vec![json!("Standby"); 2]
    );
    assert_eq!(
        bulk("FlagOnly", json!({"Flag": "Alert"})).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(field(&t.get(sel).await.1, "Flag"), vec![json!("Alert"); 2]);
    assert_eq!(
        bulk("Enabled", json!({"Enabled": false})).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(field(&t.get(sel).await.1, "Enabled"), vec![json!(false); 2]);
    assert_eq!(
        bulk("SoftwareStatus", json!({"SoftwareStatus": "Draining"}))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        field(&t.get(sel).await.1, "SoftwareStatus"),
        vec![json!("Draining"); 2]
    );
    assert_eq!(
        bulk("Role", json!({"Role": "Storage"})).await.0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        field(&t.get(sel).await.1, "Role"),
        vec![json!("Storage"); 2]
    );

    let (status, body) = t
        .patch(
            "/hsm/v2/State/Components/BulkNID",
            json!({"Components": [
            {"ID": "x1000c0s0b0n0", "NID": 500}, {"ID": "x1000c0s2b0n0", "NID": 501}]}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        field(&t.get(sel).await.1, "NID"),
        vec![json!(500), json!(501)]
    );

    // Hostlists work in ComponentIDs (chami extension).
    let (status, _) = t
        .patch(
            "/hsm/v2/State/Components/BulkFlagOnly",
            json!({"ComponentIDs": ["x1000c0s[0-1]b0n[0-1]"], "Flag": "OK"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        t.ids("/hsm/v2/State/Components?type=Node&flag=OK").await,
        vec![
            "x1000c0s0b0n0",
            "x1000c0s0b0n1",
            "x1000c0s1b0n0",
            "x1000c0s1b0n1",
            "x1000c0s10b0n0"
        ]
    );

    // Failures: nothing changes for any target.
    let before = t.get("/hsm/v2/State/Components").await.1;
    let with_unknown =
        json!({"ComponentIDs": ["x1000c0s0b0n0", "x1000c0s7b0n0"], "Flag": "Warning"});
    assert_problem(
        &t.patch("/hsm/v2/State/Components/BulkFlagOnly", with_unknown)
            .await,
        StatusCode::NOT_FOUND,
        "x1000c0s7b0n0",
    );
    // Empty -> Ready is not a valid transition for s10's node; the whole request is refused.
    let mixed = json!({"ComponentIDs": ["x1000c0s0b0n0", "x1000c0s10b0n0"], "State": "Ready"});
    assert_problem(
        &t.patch("/hsm/v2/State/Components/BulkStateData", mixed)
            .await,
        StatusCode::CONFLICT,
        "x1000c0s10b0n0 from Empty to Ready",
    );
    assert_problem(
        &t.patch(
            "/hsm/v2/State/Components/BulkNID",
            json!({"Components": [{"ID": "x1000c0s0b0", "NID": 9}]}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "nodes only",
    );
    assert_problem(
        &t.patch(
            "/hsm/v2/State/Components/BulkEnabled",
            json!({"Enabled": true}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "missing ComponentIDs",
    );
    assert_problem(&t.patch("/hsm/v2/State/Components/BulkNID", json!({"Components": [{"ID": "x1000c0s0b0n0", "NID": 1}, {"ID": "x1000c0s8b0n0", "NID": 2}]})).await, StatusCode::NOT_FOUND, "x1000c0s8b0n0");
    assert_eq!(
        t.get("/hsm/v2/State/Components").await.1,
        before,
        "nothing changed"
    );
}

#[tokio::test]
async fn queries() {
    let t = seeded().await;
    let ids = |body: &Value| -> Vec<String> {
        body["Components"]
            .as_array()
            .expect("array")
            .iter()
            .map(|c| c["ID"].as_str().expect("ID").to_string())
            .collect()
    };
    let (status, body) = t
        .post(
            "/hsm/v2/State/Components/Query",
            json!({"ComponentIDs": ["x1000c0s1"], "type": ["Node"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        ids(&body),
        vec!["x1000c0s1b0n0", "x1000c0s1b0n1"],
        "s1 holds its nodes, not s10's"
    );
    let (_, body) = t
        .post(
            "/hsm/v2/State/Components/Query",
            json!({"ComponentIDs": ["s0"], "state": ["Off"], "stateonly": true}),
        )
        .await;
    assert_eq!(
        body,
        json!({"Components": [{"ID": "x1000c0s0b0n1", "Type": "Node", "State": "Off", "Flag": "Warning"}]})
    );
    let (_, body) = t
        .get("/hsm/v2/State/Components/Query/x1000c0s0?type=NodeBMC")
        .await;
    assert_eq!(ids(&body), vec!["x1000c0s0b0"]);
    // Without a type, SMD answers the named components only, not their children.
    let (status, body) = t.get("/hsm/v2/State/Components/Query/x1000c0s0b0").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(ids(&body), vec!["x1000c0s0b0"]);
    let (_, body) = t
        .post(
            "/hsm/v2/State/Components/Query",
            json!({"ComponentIDs": ["x1000c0s1b0n1", "x1000c0s0b0", "x1000c0s0"], "state": ["!Off"]}),
        )
        .await;
    assert_eq!(ids(&body), vec!["x1000c0s0b0", "x1000c0s1b0n1"]);
    let (_, body) = t
        .post(
            "/hsm/v2/State/Components/ByNID/Query",
            json!({"NIDRanges": ["1-2", "20"]}),
        )
        .await;
    assert_eq!(
        ids(&body),
        vec!["x1000c0s0b0n0", "x1000c0s0b0n1", "x1000c0s10b0n0"]
    );
    assert_problem(
        &t.post(
            "/hsm/v2/State/Components/ByNID/Query",
            json!({"NIDRanges": ["5-1"]}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "5-1",
    );
    assert_problem(
        &t.post(
            "/hsm/v2/State/Components/Query",
            json!({"ComponentIDs": []}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "missing ComponentIDs",
    );
}

#[tokio::test]
async fn values_and_service_endpoints() {
    let t = TestServer::start().await;
    let (status, body) = t.get("/hsm/v2/service/values").await;
    assert_eq!(status, StatusCode::OK);
    for key in [
        "Arch", "Class", "Flag", "NetType", "Role", "SubRole", "State", "Type",
    ] {
        assert!(
            body[key].as_array().is_some_and(|a| !a.is_empty()),
            "{key} in {body}"
        );
    }
    let (_, roles) = t.get("/hsm/v2/service/values/role").await;
    assert!(roles["Role"]
        .as_array()
        .expect("roles")
        .contains(&json!("Compute")));
    let (_, types) = t.get("/hsm/v2/service/values/type").await;
    assert!(types["Type"]
        .as_array()
        .expect("types")
        .contains(&json!("NodeBMC")));
    assert_problem(
        &t.get("/hsm/v2/service/values/colour").await,
        StatusCode::NOT_FOUND,
        "colour",
    );

    // Probes need no token.
    let (status, body) = t
        .call(reqwest::Method::GET, "/hsm/v2/service/ready", None, None)
        .await;
    assert_eq!(
        (status, body["message"].clone()),
        (StatusCode::OK, json!("HSM is healthy"))
    );
    assert_eq!(
        t.call(reqwest::Method::GET, "/hsm/v2/service/liveness", None, None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        t.call(reqwest::Method::GET, "/healthz", None, None).await.0,
        StatusCode::OK
    );
    assert_problem(
        &t.get("/hsm/v2/Nowhere").await,
        StatusCode::NOT_FOUND,
        "/hsm/v2/Nowhere",
    );
}

#[tokio::test]
async fn openapi_document_lists_the_routes() {
    let t = TestServer::start().await;
    let (status, doc) = t
        .call(reqwest::Method::GET, "/openapi.json", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    let paths = doc["paths"].as_object().expect("paths");
    for p in [
        "/hsm/v2/State/Components",
        "/hsm/v2/State/Components/{xname}",
        "/hsm/v2/State/Components/{xname}/StateData",
        "/hsm/v2/State/Components/BulkNID",
        "/hsm/v2/State/Components/ByNID/Query",
        "/hsm/v2/service/values/{parameter}",
        "/oauth/token",
    ] {
        assert!(paths.contains_key(p), "{p} missing from /openapi.json");
    }
    assert!(doc["components"]["schemas"]["Problem"].is_object());
}

#[tokio::test]
async fn data_survives_a_restart() {
    let t = seeded().await;
    assert_eq!(
        t.patch(
            "/hsm/v2/State/Components/x1000c0s0b0n0/NID",
            json!({"NID": 42})
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );
    let before = t.get("/hsm/v2/State/Components").await.1;
    let t = t.restart().await;
    assert_eq!(t.get("/hsm/v2/State/Components").await.1, before);
    assert_eq!(
        t.get("/hsm/v2/State/Components/ByNID/42").await.1["ID"],
        "x1000c0s0b0n0"
    );
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let t = TestServer::start_with(|a| a.max_body = 1024).await;
    let big: Vec<Value> = (0..100)
        .map(|i| json!({"ID": format!("x1000c0s{}b0n0", i % 8), "State": "Ready"}))
        .collect();
    assert_problem(
        &t.post("/hsm/v2/State/Components", json!({"Components": big}))
            .await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "--max-body",
    );
    // The same without a Content-Length (a streamed body) is cut off while reading.
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let chunks = tokio::spawn(async move {
        for _ in 0..4 {
            if tx.send(Ok(vec![b' '; 600])).await.is_err() {
                break;
            }
        }
    });
    let resp = t
        .client
        .post(t.url("/hsm/v2/State/Components"))
        .bearer_auth(&t.admin)
        .body(reqwest::Body::wrap_stream(tokio_stream_from(rx)))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
    chunks.await.expect("sender");
    assert!(t.ids("/hsm/v2/State/Components").await.is_empty());
}

/// A route that writes one record takes 64 KiB; a bulk route takes up to --max-body.
#[tokio::test]
async fn a_one_record_route_takes_a_small_body_and_a_bulk_route_a_large_one() {
    let t = TestServer::start().await;
    let one = "/hsm/v2/State/Components/x1000c0s0b0n0";
    let padded = json!({"ID": "x1000c0s0b0n0", "State": "Ready", "Class": "x".repeat(100 << 10)});
    assert_problem(
        &t.put(one, padded.clone()).await,
        StatusCode::PAYLOAD_TOO_LARGE,
        "65536 bytes: it writes one record",
    );
    // The same without a Content-Length is cut off while it is read, with the same answer.
    let bytes = serde_json::to_vec(&padded).unwrap();
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let chunks = tokio::spawn(async move {
        for c in bytes.chunks(8192) {
            if tx.send(Ok(c.to_vec())).await.is_err() {
                break;
            }
        }
    });
    let resp = t
        .client
        .put(t.url(one))
        .bearer_auth(&t.admin)
        .body(reqwest::Body::wrap_stream(tokio_stream_from(rx)))
        .send()
        .await
        .expect("send");
    let got = common::read(resp).await;
    assert_problem(
        &got,
        StatusCode::PAYLOAD_TOO_LARGE,
        "65536 bytes: it writes one record",
    );
    chunks.await.expect("sender");
    assert!(t.ids("/hsm/v2/State/Components").await.is_empty());

    // 2,000 components (about 90 KiB) in one bulk write are taken.
    let many: Vec<Value> = (0..2000)
        .map(|i| {
            json!({"ID": format!("x1000c{}s{}b0n{}", i / 512, (i / 8) % 64, i % 8),
                   "State": "Ready"})
        })
        .collect();
    let body = json!({"Components": many});
    assert!(serde_json::to_vec(&body).unwrap().len() > 64 << 10);
    let (status, got) = t.post("/hsm/v2/State/Components", body).await;
    assert!(status.is_success(), "{status} {got}");
    assert_eq!(t.ids("/hsm/v2/State/Components").await.len(), 2000);
}

#[tokio::test]
async fn yaml_bodies_in_and_out() {
    let t = TestServer::start().await;
    let resp = t
        .client
        .post(t.url("/hsm/v2/State/Components"))
        .bearer_auth(&t.admin)
        .header("content-type", "application/yaml")
        .body("Components:\n  - ID: x1000c0s0b0n0\n    State: Ready\n    Role: compute\n")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    let resp = t
        .client
        .get(t.url("/hsm/v2/State/Components/x1000c0s0b0n0"))
        .bearer_auth(&t.admin)
        .header("accept", "application/yaml")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.headers()["content-type"], "application/yaml");
    let yaml: serde_yaml::Value =
        serde_yaml::from_str(&resp.text().await.expect("text")).expect("yaml");
    assert_eq!(yaml["ID"].as_str(), Some("x1000c0s0b0n0"));
    assert_eq!(
        yaml["Role"].as_str(),
        Some("Compute"),
        "normalised on the way in"
    );
}

#[tokio::test]
async fn errors_outside_handlers_are_problem_json_too() {
    let t = TestServer::start().await;
    let (status, body) = t
        .call(
            reqwest::Method::PATCH,
            "/hsm/v2/State/Components",
            Some(&t.admin.clone()),
            Some(json!({})),
        )
        .await;
    assert_problem(
        &(status, body),
        StatusCode::METHOD_NOT_ALLOWED,
        "PATCH is not allowed",
    );
    // A path segment axum cannot decode: its plain-text rejection, reshaped.
    let resp = t
        .client
        .get(t.url("/hsm/v2/State/Components/ByNID/%FF"))
        .bearer_auth(&t.admin)
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    assert_eq!(resp.headers()["content-type"], "application/problem+json");
}

/// A write in flight when shutdown starts still completes, and is there after a restart.
#[tokio::test]
async fn shutdown_drains_a_write_in_flight() {
    let t = TestServer::start().await;
    let (tx, rx) = tokio::sync::mpsc::channel::<Result<Vec<u8>, std::io::Error>>(4);
    let body = reqwest::Body::wrap_stream(tokio_stream_from(rx));
    let request = t
        .client
        .post(t.url("/hsm/v2/State/Components"))
        .bearer_auth(&t.admin)
        .header("content-type", "application/json")
        .body(body)
        .send();
    let pending = tokio::spawn(request);
    tx.send(Ok(br#"{"Components": [{"ID": "x1000c0s0b0n0", "#.to_vec()))
        .await
        .expect("first half");
    // Give the request time to reach the server before shutdown begins (bounded wait).
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let TestServer {
        server,
        dir,
        database_url,
        ..
    } = t;
    let shutdown = tokio::spawn(server.shutdown());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    tx.send(Ok(br#""State": "Ready"}]}"#.to_vec()))
        .await
        .expect("second half");
    drop(tx);
    let resp = pending.await.expect("join").expect("request completes");
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    shutdown.await.expect("join").expect("clean shutdown");
    let t = TestServer::start_on(dir, database_url, |_| {}).await;
    assert_eq!(
        t.ids("/hsm/v2/State/Components").await,
        vec!["x1000c0s0b0n0"]
    );
}

/// A stream of body chunks from a channel.
fn tokio_stream_from(
    mut rx: tokio::sync::mpsc::Receiver<Result<Vec<u8>, std::io::Error>>,
) -> impl futures::Stream<Item = Result<Vec<u8>, std::io::Error>> {
    futures::stream::poll_fn(move |cx| rx.poll_recv(cx))
}

#[tokio::test]
async fn a_second_core_on_the_same_data_dir_is_refused() {
    let t = TestServer::start().await;
    let args = chami::server::config::ServeArgs::for_data_dir(
        t.dir.path().to_path_buf(),
        common::loopback(),
    );
    let err = chami::server::start(&args).await.err().expect("refused");
    let text = format!("{err:#}");
    assert!(text.contains("in use by another chami"), "{text}");
    assert!(
        text.contains(&format!("pid {}", std::process::id())),
        "{text}"
    );
}

/// Many writers at once: every change lands, and the cache agrees with the database.
#[tokio::test]
async fn concurrent_writes_all_land() {
    let t = seeded().await;
    let nodes = [
        "x1000c0s0b0n0",
        "x1000c0s0b0n1",
        "x1000c0s1b0n0",
        "x1000c0s2b0n0",
    ];
    let writes = (0..40).map(|i| {
        let path = format!("/hsm/v2/State/Components/{}/NID", nodes[i % nodes.len()]);
        let t = &t;
        async move { t.patch(&path, json!({"NID": 1000 + i})).await.0 }
    });
    for status in futures::future::join_all(writes).await {
        assert_eq!(status, StatusCode::NO_CONTENT);
    }
    // Which write wins per node depends on arrival order; what must hold is that the cache
    // served before the restart equals what the database holds after it.
    let cached = t.get("/hsm/v2/State/Components").await.1;
    let t = t.restart().await;
    assert_eq!(
        t.get("/hsm/v2/State/Components").await.1,
        cached,
        "cache matches the database"
    );
}

#[tokio::test]
async fn lists_are_gzipped_for_clients_that_ask() {
    let t = TestServer::start().await;
    let comps: Vec<Value> = (0..2000)
        .map(|i| json!({"ID": format!("x{}c0s{}b0n0", 1000 + i / 64, i % 64), "State": "Ready"}))
        .collect();
    let (status, body) = t
        .post("/hsm/v2/State/Components", json!({ "Components": comps }))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let ca = std::fs::read(t.server.ca.as_ref().expect("generated CA")).unwrap();
    // A client that leaves the body as sent.
    let raw = reqwest::Client::builder()
        .use_rustls_tls()
        .no_gzip()
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).unwrap())
        .build()
        .unwrap();
    let get = |gzip: bool| {
        let mut req = raw
            .get(t.url("/hsm/v2/State/Components"))
            .bearer_auth(&t.admin);
        if gzip {
            req = req.header("accept-encoding", "gzip");
        }
        async move {
            let resp = req.send().await.unwrap();
            let encoding = resp
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap().to_string());
            (encoding, resp.bytes().await.unwrap())
        }
    };
    let (encoding, zipped) = get(true).await;
    assert_eq!(encoding.as_deref(), Some("gzip"));
    assert_eq!(&zipped[..2], [0x1f, 0x8b], "gzip's magic number");
    let (encoding, plain) = get(false).await;
    assert_eq!(encoding, None);
    let v: Value = serde_json::from_slice(&plain).unwrap();
    assert_eq!(v["Components"].as_array().unwrap().len(), 2000);
    assert!(
        zipped.len() * 5 < plain.len(),
        "{} bytes gzipped, {} plain",
        zipped.len(),
        plain.len()
    );
}

/// The database and its -wal and -shm files are owner-only (0600), also when an older file was
/// left 0644 in a data dir that others can read.
#[cfg(unix)]
#[tokio::test]
async fn database_files_are_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let db = dir.path().join(chami::server::DB_FILE);
    std::fs::write(&db, b"").unwrap();
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let t = TestServer::start_on(dir, None, |_| {}).await;
    let (status, body) = t
        .post(
            "/hsm/v2/State/Components",
            json!({"Components": [{"ID": "x1000c0s0b0n0", "State": "Ready"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    for name in ["chami.db", "chami.db-wal", "chami.db-shm"] {
        let path = t.dir.path().join(name);
        let mode = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{name}: {e}"))
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{name} is {:o}", mode & 0o777);
    }
}

/// SMD keeps a Role on any component type (a management NodeBMC, say); NIDs stay nodes'.
#[tokio::test]
async fn a_bmc_may_have_a_role() {
    let t = TestServer::start().await;
    let (status, body) = t
        .post(
            "/hsm/v2/State/Components",
            json!({"Components": [{"ID": "x3000c0s1b0", "State": "Ready", "Role": "Management"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, c) = t.get("/hsm/v2/State/Components/x3000c0s1b0").await;
    assert_eq!(c["Role"], "Management", "{c}");
    assert_eq!(c.get("NID"), None, "no NID is made up for a BMC: {c}");
    let (status, body) = t
        .patch(
            "/hsm/v2/State/Components/BulkRole",
            json!({"ComponentIDs": ["x3000c0s1b0"], "Role": "Service"}),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    let (_, c) = t.get("/hsm/v2/State/Components/x3000c0s1b0").await;
    assert_eq!(c["Role"], "Service", "{c}");
}
