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

    // A label already used by a group that is not the tenant's: refused, and nothing stored
    // (the tenant used to be stored in Error, and its admin could reach the node).
    let (status, _) = t
        .post(
            "/hsm/v2/groups",
            json!({"label": "taken", "members": {"ids": []}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    for exclusive in [true, false] {
        let got = t
            .put(
                &format!("{T}/taken"),
                json!({"tenantname": "taken", "tenantresources": [
                    {"type": "compute", "xnames": ["x1000c0s3b0n0"],
                     "enforceexclusivehsmgroups": exclusive}],
                    "admins": {"subjects": ["tara"]}}),
            )
            .await;
        assert_problem(&got, StatusCode::CONFLICT, "group taken already exists");
        let got = t.get(&format!("{T}/taken")).await;
        assert_eq!(got.0, StatusCode::NOT_FOUND, "{}", got.1);
        let (_, g) = t.get("/hsm/v2/groups/taken").await;
        assert_eq!(
            g["members"]["ids"],
            json!([]),
            "the group is untouched: {g}"
        );
    }
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

/// A PUT (or, with `patch`, a PATCH) of tenant `name` as the admin.
async fn send(t: &TestServer, method: Method, name: &str, body: Value) -> (StatusCode, Value) {
    let req = t
        .client
        .request(method, t.url(&format!("{T}/{name}")))
        .bearer_auth(&t.admin)
        .json(&body);
    common::read(req.send().await.expect("request sent")).await
}

/// What `name`'s admin (`sub`, with a token naming the tenant) sees of the inventory.
async fn seen_by_admin_of(t: &TestServer, name: &str) -> (StatusCode, Value) {
    let token = common::mint_for(
        &t.server,
        &format!("{name}-admin"),
        &[Role::Operator],
        Some(name),
    );
    let req = t
        .client
        .get(t.url("/hsm/v2/State/Components"))
        .bearer_auth(token)
        .header("Cray-Tenant-Name", name);
    common::read(req.send().await.expect("request sent")).await
}

/// Twenty writers claim the same four nodes exclusively at once, over several rounds, by PUT
/// of new tenants and by PATCH of existing ones: one wins each round; every 409 stores
/// nothing (no tenant, no change), and a refused tenant's admin reaches no node.
#[tokio::test]
async fn of_racing_claims_one_wins_and_the_refused_store_nothing() {
    let t = seeded().await;
    let own: Vec<Value> = (0..10)
        .map(|i| json!({"ID": format!("x1000c1s{i}b0n0"), "State": "Ready", "Role": "Compute"}))
        .collect();
    let (status, body) = t
        .post("/hsm/v2/State/Components", json!({ "Components": own }))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "seed: {body}");
    let nodes = [
        "x1000c0s0b0n0",
        "x1000c0s1b0n0",
        "x1000c0s2b0n0",
        "x1000c0s3b0n0",
    ];
    let spec = |name: &str, xnames: &[&str]| {
        json!({"spec": {"tenantname": name, "tenantresources": [
            {"type": "compute", "xnames": xnames, "enforceexclusivehsmgroups": true}]}})
    };
    for round in 0..3 {
        let names: Vec<String> = (0..20).map(|i| format!("r{round}-t{i}")).collect();
        let answers = futures::future::join_all(
            names
                .iter()
                .map(|n| send(&t, Method::PUT, n, spec(n, &nodes))),
        )
        .await;
        let won: Vec<&String> = names
            .iter()
            .zip(&answers)
            .filter(|(_, a)| a.0 == StatusCode::CREATED)
            .map(|(n, _)| n)
            .collect();
        assert_eq!(won.len(), 1, "round {round}: {answers:?}");
        for (n, a) in names.iter().zip(&answers) {
            if n == won[0] {
                continue;
            }
            assert_eq!(a.0, StatusCode::CONFLICT, "{n}: {}", a.1);
            let got = t.get(&format!("{T}/{n}")).await;
            assert_eq!(
                got.0,
                StatusCode::NOT_FOUND,
                "refused {n} was stored: {}",
                got.1
            );
            let got = seen_by_admin_of(&t, n).await;
            assert_eq!(got.0, StatusCode::FORBIDDEN, "{n}'s admin: {}", got.1);
        }
        let (_, all) = t.get(T).await;
        assert_eq!(all.as_array().unwrap().len(), 1, "{all}");
        let (_, groups) = t.get("/hsm/v2/groups").await;
        assert_eq!(groups.as_array().unwrap().len(), 1, "{groups}");

        // The PATCH race: ten tenants, each on a node of its own, all patch themselves to
        // claim the same four nodes exclusively.
        let (status, body) = send(&t, Method::DELETE, won[0], Value::Null).await;
        assert!(status.is_success(), "{body}");
        let holders: Vec<String> = (0..10).map(|i| format!("r{round}-p{i}")).collect();
        for (i, h) in holders.iter().enumerate() {
            let own = format!("x1000c1s{i}b0n0");
            let body = json!({"spec": {"tenantname": h, "tenantresources": [
                {"type": "compute", "xnames": [own], "hsmgrouplabel": format!("{h}-g")}]}});
            let (status, body) = send(&t, Method::PUT, h, body).await;
            assert_eq!(status, StatusCode::CREATED, "{h}: {body}");
        }
        let mut before: Vec<Value> = Vec::new();
        for h in &holders {
            before.push(t.get(&format!("{T}/{h}")).await.1);
        }
        let patch = |i: usize, h: &str| {
            json!({"tenantresources": [{"type": "compute", "xnames": [format!("x1000c1s{i}b0n0")],
                "hsmgrouplabel": format!("{h}-g"), "enforceexclusivehsmgroups": false},
                {"type": "compute", "xnames": nodes, "hsmgrouplabel": format!("{h}-x"),
                 "enforceexclusivehsmgroups": true}]})
        };
        let answers = futures::future::join_all(
            holders
                .iter()
                .enumerate()
                .map(|(i, h)| send(&t, Method::PATCH, h, patch(i, h))),
        )
        .await;
        let ok = answers.iter().filter(|a| a.0 == StatusCode::OK).count();
        assert_eq!(ok, 1, "round {round}: {answers:?}");
        for ((h, a), old) in holders.iter().zip(&answers).zip(&before) {
            let (_, now) = t.get(&format!("{T}/{h}")).await;
            if a.0 == StatusCode::OK {
                assert_eq!(now["spec"]["state"], "Deployed", "{now}");
                continue;
            }
            assert_eq!(a.0, StatusCode::CONFLICT, "{h}: {}", a.1);
            assert_eq!(now["spec"], old["spec"], "refused {h} changed");
            assert_eq!(
                now["metadata"]["resourceVersion"],
                old["metadata"]["resourceVersion"]
            );
            assert!(t.get(&format!("/hsm/v2/groups/{h}-x")).await.0 == StatusCode::NOT_FOUND);
        }
        for h in &holders {
            let (status, body) = send(&t, Method::DELETE, h, Value::Null).await;
            assert!(status.is_success(), "{h}: {body}");
        }
    }
}

/// A node held through an exclusive resource joins no other tenant, exclusive or not, by a
/// group or a partition; and an exclusive claim may not take a node another tenant holds.
#[tokio::test]
async fn an_exclusive_tenants_nodes_join_no_other_tenant() {
    let t = seeded().await;
    let (status, body) = t.put(&format!("{T}/blue"), blue()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    for (name, resource) in [
        (
            "grp",
            json!({"type": "compute", "xnames": ["x1000c0s1b0n0"], "hsmgrouplabel": "grp"}),
        ),
        (
            "prt",
            json!({"type": "compute", "xnames": ["x1000c0s1b0n0", "x1000c0s2b0n0"],
                        "hsmpartitionname": "p7"}),
        ),
    ] {
        let got = t
            .put(
                &format!("{T}/{name}"),
                json!({"spec": {"tenantresources": [resource]}}),
            )
            .await;
        assert_problem(&got, StatusCode::CONFLICT, "x1000c0s1b0n0 (tenant blue)");
        assert_eq!(t.get(&format!("{T}/{name}")).await.0, StatusCode::NOT_FOUND);
    }
    assert_eq!(
        t.get("/hsm/v2/partitions/p7").await.0,
        StatusCode::NOT_FOUND
    );
    // The other way round: a non-exclusive holder, then an exclusive claim on its node.
    let (status, body) = t
        .put(
            &format!("{T}/green"),
            json!({"spec": {"tenantresources": [{"type": "compute",
                "xnames": ["x1000c0s2b0n0"], "hsmgrouplabel": "green"}]}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let got = t
        .put(
            &format!("{T}/teal"),
            json!({"spec": {"tenantresources": [{"type": "compute",
                "xnames": ["x1000c0s2b0n0"], "hsmgrouplabel": "teal",
                "enforceexclusivehsmgroups": true}]}}),
        )
        .await;
    assert_problem(&got, StatusCode::CONFLICT, "x1000c0s2b0n0 (tenant green)");
}
