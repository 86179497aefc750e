//! SMD locking v2 over HTTPS: admin locks, admin and service reservations with their keys,
//! rigid and flexible processing, disable and repair, deputy-key checks, status, bad input.

mod common;

use common::{assert_problem, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

const NODES: [&str; 3] = ["x1000c0s0b0n0", "x1000c0s0b0n1", "x1000c0s1b0n0"];

async fn seeded() -> TestServer {
    let t = TestServer::start().await;
    let comps: Vec<Value> = NODES
        .iter()
        .map(|id| json!({"ID": id, "State": "Ready", "Role": "Compute"}))
        .collect();
    let (status, body) = t
        .post("/hsm/v2/State/Components", json!({ "Components": comps }))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "seed: {body}");
    t
}

async fn status_of(t: &TestServer, id: &str) -> Value {
    let (status, body) = t
        .post("/hsm/v2/locks/status", json!({"ComponentIDs": [id]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["Components"][0].clone()
}

fn failed(v: &Value) -> Vec<(String, String)> {
    v["Failure"]
        .as_array()
        .unwrap_or_else(|| panic!("no Failure in {v}"))
        .iter()
        .map(|f| {
            (
                f["ID"].as_str().unwrap().to_string(),
                f["Reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn lock_unlock_rigid_and_flexible() {
    let t = seeded().await;
    let (status, body) = t
        .post(
            "/hsm/v2/locks/lock",
            json!({"ComponentIDs": ["x1000c0s0b0n0"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        json!({"Counts": {"Total": 1, "Success": 1, "Failure": 0},
               "Success": {"ComponentIDs": ["x1000c0s0b0n0"]}, "Failure": []})
    );
    let s = status_of(&t, "x1000c0s0b0n0").await;
    assert_eq!(s["Locked"], true, "{s}");
    assert_eq!(s["Reserved"], false);

    // Rigid (the default): one locked node refuses the whole request, naming it.
    let got = t
        .post(
            "/hsm/v2/locks/lock",
            json!({"ComponentIDs": ["x1000c0s0b0n0", "x1000c0s0b0n1"]}),
        )
        .await;
    assert_problem(
        &got,
        StatusCode::BAD_REQUEST,
        "Component is Locked: x1000c0s0b0n0",
    );
    assert_eq!(status_of(&t, "x1000c0s0b0n1").await["Locked"], false);

    // Flexible: what can be done is done, the rest is reported.
    let (status, body) = t
        .post(
            "/hsm/v2/locks/lock",
            json!({"ComponentIDs": ["x1000c0s0b0n0", "x1000c0s0b0n1", "x9c0s0b0n0"],
                   "ProcessingModel": "flexible"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["Counts"],
        json!({"Total": 3, "Success": 1, "Failure": 2})
    );
    assert_eq!(body["Success"]["ComponentIDs"], json!(["x1000c0s0b0n1"]));
    let mut f = failed(&body);
    f.sort();
    assert_eq!(
        f,
        [
            ("x1000c0s0b0n0".to_string(), "Locked".to_string()),
            ("x9c0s0b0n0".to_string(), "NotFound".to_string())
        ]
    );

    // A filter instead of ids: every locked Compute node unlocks.
    let (status, body) = t
        .post(
            "/hsm/v2/locks/unlock",
            json!({"ComponentIDs": ["x1000c0s0b0n0", "x1000c0s0b0n1"], "Role": ["Compute"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["Counts"]["Success"], 2, "{body}");

    // GET status filters by lock state.
    t.post(
        "/hsm/v2/locks/lock",
        json!({"ComponentIDs": ["x1000c0s1b0n0"]}),
    )
    .await;
    let (status, body) = t.get("/hsm/v2/locks/status?locked=true").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let ids: Vec<&str> = body["Components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["ID"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["x1000c0s1b0n0"]);

    // Unknown ids are listed apart in a status POST.
    let (_, body) = t
        .post(
            "/hsm/v2/locks/status",
            json!({"ComponentIDs": ["x1000c0s0b0n0", "x5c0s0b0n0"]}),
        )
        .await;
    assert_eq!(body["NotFound"], json!(["x5c0s0b0n0"]), "{body}");
}

#[tokio::test]
async fn reservations_keys_renew_release_and_check() {
    let t = seeded().await;
    let a = "x1000c0s0b0n0";

    // An admin reservation needs the lock.
    let got = t
        .post("/hsm/v2/locks/reservations", json!({"ComponentIDs": [a]}))
        .await;
    assert_problem(&got, StatusCode::BAD_REQUEST, "Component is Unlocked");

    // A service reservation lasts its minutes and carries both keys.
    let (status, body) = t
        .post(
            "/hsm/v2/locks/service/reservations",
            json!({"ComponentIDs": [a], "ReservationDuration": 2}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let r = &body["Success"][0];
    assert_eq!(r["ID"], a);
    let rk = r["ReservationKey"].as_str().unwrap().to_string();
    let dk = r["DeputyKey"].as_str().unwrap().to_string();
    assert!(rk.starts_with(&format!("{a}:rk:")), "{rk}");
    assert!(dk.starts_with(&format!("{a}:dk:")), "{dk}");
    assert!(r["ExpirationTime"].is_string(), "{r}");
    let s = status_of(&t, a).await;
    assert_eq!(s["Reserved"], true, "{s}");

    // A second holder is refused; a reserved node cannot be locked.
    let got = t
        .post(
            "/hsm/v2/locks/service/reservations",
            json!({"ComponentIDs": [a]}),
        )
        .await;
    assert_problem(
        &got,
        StatusCode::BAD_REQUEST,
        "Component is Reserved: x1000c0s0b0n0",
    );
    let got = t
        .post("/hsm/v2/locks/lock", json!({"ComponentIDs": [a]}))
        .await;
    assert_problem(&got, StatusCode::BAD_REQUEST, "Component is Reserved");

    // The deputy key checks out; a made-up one does not.
    let (status, body) = t
        .post(
            "/hsm/v2/locks/service/reservations/check",
            json!({"DeputyKeys": [{"ID": a, "Key": dk}, {"ID": "x1000c0s0b0n1", "Key": "nope"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["Success"][0]["DeputyKey"], dk.as_str());
    assert!(body["Success"][0].get("ReservationKey").is_none(), "{body}");
    assert_eq!(
        failed(&body),
        [("x1000c0s0b0n1".to_string(), "NotFound".to_string())]
    );

    // Renew and release need the private key, not the deputy key.
    let got = t
        .post(
            "/hsm/v2/locks/service/reservations/release",
            json!({"ReservationKeys": [{"ID": a, "Key": dk}]}),
        )
        .await;
    assert_problem(
        &got,
        StatusCode::BAD_REQUEST,
        "Component not found: x1000c0s0b0n0",
    );
    let (status, body) = t
        .post(
            "/hsm/v2/locks/service/reservations/renew",
            json!({"ReservationKeys": [{"ID": a, "Key": rk}], "ReservationDuration": 5}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["Counts"]["Success"], 1);
    let (status, body) = t
        .post(
            "/hsm/v2/locks/service/reservations/release",
            json!({"ReservationKeys": [{"ID": a, "Key": rk}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(status_of(&t, a).await["Reserved"], false);

    // Admin: lock, reserve for good, remove by force, unlock.
    t.post("/hsm/v2/locks/lock", json!({"ComponentIDs": [a]}))
        .await;
    let (status, body) = t
        .post("/hsm/v2/locks/reservations", json!({"ComponentIDs": [a]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["Success"][0].get("ExpirationTime").is_none(), "{body}");
    let (status, body) = t
        .post(
            "/hsm/v2/locks/reservations/remove",
            json!({"ComponentIDs": [a]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, _) = t
        .post("/hsm/v2/locks/unlock", json!({"ComponentIDs": [a]}))
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn disable_repair_and_bad_input() {
    let t = seeded().await;
    let a = "x1000c0s0b0n1";
    let (_, body) = t
        .post(
            "/hsm/v2/locks/service/reservations",
            json!({"ComponentIDs": [a]}),
        )
        .await;
    assert_eq!(body["Success"][0]["ID"], a, "{body}");
    // Disable drops the reservation and refuses new ones until repaired.
    let (status, _) = t
        .post("/hsm/v2/locks/disable", json!({"ComponentIDs": [a]}))
        .await;
    assert_eq!(status, StatusCode::OK);
    let s = status_of(&t, a).await;
    assert_eq!(
        (s["Reserved"].clone(), s["ReservationDisabled"].clone()),
        (json!(false), json!(true))
    );
    let got = t
        .post(
            "/hsm/v2/locks/service/reservations",
            json!({"ComponentIDs": [a]}),
        )
        .await;
    assert_problem(
        &got,
        StatusCode::BAD_REQUEST,
        "Component reservations are disabled",
    );
    t.post("/hsm/v2/locks/repair", json!({"ComponentIDs": [a]}))
        .await;
    let (status, _) = t
        .post(
            "/hsm/v2/locks/service/reservations",
            json!({"ComponentIDs": [a]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK);

    for (path, body, needle) in [
        (
            "/hsm/v2/locks/lock",
            json!({"ComponentIDs": [a], "ProcessingModel": "sloppy"}),
            "Invalid Processing Model 'sloppy'",
        ),
        (
            "/hsm/v2/locks/service/reservations",
            json!({"ComponentIDs": [a], "ReservationDuration": 60}),
            "Invalid Reservation Duration 60",
        ),
        (
            "/hsm/v2/locks/lock",
            json!({"ComponentIDs": ["not-an-xname"]}),
            "ComponentIDs[0]",
        ),
        (
            "/hsm/v2/locks/lock",
            json!({"ComponentIDs": [a], "Colour": "red"}),
            "bad query param",
        ),
        (
            "/hsm/v2/locks/service/reservations/check",
            json!({"DeputyKeys": []}),
            "missing DeputyKeys",
        ),
        (
            "/hsm/v2/locks/lock",
            json!({"ComponentIDs": ["x7c0s0b0n0"]}),
            "Component not found: x7c0s0b0n0",
        ),
        ("/hsm/v2/locks/status", json!({}), "missing ComponentIDs"),
    ] {
        let got = t.post(path, body).await;
        assert_problem(&got, StatusCode::BAD_REQUEST, needle);
    }
    let got = t.get("/hsm/v2/locks/status?locked=maybe").await;
    assert_problem(
        &got,
        StatusCode::BAD_REQUEST,
        "locked 'maybe' is not a boolean",
    );
    let got = t
        .raw(reqwest::Method::POST, "/hsm/v2/locks/lock", "{oops")
        .await;
    assert_eq!(got.0, StatusCode::BAD_REQUEST, "{}", got.1);
}

#[tokio::test]
async fn a_component_shows_its_lock_and_lists_filter_on_it() {
    let t = seeded().await;
    let (status, body) = t
        .post("/hsm/v2/locks/lock", json!({"ComponentIDs": [NODES[0]]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = t
        .post("/hsm/v2/locks/disable", json!({"ComponentIDs": [NODES[1]]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let (_, c) = t
        .get(&format!("/hsm/v2/State/Components/{}", NODES[0]))
        .await;
    assert_eq!(c["Locked"], true, "{c}");
    assert_eq!(c.get("ReservationDisabled"), None, "{c}");
    let (_, c) = t
        .get(&format!("/hsm/v2/State/Components/{}", NODES[1]))
        .await;
    assert_eq!(c["ReservationDisabled"], true, "{c}");

    // SMD's spellings and ParseBool's values.
    assert_eq!(
        t.ids("/hsm/v2/State/Components?locked=True").await,
        [NODES[0]]
    );
    assert_eq!(
        t.ids("/hsm/v2/State/Components?locked=False").await,
        [NODES[1], NODES[2]]
    );
    assert_eq!(
        t.ids("/hsm/v2/State/Components?reservation_disabled=true")
            .await,
        [NODES[1]]
    );
    let (status, body) = t
        .post(
            "/hsm/v2/State/Components/Query",
            json!({"ComponentIDs": NODES, "locked": ["false"], "reservation_disabled": ["false"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["Components"].as_array().map(Vec::len),
        Some(1),
        "{body}"
    );
    assert_eq!(body["Components"][0]["ID"], NODES[2]);
    let got = t.get("/hsm/v2/State/Components?locked=maybe").await;
    assert_problem(
        &got,
        StatusCode::BAD_REQUEST,
        "locked 'maybe' is not a boolean",
    );

    // Unlock and repair: the record follows.
    for (path, id) in [
        ("/hsm/v2/locks/unlock", NODES[0]),
        ("/hsm/v2/locks/repair", NODES[1]),
    ] {
        let (status, body) = t.post(path, json!({"ComponentIDs": [id]})).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    assert!(t
        .ids("/hsm/v2/State/Components?locked=true")
        .await
        .is_empty());
    assert!(t
        .ids("/hsm/v2/State/Components?reservation_disabled=true")
        .await
        .is_empty());
}

#[tokio::test]
async fn a_status_matching_no_component_is_smds_400() {
    let t = seeded().await;
    let got = t
        .post(
            "/hsm/v2/locks/status",
            json!({"ComponentIDs": ["x9c0s0b0n0", "x9c0s0b0n1"]}),
        )
        .await;
    assert_problem(&got, StatusCode::BAD_REQUEST, "Component not found");
    // One known is enough for a 200 naming the others.
    let (status, body) = t
        .post(
            "/hsm/v2/locks/status",
            json!({"ComponentIDs": [NODES[0], "x9c0s0b0n0"]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["NotFound"], json!(["x9c0s0b0n0"]));
    let got = t.get("/hsm/v2/locks/status?type=Partition").await;
    assert_problem(&got, StatusCode::BAD_REQUEST, "Component not found");
    let got = t.get("/hsm/v2/locks/status?locked=True").await;
    assert_problem(&got, StatusCode::BAD_REQUEST, "Component not found");
    let (status, body) = t.get("/hsm/v2/locks/status?locked=False").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body["Components"].as_array().map(Vec::len),
        Some(3),
        "{body}"
    );
}
