//! TAPMS tenants over HTTPS: create and read (by name, by UUID, by owned xname, under both API
//! versions), the mirror into SMD groups and partitions, the invariants (exclusive membership,
//! roles, immutable exclusive flag), versions with If-Match, the lifecycle states including
//! Error, delete with force power-off, and who may write.

mod common;

use chami::service::auth::Role;
use common::{assert_problem, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const T: &str = "/apis/tapms/v1alpha3/tenants";

async fn seeded() -> TestServer {
    let t = TestServer::start().await;
    let mut comps: Vec<Value> = (0..4)
        .map(|i| json!({"ID": format!("x1000c0s{i}b0n0"), "State": "Ready", "Role": "Compute"}))
        .collect();
    comps.push(json!({"ID": "x1000c0s9b0n0", "State": "Ready", "Role": "Application"}));
    let (status, body) = t
        .post("/hsm/v2/State/Components", json!({ "Components": comps }))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "seed: {body}");
    t
}

fn blue() -> Value {
    json!({"spec": {"tenantname": "blue", "tenantresources": [
        {"type": "compute", "xnames": ["x1000c0s0b0n0", "x1000c0s1b0n0"],
         "hsmgrouplabel": "blue", "enforceexclusivehsmgroups": true}],
        "admins": {"subjects": ["alice"]}}})
}

#[tokio::test]
async fn create_read_and_mirror_into_groups() {
    let t = seeded().await;
    let (status, body) = t.put(&format!("{T}/blue"), blue()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["spec"]["state"], "Deployed", "{body}");
    assert_eq!(
        body["metadata"]["resourceVersion"], "2",
        "written New, then Deployed"
    );
    let uuid = body["status"]["uuid"].as_str().unwrap().to_string();
    assert_eq!(
        body["status"]["tenantresources"],
        body["spec"]["tenantresources"]
    );
    assert_eq!(body["status"]["conditions"][0]["reason"], "Deployed");

    // By name, by UUID, in the list, under the v1 alias.
    for path in [
        format!("{T}/blue"),
        format!("{T}/{uuid}"),
        "/apis/tapms/v1/tenants/blue".to_string(),
    ] {
        let (status, got) = t.get(&path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {got}");
        assert_eq!(got["spec"]["tenantname"], "blue");
    }
    let (_, all) = t.get(T).await;
    assert_eq!(all.as_array().unwrap().len(), 1);

    // The owning-tenant lookup TAPMS clients use.
    let (status, owners) = t.post(T, json!(["x1000c0s1b0n0", "x1000c0s3b0n0"])).await;
    assert_eq!(status, StatusCode::OK, "{owners}");
    assert_eq!(owners[0]["status"]["uuid"], uuid.as_str());
    let (_, none) = t.post(T, json!(["x1000c0s3b0n0"])).await;
    assert_eq!(none, json!([]));
    let got = t.post(T, json!(["bogus"])).await;
    assert_problem(&got, StatusCode::BAD_REQUEST, "xname 'bogus'");

    // SMD sees the tenant as an exclusive group and in memberships.
    let (_, g) = t.get("/hsm/v2/groups/blue").await;
    assert_eq!(g["exclusiveGroup"], "tapms-exclusive-group-label", "{g}");
    assert_eq!(
        g["members"]["ids"],
        json!(["x1000c0s0b0n0", "x1000c0s1b0n0"])
    );
    let (_, m) = t.get("/hsm/v2/memberships/x1000c0s1b0n0").await;
    assert_eq!(m["groupLabels"], json!(["blue"]), "{m}");

    // A partition resource becomes an SMD partition.
    let (status, body) = t
        .put(
            &format!("{T}/apps"),
            json!({"tenantname": "apps", "tenantresources": [
                {"type": "application", "xnames": ["x1000c0s9b0n0"], "hsmpartitionname": "p2"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, p) = t.get("/hsm/v2/partitions/p2").await;
    assert_eq!(p["members"]["ids"], json!(["x1000c0s9b0n0"]), "{p}");
}

#[tokio::test]
async fn invariants_refuse_with_clear_errors_and_change_nothing() {
    let t = seeded().await;
    let (status, _) = t.put(&format!("{T}/blue"), blue()).await;
    assert_eq!(status, StatusCode::CREATED);

    // A node in blue's exclusive group cannot join another exclusive tenant.
    let red = json!({"tenantname": "red", "tenantresources": [
        {"type": "compute", "xnames": ["x1000c0s1b0n0", "x1000c0s2b0n0"],
         "enforceexclusivehsmgroups": true}]});
    let got = t.put(&format!("{T}/red"), red).await;
    assert_problem(&got, StatusCode::CONFLICT, "x1000c0s1b0n0 (tenant blue)");
    assert_eq!(t.get(&format!("{T}/red")).await.0, StatusCode::NOT_FOUND);
    assert_eq!(t.get("/hsm/v2/groups/red").await.0, StatusCode::NOT_FOUND);

    for (body, needle) in [
        (
            json!({"tenantresources": [{"type": "compute", "xnames": ["x1000c0s9b0n0"]}]}),
            "needs Role Compute",
        ),
        (
            json!({"tenantresources": [{"type": "compute", "xnames": ["x1000c0s7b0n0"]}]}),
            "unknown nodes: x1000c0s7b0n0",
        ),
        (
            json!({"tenantresources": [{"type": "compute", "xnames": ["x1000c0s2b0n0"],
                    "hsmgrouplabel": "g", "hsmpartitionname": "p1"}]}),
            "exclude each other",
        ),
        (
            json!({"tenantname": "other", "tenantresources": [
                {"type": "compute", "xnames": ["x1000c0s2b0n0"]}]}),
            "does not match",
        ),
    ] {
        let got = t.put(&format!("{T}/green"), body).await;
        assert_problem(&got, StatusCode::BAD_REQUEST, needle);
    }
    let got = t
        .raw(
            Method::PUT,
            &format!("{T}/green"),
            "{\"tenantresources\": 7}",
        )
        .await;
    assert_problem(&got, StatusCode::BAD_REQUEST, "tenant spec");

    // The exclusive flag is fixed at creation.
    let got = t
        .patch(
            &format!("{T}/blue"),
            json!({"tenantresources": [{"type": "compute", "xnames": ["x1000c0s0b0n0"],
                    "hsmgrouplabel": "blue", "enforceexclusivehsmgroups": false}]}),
        )
        .await;
    assert_problem(
        &got,
        StatusCode::BAD_REQUEST,
        "enforceexclusivehsmgroups cannot change",
    );

    // Another tenant's group cannot be shared.
    let got = t
        .put(
            &format!("{T}/teal"),
            json!({"tenantresources": [{"type": "compute", "xnames": ["x1000c0s3b0n0"],
                    "hsmgrouplabel": "BLUE"}]}),
        )
        .await;
    assert_problem(
        &got,
        StatusCode::CONFLICT,
        "group blue already belongs to tenant blue",
    );

    // A label already used by a group that is not the tenant's: the tenant ends in Error.
    let (status, _) = t
        .post(
            "/hsm/v2/groups",
            json!({"label": "taken", "members": {"ids": []}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let got = t
        .put(
            &format!("{T}/taken"),
            json!({"tenantname": "taken", "tenantresources": [
                {"type": "compute", "xnames": ["x1000c0s3b0n0"],
                 "enforceexclusivehsmgroups": true}]}),
        )
        .await;
    assert_problem(&got, StatusCode::CONFLICT, "group taken already exists");
    let (_, bad) = t.get(&format!("{T}/taken")).await;
    assert_eq!(bad["spec"]["state"], "Error", "{bad}");
    assert_eq!(
        bad["status"]["conditions"][0]["reason"], "ApplyFailed",
        "{bad}"
    );
}

#[tokio::test]
async fn versions_patch_delete_and_roles() {
    let t = seeded().await;
    let (status, created) = t.put(&format!("{T}/blue"), blue()).await;
    assert_eq!(status, StatusCode::CREATED);
    let v = created["metadata"]["resourceVersion"]
        .as_str()
        .unwrap()
        .to_string();

    // A stale If-Match changes nothing.
    let resp = t
        .client
        .patch(t.url(&format!("{T}/blue")))
        .bearer_auth(&t.admin)
        .header("If-Match", "\"1\"")
        .json(&json!({"tenantresources": [{"type": "compute",
            "xnames": ["x1000c0s0b0n0"], "hsmgrouplabel": "blue",
            "enforceexclusivehsmgroups": true}]}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::PRECONDITION_FAILED);
    let (_, g) = t.get("/hsm/v2/groups/blue").await;
    assert_eq!(g["members"]["ids"].as_array().unwrap().len(), 2);

    // The current version works; the ETag is the version.
    let resp = t
        .client
        .patch(t.url(&format!("{T}/blue")))
        .bearer_auth(&t.admin)
        .header("If-Match", format!("\"{v}\""))
        .json(&json!({"spec": {"tenantresources": [{"type": "compute",
            "xnames": ["x1000c0s0b0n0", "x1000c0s1b0n0", "x1000c0s2b0n0"],
            "hsmgrouplabel": "blue", "enforceexclusivehsmgroups": true,
            "forcepoweroff": true}]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let etag = resp.headers()["etag"].to_str().unwrap().to_string();
    let body: Value = resp.json().await.unwrap();
    assert_eq!(
        etag,
        format!(
            "\"{}\"",
            body["metadata"]["resourceVersion"].as_str().unwrap()
        )
    );
    let (_, g) = t.get("/hsm/v2/groups/blue").await;
    assert_eq!(g["members"]["ids"].as_array().unwrap().len(), 3, "{g}");

    // Only admins write.
    let op = t.token("olga", &[Role::Operator]);
    let resp = t
        .client
        .put(t.url(&format!("{T}/pink")))
        .bearer_auth(&op)
        .json(&blue())
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);
    let svc = t.token("bos", &[Role::Service]);
    let resp = t
        .client
        .delete(t.url(&format!("{T}/blue")))
        .bearer_auth(&svc)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // Delete: the group goes, a Force-Off transition takes the nodes.
    let (status, body) = t.delete(&format!("{T}/blue")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["transitionID"]
        .as_str()
        .expect("a transition")
        .to_string();
    let (status, tr) = t.get(&format!("/power-control/v1/transitions/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{tr}");
    assert_eq!(tr["operation"], "Force-Off");
    assert_eq!(tr["taskCounts"]["total"], 3, "{tr}");
    assert_eq!(t.get("/hsm/v2/groups/blue").await.0, StatusCode::NOT_FOUND);
    assert_eq!(t.get(&format!("{T}/blue")).await.0, StatusCode::NOT_FOUND);
    // The nodes are free for another exclusive tenant.
    let (status, body) = t
        .put(
            &format!("{T}/red"),
            json!({"tenantname": "red",
        "tenantresources": [{"type": "compute", "xnames": ["x1000c0s1b0n0"],
        "enforceexclusivehsmgroups": true}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

/// The console's tenant calls: create only when the name is free (`If-None-Match: *`), join
/// nodes by read-modify-write with `If-Match` (an application node gets its own resource),
/// release them (a tenant left with no node is refused by name, the others still change),
/// and delete.
#[tokio::test]
async fn console_client_creates_joins_releases_and_deletes() {
    use chami::client::{Client, ClientError};
    use chami::model::tenant::TenantSpec;
    let t = seeded().await;
    let ca = std::fs::read(t.server.ca.as_ref().unwrap()).unwrap();
    let c = Client::new(&t.server.url(), &t.admin, Some(&ca)).unwrap();
    let spec: TenantSpec = serde_json::from_value(blue()["spec"].clone()).unwrap();
    c.tenant_put(&spec, None).await.expect("created");
    let err = c.tenant_put(&spec, None).await.unwrap_err();
    assert!(
        matches!(&err, ClientError::Api { status: 412, .. })
            && err.to_string().contains("exists already"),
        "{err}"
    );
    // A stale version is refused and changes nothing.
    let (blue_now, etag) = c.tenant_get("blue").await.unwrap();
    assert_eq!(etag.as_deref(), Some("\"2\""), "created, then deployed");
    let err = c
        .tenant_put(&blue_now.spec, Some("\"1\""))
        .await
        .unwrap_err();
    assert!(matches!(err, ClientError::Api { status: 412, .. }), "{err}");
    let resp = t
        .client
        .put(t.url(&format!("{T}/blue")))
        .bearer_auth(&t.admin)
        .header("If-None-Match", "\"3\"")
        .json(&blue())
        .send()
        .await
        .unwrap();
    assert_problem(
        &common::read(resp).await,
        StatusCode::BAD_REQUEST,
        "If-None-Match",
    );

    let n = |x: &str, r: &str| (x.to_string(), r.to_string());
    c.tenant_join(
        "blue",
        &[
            n("x1000c0s2b0n0", "Compute"),
            n("x1000c0s9b0n0", "Application"),
        ],
    )
    .await
    .expect("joined");
    let (_, body) = t.get(&format!("{T}/blue")).await;
    let res = &body["spec"]["tenantresources"];
    assert_eq!(
        res[0]["xnames"],
        json!(["x1000c0s0b0n0", "x1000c0s1b0n0", "x1000c0s2b0n0"])
    );
    assert_eq!(res[1]["type"], "application");
    assert_eq!(res[1]["hsmgrouplabel"], "blue-application");
    assert_eq!(res[1]["xnames"], json!(["x1000c0s9b0n0"]));
    let (_, g) = t.get("/hsm/v2/groups/blue").await;
    assert_eq!(g["members"]["ids"].as_array().unwrap().len(), 3, "{g}");

    // A second tenant holding only x1000c0s3b0n0: releasing it and one of blue's nodes
    // changes blue and names why red is left as it is.
    let red = json!({"spec": {"tenantname": "red", "tenantresources": [
        {"type": "compute", "xnames": ["x1000c0s3b0n0"]}]}});
    let (status, body) = t.put(&format!("{T}/red"), red).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let results = c
        .tenant_release(&["x1000c0s1b0n0".into(), "x1000c0s3b0n0".into()])
        .await
        .expect("looked up");
    let by: Vec<(&str, bool)> = results
        .iter()
        .map(|(n, r)| (n.as_str(), r.is_ok()))
        .collect();
    assert_eq!(by, [("blue", true), ("red", false)], "{results:?}");
    let why = results[1].1.as_ref().unwrap_err().to_string();
    assert!(why.contains("would hold no node"), "{why}");
    let (_, body) = t.get(&format!("{T}/blue")).await;
    assert_eq!(
        body["spec"]["tenantresources"][0]["xnames"],
        json!(["x1000c0s0b0n0", "x1000c0s2b0n0"])
    );
    let (_, body) = t.get(&format!("{T}/red")).await;
    assert_eq!(
        body["spec"]["tenantresources"][0]["xnames"],
        json!(["x1000c0s3b0n0"])
    );

    let said = c.tenant_delete("red").await.unwrap();
    assert_eq!(said, "tenant red deleted");
    let err = c.tenant_delete("red").await.unwrap_err();
    assert!(matches!(err, ClientError::Api { status: 404, .. }), "{err}");
}
