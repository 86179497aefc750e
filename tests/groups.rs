//! SMD groups, partitions and memberships over HTTPS: round trips, exclusive-group and
//! partition conflicts, filters, bad input, and cleanup when a component goes.

mod common;

use common::{assert_problem, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

const NODES: [&str; 4] = [
    "x1000c0s0b0n0",
    "x1000c0s0b0n1",
    "x1000c0s1b0n0",
    "x1000c0s1b0n1",
];

async fn seeded() -> TestServer {
    let t = TestServer::start().await;
    let comps: Vec<Value> = NODES
        .iter()
        .map(|id| json!({"ID": id, "State": "Ready"}))
        .collect();
    let (status, body) = t
        .post("/hsm/v2/State/Components", json!({ "Components": comps }))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "seed: {body}");
    t
}

fn members(v: &Value) -> Vec<String> {
    v["members"]["ids"]
        .as_array()
        .unwrap_or_else(|| panic!("no members.ids in {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn group_round_trip() {
    let t = seeded().await;
    let (status, body) = t
        .post(
            "/hsm/v2/groups",
            json!({"label": "Blue", "description": "the blue ones", "tags": ["Gpu"],
                   "members": {"ids": ["x1000c0s1b0n0", "X1000C0S0B0N0"]}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body, json!([{"URI": "/hsm/v2/groups/blue"}]));

    let (status, g) = t.get("/hsm/v2/groups/blue").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(g["label"], "blue");
    assert_eq!(g["description"], "the blue ones");
    assert_eq!(g["tags"], json!(["gpu"]));
    assert_eq!(members(&g), ["x1000c0s0b0n0", "x1000c0s1b0n0"]);
    assert!(g.get("exclusiveGroup").is_none(), "{g}");

    // Labels, listing with filters.
    t.post("/hsm/v2/groups", json!({"label": "red", "tags": ["cpu"]}))
        .await;
    let (_, labels) = t.get("/hsm/v2/groups/labels").await;
    assert_eq!(labels, json!(["blue", "red"]));
    let (_, by_tag) = t.get("/hsm/v2/groups?tag=gpu").await;
    assert_eq!(by_tag.as_array().unwrap().len(), 1);
    assert_eq!(by_tag[0]["label"], "blue");
    let (_, by_label) = t.get("/hsm/v2/groups?group=red&group=blue").await;
    assert_eq!(by_label.as_array().unwrap().len(), 2);

    // PATCH changes description and tags, never members.
    let (status, body) = t
        .patch(
            "/hsm/v2/groups/blue",
            json!({"description": "now green", "tags": ["a", "b"]}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (_, g) = t.get("/hsm/v2/groups/blue").await;
    assert_eq!(g["description"], "now green");
    assert_eq!(g["tags"], json!(["a", "b"]));
    assert_eq!(members(&g).len(), 2);

    // Members: add, list, remove.
    let (status, body) = t
        .post(
            "/hsm/v2/groups/blue/members",
            json!({"id": "x1000c0s1b0n1"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(
        body,
        json!([{"URI": "/hsm/v2/groups/blue/members/x1000c0s1b0n1"}])
    );
    let (_, m) = t.get("/hsm/v2/groups/blue/members").await;
    assert_eq!(
        m["ids"],
        json!(["x1000c0s0b0n0", "x1000c0s1b0n0", "x1000c0s1b0n1"])
    );
    let (status, body) = t
        .post(
            "/hsm/v2/groups/blue/members",
            json!({"id": "x1000c0s1b0n1"}),
        )
        .await;
    assert_problem(&(status, body), StatusCode::CONFLICT, "already a member");
    let (status, body) = t.delete("/hsm/v2/groups/blue/members/x1000c0s0b0n0").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["message"], "deleted 1 entry");
    let got = t.delete("/hsm/v2/groups/blue/members/x1000c0s0b0n0").await;
    assert_problem(&got, StatusCode::NOT_FOUND, "not a member of group 'blue'");

    // PUT sets the exact list.
    let (status, body) = t
        .put(
            "/hsm/v2/groups/blue/members",
            json!({"ids": ["x1000c0s0b0n1", "x1000c0s1b0n1"]}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body.as_array().unwrap().len(), 2);
    let (_, m) = t.get("/hsm/v2/groups/blue/members").await;
    assert_eq!(m["ids"], json!(["x1000c0s0b0n1", "x1000c0s1b0n1"]));

    // Delete.
    let (status, body) = t.delete("/hsm/v2/groups/blue").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_problem(
        &t.get("/hsm/v2/groups/blue").await,
        StatusCode::NOT_FOUND,
        "no such group: blue",
    );
    assert_problem(
        &t.delete("/hsm/v2/groups/blue").await,
        StatusCode::NOT_FOUND,
        "no such group",
    );
}

#[tokio::test]
async fn group_bad_input_is_named_and_changes_nothing() {
    let t = seeded().await;
    let dup = json!({"label": "blue"});
    assert_eq!(
        t.post("/hsm/v2/groups", dup.clone()).await.0,
        StatusCode::CREATED
    );
    assert_problem(
        &t.post("/hsm/v2/groups", json!({"label": "BLUE"})).await,
        StatusCode::CONFLICT,
        "group 'blue' already exists",
    );
    assert_problem(
        &t.post("/hsm/v2/groups", json!({"label": "has space"}))
            .await,
        StatusCode::BAD_REQUEST,
        "couldn't validate group: group label 'has space'",
    );
    assert_problem(
        &t.post(
            "/hsm/v2/groups",
            json!({"label": "x", "members": {"ids": ["node7"]}}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "node7",
    );
    // An unknown member fails the whole create: the group does not appear.
    assert_problem(
        &t.post(
            "/hsm/v2/groups",
            json!({"label": "green", "members": {"ids": ["x1000c0s0b0n0", "x9c0s0b0n0"]}}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "no such component: x9c0s0b0n0",
    );
    assert_eq!(t.get("/hsm/v2/groups/green").await.0, StatusCode::NOT_FOUND);
    assert_problem(
        &t.post(
            "/hsm/v2/groups/nope/members",
            json!({"id": "x1000c0s0b0n0"}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "no such group: nope",
    );
    assert_problem(
        &t.post("/hsm/v2/groups/blue/members", json!({"id": "bogus"}))
            .await,
        StatusCode::BAD_REQUEST,
        "bogus",
    );
    assert_problem(
        &t.patch("/hsm/v2/groups/nope", json!({"description": "d"}))
            .await,
        StatusCode::NOT_FOUND,
        "no such group: nope",
    );
    assert_problem(
        &t.patch("/hsm/v2/groups/blue", json!({})).await,
        StatusCode::BAD_REQUEST,
        "nothing to change",
    );
    assert_problem(
        &t.get("/hsm/v2/groups?color=red").await,
        StatusCode::BAD_REQUEST,
        "unknown parameter 'color'",
    );
    let (status, body) = t
        .raw(reqwest::Method::POST, "/hsm/v2/groups", "{\"label\": ")
        .await;
    assert_problem(
        &(status, body),
        StatusCode::BAD_REQUEST,
        "malformed JSON body",
    );
    assert_eq!(t.get("/hsm/v2/groups/labels").await.1, json!(["blue"]));
}

#[tokio::test]
async fn exclusive_groups_refuse_shared_members_atomically() {
    let t = seeded().await;
    let (status, body) = t
        .post(
            "/hsm/v2/groups",
            json!({"label": "red", "exclusiveGroup": "colors",
                   "members": {"ids": ["x1000c0s0b0n0"]}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let (_, g) = t.get("/hsm/v2/groups/red").await;
    assert_eq!(g["exclusiveGroup"], "colors");

    // Creating another group with the same exclusive label and a shared member fails whole.
    let got = t
        .post(
            "/hsm/v2/groups",
            json!({"label": "blue", "exclusiveGroup": "colors",
                   "members": {"ids": ["x1000c0s1b0n0", "x1000c0s0b0n0"]}}),
        )
        .await;
    assert_problem(
        &got,
        StatusCode::CONFLICT,
        "operation would conflict with an existing member in another exclusive group",
    );
    assert_problem(&got, StatusCode::CONFLICT, "exclusive group 'colors'");
    assert_eq!(t.get("/hsm/v2/groups/blue").await.0, StatusCode::NOT_FOUND);

    let (status, _) = t
        .post(
            "/hsm/v2/groups",
            json!({"label": "blue", "exclusiveGroup": "colors",
                   "members": {"ids": ["x1000c0s1b0n0"]}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let got = t
        .post(
            "/hsm/v2/groups/blue/members",
            json!({"id": "x1000c0s0b0n0"}),
        )
        .await;
    assert_problem(&got, StatusCode::CONFLICT, "already in group 'red'");
    // PUT with one conflicting member changes nothing.
    let got = t
        .put(
            "/hsm/v2/groups/blue/members",
            json!({"ids": ["x1000c0s1b0n1", "x1000c0s0b0n0"]}),
        )
        .await;
    assert_problem(&got, StatusCode::CONFLICT, "exclusive group 'colors'");
    let (_, m) = t.get("/hsm/v2/groups/blue/members").await;
    assert_eq!(m["ids"], json!(["x1000c0s1b0n0"]));

    // A non-exclusive group may share members freely.
    let (status, _) = t
        .post(
            "/hsm/v2/groups",
            json!({"label": "all", "members": {"ids": NODES}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn partitions_hold_each_component_once() {
    let t = seeded().await;
    let (status, body) = t
        .post(
            "/hsm/v2/partitions",
            json!({"name": "P1", "description": "first", "members": {"ids": ["x1000c0s0b0n0", "x1000c0s0b0n1"]}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body, json!([{"URI": "/hsm/v2/partitions/p1"}]));
    let (_, p) = t.get("/hsm/v2/partitions/p1").await;
    assert_eq!(p["name"], "p1");
    assert_eq!(members(&p), ["x1000c0s0b0n0", "x1000c0s0b0n1"]);

    assert_problem(
        &t.post("/hsm/v2/partitions", json!({"name": "p1"})).await,
        StatusCode::CONFLICT,
        "partition 'p1' already exists",
    );
    assert_problem(
        &t.post("/hsm/v2/partitions", json!({"name": "part1"})).await,
        StatusCode::BAD_REQUEST,
        "p#.#",
    );
    // A member of p1 cannot join p2, and the failed create leaves nothing behind.
    let got = t
        .post(
            "/hsm/v2/partitions",
            json!({"name": "p2.1", "members": {"ids": ["x1000c0s1b0n0", "x1000c0s0b0n1"]}}),
        )
        .await;
    assert_problem(&got, StatusCode::CONFLICT, "already in partition 'p1'");
    assert_eq!(
        t.get("/hsm/v2/partitions/p2.1").await.0,
        StatusCode::NOT_FOUND
    );

    let (status, _) = t.post("/hsm/v2/partitions", json!({"name": "p2.1"})).await;
    assert_eq!(status, StatusCode::CREATED);
    let (status, body) = t
        .post(
            "/hsm/v2/partitions/p2.1/members",
            json!({"id": "x1000c0s1b0n0"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_problem(
        &t.post(
            "/hsm/v2/partitions/p2.1/members",
            json!({"id": "x1000c0s0b0n0"}),
        )
        .await,
        StatusCode::CONFLICT,
        "already in partition 'p1'",
    );
    assert_eq!(
        t.get("/hsm/v2/partitions/names").await.1,
        json!(["p1", "p2.1"])
    );
    let (status, _) = t
        .patch("/hsm/v2/partitions/p1", json!({"tags": ["Prod"]}))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, list) = t.get("/hsm/v2/partitions?tag=prod").await;
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["name"], "p1");

    let (status, _) = t
        .delete("/hsm/v2/partitions/p1/members/x1000c0s0b0n0")
        .await;
    assert_eq!(status, StatusCode::OK);
    let (_, m) = t.get("/hsm/v2/partitions/p1/members").await;
    assert_eq!(m["ids"], json!(["x1000c0s0b0n1"]));
    assert_problem(
        &t.delete("/hsm/v2/partitions/p9/members/x1000c0s0b0n0")
            .await,
        StatusCode::NOT_FOUND,
        "no such partition: p9",
    );
    let (status, _) = t.delete("/hsm/v2/partitions/p1").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        t.get("/hsm/v2/partitions/p1").await.0,
        StatusCode::NOT_FOUND
    );
    // The former members are still components.
    assert_eq!(
        t.get("/hsm/v2/State/Components/x1000c0s0b0n1").await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn memberships_and_component_filters() {
    let t = seeded().await;
    t.post(
        "/hsm/v2/groups",
        json!({"label": "blue", "members": {"ids": ["x1000c0s0b0n0", "x1000c0s1b0n0"]}}),
    )
    .await;
    t.post(
        "/hsm/v2/groups",
        json!({"label": "red", "members": {"ids": ["x1000c0s0b0n0"]}}),
    )
    .await;
    t.post(
        "/hsm/v2/partitions",
        json!({"name": "p1", "members": {"ids": ["x1000c0s0b0n0", "x1000c0s0b0n1"]}}),
    )
    .await;

    let (status, m) = t.get("/hsm/v2/memberships/x1000c0s0b0n0").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(
        m,
        json!({"id": "x1000c0s0b0n0", "groupLabels": ["blue", "red"], "partitionName": "p1"})
    );
    let (_, m) = t.get("/hsm/v2/memberships/x1000c0s1b0n1").await;
    assert_eq!(
        m,
        json!({"id": "x1000c0s1b0n1", "groupLabels": [], "partitionName": ""})
    );
    assert_problem(
        &t.get("/hsm/v2/memberships/x9c0s0b0n0").await,
        StatusCode::NOT_FOUND,
        "no such xname: x9c0s0b0n0",
    );
    let (_, all) = t.get("/hsm/v2/memberships").await;
    assert_eq!(all.as_array().unwrap().len(), 4);
    let (_, some) = t.get("/hsm/v2/memberships?partition=p1").await;
    let ids: Vec<&str> = some
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["x1000c0s0b0n0", "x1000c0s0b0n1"]);

    // Component filters: group, partition, both (AND), NULL (in none).
    assert_eq!(
        t.ids("/hsm/v2/State/Components?group=blue").await,
        ["x1000c0s0b0n0", "x1000c0s1b0n0"]
    );
    assert_eq!(
        t.ids("/hsm/v2/State/Components?group=blue&partition=p1")
            .await,
        ["x1000c0s0b0n0"]
    );
    assert_eq!(
        t.ids("/hsm/v2/State/Components?group=NULL").await,
        ["x1000c0s0b0n1", "x1000c0s1b0n1"]
    );
    assert_eq!(
        t.ids("/hsm/v2/State/Components?partition=NULL").await,
        ["x1000c0s1b0n0", "x1000c0s1b0n1"]
    );
    // Group members filtered by partition.
    let (_, m) = t.get("/hsm/v2/groups/blue/members?partition=p1").await;
    assert_eq!(m["ids"], json!(["x1000c0s0b0n0"]));
    let (_, m) = t.get("/hsm/v2/groups/blue/members?partition=NULL").await;
    assert_eq!(m["ids"], json!(["x1000c0s1b0n0"]));
}

#[tokio::test]
async fn deleting_a_component_removes_its_memberships() {
    let t = seeded().await;
    t.post(
        "/hsm/v2/groups",
        json!({"label": "blue", "exclusiveGroup": "colors", "members": {"ids": ["x1000c0s0b0n0", "x1000c0s1b0n0"]}}),
    )
    .await;
    t.post(
        "/hsm/v2/partitions",
        json!({"name": "p1", "members": {"ids": ["x1000c0s0b0n0"]}}),
    )
    .await;
    let (status, _) = t.delete("/hsm/v2/State/Components/x1000c0s0b0n0").await;
    assert_eq!(status, StatusCode::OK);
    let (_, g) = t.get("/hsm/v2/groups/blue").await;
    assert_eq!(members(&g), ["x1000c0s1b0n0"]);
    let (_, p) = t.get("/hsm/v2/partitions/p1").await;
    assert_eq!(members(&p), Vec::<String>::new());

    // Re-created, the component starts with no memberships and may join again.
    t.post(
        "/hsm/v2/State/Components",
        json!({"Components": [{"ID": "x1000c0s0b0n0", "State": "Ready"}]}),
    )
    .await;
    let (_, m) = t.get("/hsm/v2/memberships/x1000c0s0b0n0").await;
    assert_eq!(m["groupLabels"], json!([]));
    let (status, _) = t
        .post(
            "/hsm/v2/groups/blue/members",
            json!({"id": "x1000c0s0b0n0"}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);

    // Deleting everything empties every group.
    let (status, _) = t.delete("/hsm/v2/State/Components").await;
    assert_eq!(status, StatusCode::OK);
    let (_, g) = t.get("/hsm/v2/groups/blue").await;
    assert_eq!(members(&g), Vec::<String>::new());
}

#[tokio::test]
async fn unknown_group_or_partition_in_a_filter_is_named() {
    let t = seeded().await;
    t.post("/hsm/v2/groups", json!({"label": "blue"})).await;
    assert_problem(
        &t.get("/hsm/v2/State/Components?group=blue&group=bleu")
            .await,
        StatusCode::BAD_REQUEST,
        "no such group 'bleu'",
    );
    assert_problem(
        &t.get("/hsm/v2/memberships?partition=p7").await,
        StatusCode::BAD_REQUEST,
        "no such partition 'p7'",
    );
    // An existing but empty group is an empty answer, not an error.
    assert_eq!(
        t.ids("/hsm/v2/State/Components?group=blue").await,
        Vec::<String>::new()
    );
}

/// The console's `+`/`-` on marked nodes: one call per node, a result for each; a failure
/// (already a member, not a member, unknown node) is named and the others still apply.
#[tokio::test]
async fn console_client_adds_and_removes_members_node_by_node() {
    let t = seeded().await;
    let (status, body) = t
        .post(
            "/hsm/v2/groups",
            json!({"label": "blue", "members": {"ids": [NODES[0]]}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let ca = std::fs::read(t.server.ca.as_ref().unwrap()).unwrap();
    let c = chami::client::Client::new(&t.server.url(), &t.admin, Some(&ca)).unwrap();
    let ids: Vec<String> = [NODES[0], NODES[1], NODES[2], "x1000c0s9b0n0"]
        .map(String::from)
        .to_vec();
    let results = c.change_members(false, "blue", true, &ids).await;
    let order: Vec<&str> = results.iter().map(|(x, _)| x.as_str()).collect();
    assert_eq!(order, ids.iter().map(String::as_str).collect::<Vec<_>>());
    let failed: Vec<&str> = results
        .iter()
        .filter(|(_, r)| r.is_err())
        .map(|(x, _)| x.as_str())
        .collect();
    // Already a member, and a node the inventory does not have.
    assert_eq!(failed, [NODES[0], "x1000c0s9b0n0"], "{results:?}");
    let (_, g) = t.get("/hsm/v2/groups/blue").await;
    assert_eq!(members(&g), [NODES[0], NODES[1], NODES[2]]);

    let gone = vec![NODES[1].to_string(), NODES[3].to_string()];
    let results = c.change_members(false, "blue", false, &gone).await;
    assert!(results[0].1.is_ok(), "{results:?}");
    let err = results[1].1.as_ref().unwrap_err();
    assert!(
        matches!(err, chami::client::ClientError::Api { status: 404, .. }),
        "{err}"
    );
    let (_, g) = t.get("/hsm/v2/groups/blue").await;
    assert_eq!(members(&g), [NODES[0], NODES[2]]);

    // Partitions take the same path.
    let (status, body) = t
        .post(
            "/hsm/v2/partitions",
            json!({"name": "p1", "members": {"ids": []}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let results = c
        .change_members(true, "p1", true, &[NODES[3].to_string()])
        .await;
    assert!(results[0].1.is_ok(), "{results:?}");
    let (_, p) = t.get("/hsm/v2/partitions/p1").await;
    assert_eq!(members(&p), [NODES[3]]);
}
