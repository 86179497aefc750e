//! The API under CSM's gateway prefixes (`/apis/smd/hsm/v2`, `/smd/hsm/v2`,
//! `/apis/bss/boot/v1`, `/apis/power-control/v1`): the same operations, the same policy,
//! tenant rules and body limits as at the canonical paths; nothing else is rewritten.

mod common;

use chami::service::auth::Role;
use common::{assert_problem, mint_for, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

fn ids(body: &Value) -> Vec<String> {
    let mut v: Vec<String> = body["Components"]
        .as_array()
        .unwrap_or_else(|| panic!("no Components: {body}"))
        .iter()
        .map(|c| c["ID"].as_str().unwrap().to_string())
        .collect();
    v.sort();
    v
}

#[tokio::test]
async fn every_gateway_prefix_serves_the_canonical_operation() {
    let t = TestServer::start().await;
    let (status, body) = t
        .post(
            "/apis/smd/hsm/v2/State/Components",
            json!({"Components": [
                {"ID": "x1000c0s0b0n0", "State": "Ready", "Role": "Compute", "NID": 1},
                {"ID": "x1000c0s1b0n0", "State": "Off", "Role": "Compute", "NID": 2}]}),
        )
        .await;
    assert!(status.is_success(), "{status}: {body}");
    let (status, canonical) = t.get("/hsm/v2/State/Components").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(ids(&canonical), ["x1000c0s0b0n0", "x1000c0s1b0n0"]);
    for prefix in ["/apis/smd/hsm/v2", "/smd/hsm/v2"] {
        let (status, body) = t.get(&format!("{prefix}/State/Components")).await;
        assert_eq!(status, StatusCode::OK, "{prefix}: {body}");
        assert_eq!(body, canonical, "{prefix}");
        // The query travels with the rewrite.
        let (status, body) = t.get(&format!("{prefix}/State/Components?state=Off")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(ids(&body), ["x1000c0s1b0n0"]);
    }

    let (status, body) = t
        .put(
            "/apis/bss/boot/v1/bootparameters",
            json!({"hosts": ["x1000c0s0b0n0"], "kernel": "http://k/vmlinuz"}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let (status, body) = t.get("/boot/v1/bootparameters?name=x1000c0s0b0n0").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body[0]["kernel"], "http://k/vmlinuz", "{body}");
    let (status, body) = t.get("/apis/power-control/v1/transitions").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["transitions"].is_array(), "{body}");

    // Only whole segments of the known prefixes are rewritten.
    for path in [
        "/apis/smd/hsm/v2x/State/Components",
        "/apis/smd/State/Components",
        "/smd/boot/v1/bootparameters",
    ] {
        let got = t.get(path).await;
        assert_problem(&got, StatusCode::NOT_FOUND, "no such path");
    }
    // Auth is the same: no token, no answer.
    let (status, _) = t
        .call(Method::GET, "/apis/smd/hsm/v2/State/Components", None, None)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_tenant_sees_only_its_nodes_through_the_gateway_and_bulk_bodies_pass() {
    let t = TestServer::start().await;
    // A body above one record's limit (64 KiB) on a bulk route, through the gateway.
    let many: Vec<Value> = (0..2000)
        .map(|i| json!({"ID": format!("x1000c0s{i}b0n0"), "State": "Ready", "Role": "Compute"}))
        .collect();
    let body = json!({ "Components": many });
    assert!(body.to_string().len() > 64 * 1024);
    let (status, got) = t.post("/smd/hsm/v2/State/Components", body).await;
    assert!(status.is_success(), "{status}: {got}");
    // A single-record route keeps its small limit under the prefix too.
    let big = "x".repeat(70 * 1024);
    let (status, _) = t
        .patch(
            "/apis/smd/hsm/v2/State/Components/x1000c0s0b0n0/StateData",
            json!({"State": "Ready", "Pad": big}),
        )
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);

    let (status, body) = t
        .put(
            "/apis/tapms/v1alpha3/tenants/blue",
            json!({"spec": {"tenantresources": [{"type": "compute",
                "xnames": ["x1000c0s0b0n0"], "enforceexclusivehsmgroups": false}]}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let blue = mint_for(&t.server, "bob", &[Role::Operator], Some("blue"));
    let as_blue = |path: &'static str| {
        let req = t
            .client
            .get(t.url(path))
            .bearer_auth(&blue)
            .header("Cray-Tenant-Name", "blue");
        async move { common::read(req.send().await.unwrap()).await }
    };
    for path in [
        "/apis/smd/hsm/v2/State/Components",
        "/hsm/v2/State/Components",
    ] {
        let (status, body) = as_blue(path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
        assert_eq!(ids(&body), ["x1000c0s0b0n0"], "{path}");
    }
    // Another tenant's node is as unknown under the prefix as at the canonical path.
    let mut answers = Vec::new();
    for path in [
        "/apis/smd/hsm/v2/State/Components/x1000c0s1b0n0",
        "/hsm/v2/State/Components/x1000c0s1b0n0",
        "/hsm/v2/State/Components/x9000c0s1b0n0",
    ] {
        let (status, body) = as_blue(path).await;
        answers.push((
            status,
            body["detail"]
                .as_str()
                .unwrap_or_default()
                .replace("x9000", "x1000"),
        ));
    }
    assert_eq!(answers[0].0, StatusCode::NOT_FOUND, "{answers:?}");
    assert!(answers.iter().all(|a| *a == answers[0]), "{answers:?}");
}
