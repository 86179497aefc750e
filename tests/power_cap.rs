//! PCS `/power-cap` against the simulated fleet: snapshots and patches over both Redfish
//! schemas (even BMCs: `Power.PowerControl` with a Cray OEM range; odd BMCs: `Controls` and
//! `Controls.Deep`), PCS's texts for every refusal (from PCS's own negative tests), BMC
//! failures that fail only their nodes, tasks a stopped core left, and tenants.

mod common;

use std::time::Duration;

use chami::model::power_cap::{CapKind, CapOp, CapOpStatus, CapRecord, CapTaskStatus};
use chami::service::auth::Role;
use chami::sim::Faults;
use common::fleet::rig;
use common::{assert_problem, mint_for, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const CAP: &str = "/power-control/v1/power-cap";

fn node(bmc: u32, n: u32) -> String {
    format!("x3000c0s{bmc}b0n{n}")
}

/// Who sends a request: a token, and the tenant it names in `Cray-Tenant-Name`.
#[derive(Clone, Copy)]
struct As<'a>(&'a str, Option<&'a str>);

async fn send(
    t: &TestServer,
    who: As<'_>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    let mut req = t.client.request(method, t.url(path)).bearer_auth(who.0);
    if let Some(name) = who.1 {
        req = req.header("Cray-Tenant-Name", name);
    }
    if let Some(b) = body {
        req = req.json(&b);
    }
    common::read(req.send().await.expect("request sent")).await
}

/// Waits (at most 30 s) for a task to complete; returns it.
async fn completed(t: &TestServer, who: As<'_>, id: &str) -> Value {
    for _ in 0..600 {
        let (status, body) = send(t, who, Method::GET, &format!("{CAP}/{id}"), None).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if body["taskStatus"] == "completed" {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("power cap task {id} did not complete");
}

/// Sends a snapshot or patch and waits for its task.
async fn run(t: &TestServer, who: As<'_>, method: Method, path: &str, body: Value) -> Value {
    let (status, created) = send(t, who, method, path, Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{created}");
    let id = created["taskID"].as_str().expect("taskID").to_string();
    completed(t, who, &id).await
}

async fn snapshot(t: &TestServer, xnames: &[&str]) -> Value {
    let path = format!("{CAP}/snapshot");
    run(
        t,
        As(&t.admin, None),
        Method::POST,
        &path,
        json!({"xnames": xnames}),
    )
    .await
}

async fn patch(t: &TestServer, components: Value) -> Value {
    run(
        t,
        As(&t.admin, None),
        Method::PATCH,
        CAP,
        json!({"components": components}),
    )
    .await
}

fn component<'a>(task: &'a Value, xname: &str) -> &'a Value {
    task["components"]
        .as_array()
        .unwrap_or_else(|| panic!("no components: {task}"))
        .iter()
        .find(|c| c["xname"] == xname)
        .unwrap_or_else(|| panic!("no component {xname}: {task}"))
}

#[tokio::test]
async fn snapshots_read_both_schemas() {
    let r = rig(2, Duration::from_millis(10)).await;
    let t = &r.t;
    let (a, b) = (node(0, 0), node(1, 0));
    let task = snapshot(t, &[&a, &b]).await;
    assert_eq!(task["type"], "snapshot");
    assert_eq!(task["taskCounts"]["total"], 2, "{task}");
    assert_eq!(task["taskCounts"]["succeeded"], 2, "{task}");
    // Even BMC: the Power resource, its range from the Cray OEM block.
    assert_eq!(
        component(&task, &a)["powerCapLimits"],
        json!([{"name": "Node Power Control", "currentValue": 0,
                "maximumValue": 850, "minimumValue": 350}])
    );
    assert_eq!(
        component(&task, &a)["limits"],
        json!({"hostLimitMax": 850, "hostLimitMin": 350, "powerupPower": 250})
    );
    // Odd BMC: the Controls schema, its range on the control.
    assert_eq!(
        component(&task, &b)["powerCapLimits"],
        json!([{"name": "Node Power Limit", "currentValue": 0,
                "maximumValue": 850, "minimumValue": 350}])
    );
    assert_eq!(
        component(&task, &b)["limits"],
        json!({"hostLimitMax": 850, "hostLimitMin": 350})
    );
    assert!(component(&task, &a).get("error").is_none(), "{task}");

    // The list has the task, its counts and no components; the Location names it.
    let (status, list) = t.get(CAP).await;
    assert_eq!(status, StatusCode::OK);
    let listed = &list["tasks"][0];
    assert_eq!(listed["taskID"], task["taskID"]);
    assert_eq!(listed["taskCounts"]["succeeded"], 2);
    assert!(listed.get("components").is_none(), "{list}");
    let resp = t
        .client
        .post(t.url(&format!("{CAP}/snapshot")))
        .bearer_auth(&t.admin)
        .json(&json!({"xnames": [a]}))
        .send()
        .await
        .unwrap();
    let location = resp.headers()["location"].to_str().unwrap().to_string();
    let (_, created) = common::read(resp).await;
    assert_eq!(
        location,
        format!("../power-cap/{}", created["taskID"].as_str().unwrap())
    );
}

#[tokio::test]
async fn patches_set_limits_a_snapshot_reads_back() {
    let r = rig(2, Duration::from_millis(10)).await;
    let t = &r.t;
    let (a, b) = (node(0, 0), node(1, 1));
    let task = patch(
        t,
        json!([
            {"xname": a, "controls": [{"name": "Node Power Control", "value": 500}]},
            {"xname": b, "controls": [{"name": "Node Power Limit", "value": 600}]}
        ]),
    )
    .await;
    assert_eq!(task["type"], "patch");
    assert_eq!(task["taskCounts"]["succeeded"], 2, "{task}");
    assert_eq!(
        component(&task, &a)["powerCapLimits"],
        json!([{"name": "Node Power Control", "currentValue": 500,
                "maximumValue": 850, "minimumValue": 350}])
    );
    assert_eq!(
        r.fleet.bmc(0).unwrap().power_limit("Node0"),
        Some(Some(500))
    );
    assert_eq!(
        r.fleet.bmc(1).unwrap().power_limit("Node1"),
        Some(Some(600))
    );
    // The other nodes are untouched.
    assert_eq!(r.fleet.bmc(0).unwrap().power_limit("Node1"), Some(None));

    let read = snapshot(t, &[&a, &b]).await;
    assert_eq!(
        component(&read, &a)["powerCapLimits"][0]["currentValue"],
        500
    );
    assert_eq!(
        component(&read, &b)["powerCapLimits"][0]["currentValue"],
        600
    );

    // Zero lifts a limit, on either schema.
    let task = patch(
        t,
        json!([
            {"xname": a, "controls": [{"name": "Node Power Control", "value": 0}]},
            {"xname": b, "controls": [{"name": "Node Power Limit", "value": 0}]}
        ]),
    )
    .await;
    assert_eq!(task["taskCounts"]["succeeded"], 2, "{task}");
    assert_eq!(r.fleet.bmc(0).unwrap().power_limit("Node0"), Some(None));
    assert_eq!(r.fleet.bmc(1).unwrap().power_limit("Node1"), Some(None));
}

#[tokio::test]
async fn refusals_are_pcs_texts() {
    let r = rig(1, Duration::from_millis(10)).await;
    let t = &r.t;
    let a = node(0, 0);
    let bmc = "x3000c0s0b0";

    // PCS's negative tests: an unknown node, a NodeBMC, a name that is no xname.
    let task = snapshot(t, &["x9999c7s9b9n9", bmc, "FAKE"]).await;
    assert_eq!(task["taskCounts"]["failed"], 2, "{task}");
    assert_eq!(task["taskCounts"]["un-supported"], 1, "{task}");
    assert_eq!(
        component(&task, "x9999c7s9b9n9")["error"],
        "Xname not found in HSM"
    );
    assert_eq!(
        component(&task, bmc)["error"],
        "Type, NodeBMC unsupported for power capping"
    );
    assert_eq!(component(&task, "FAKE")["error"], "Invalid xname");
    let task = patch(
        t,
        json!([
            {"xname": "x9999c7s9b9n9", "controls": [{"name": "Node Power Limit", "value": 0}]},
            {"xname": bmc, "controls": [{"name": "Node Power Limit", "value": 0}]},
            {"xname": "FAKE", "controls": [{"name": "Node Power Limit", "value": 0}]}
        ]),
    )
    .await;
    assert_eq!(
        component(&task, "x9999c7s9b9n9")["error"],
        "Xname not found in HSM"
    );
    assert_eq!(
        component(&task, bmc)["error"],
        "Skipping undefined control 'Node Power Limit'"
    );
    assert_eq!(component(&task, "FAKE")["error"], "Invalid xname");

    // Out of the node's range: nothing is sent to its BMC.
    let before = r.fleet.bmc(0).unwrap().requests();
    let task = patch(
        t,
        json!([{"xname": a, "controls": [{"name": "Node Power Control", "value": 100}]},
               {"xname": node(0, 1), "controls": [{"name": "Node Power Control", "value": 900}]}]),
    )
    .await;
    assert_eq!(
        component(&task, &a)["error"],
        "Control (Node Power Control) value (100) is less than minimum (350)"
    );
    assert_eq!(
        component(&task, &node(0, 1))["error"],
        "Control (Node Power Control) value (900) is more than maximum (850)"
    );
    assert_eq!(r.fleet.bmc(0).unwrap().requests(), before);
    assert_eq!(r.fleet.bmc(0).unwrap().power_limit("Node0"), Some(None));

    // A management node is never capped.
    let (status, body) = t
        .patch(
            "/hsm/v2/State/Components/BulkRole",
            json!({"ComponentIDs": [a], "Role": "Management"}),
        )
        .await;
    assert!(status.is_success(), "{body}");
    let task = snapshot(t, &[&a]).await;
    assert_eq!(task["taskCounts"]["un-supported"], 1, "{task}");
    assert_eq!(
        component(&task, &a)["error"],
        "Power capping Management nodes is not supported"
    );

    // Task IDs, bodies and methods.
    let got = t
        .get(&format!("{CAP}/99z9zz99-z999-99z9-99z9-99z99z9z99z9"))
        .await;
    assert_problem(&got, StatusCode::BAD_REQUEST, "invalid UUID format");
    let got = t.get(&format!("{CAP}/FAKE")).await;
    assert_problem(&got, StatusCode::BAD_REQUEST, "invalid UUID length: 4");
    let got = t.get(&format!("{CAP}/{}", uuid::Uuid::new_v4())).await;
    assert_problem(&got, StatusCode::NOT_FOUND, "power cap task does not exist");
    let got = t
        .post(&format!("{CAP}/snapshot"), json!({"xnames": []}))
        .await;
    assert_problem(
        &got,
        StatusCode::BAD_REQUEST,
        "Xname list is empty. A list of xnames is required",
    );
    let got = t
        .patch(
            CAP,
            json!({"components": [{"xname": a, "controls": [{"name": "", "value": 5}]}]}),
        )
        .await;
    assert_problem(
        &got,
        StatusCode::BAD_REQUEST,
        &format!("Invalid control parameters for xnames detected {a}"),
    );
    let got = t
        .patch(
            CAP,
            json!({"components": [{"xname": a, "controls": [{"name": "Node Power Limit", "value": "FAKE"}]}]}),
        )
        .await;
    assert_problem(
        &got,
        StatusCode::BAD_REQUEST,
        "components[0].controls[0].value: invalid type: string \"FAKE\"",
    );
    let got = t.patch(CAP, json!({"components": []})).await;
    assert_problem(&got, StatusCode::BAD_REQUEST, "Component list is empty");
    for method in [Method::PUT, Method::DELETE] {
        let (status, _) = t.call(method, CAP, Some(&t.admin), None).await;
        assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    }
}

#[tokio::test]
async fn a_failing_bmc_fails_only_its_nodes() {
    let r = rig(2, Duration::from_millis(10)).await;
    let t = &r.t;
    r.fleet.bmc(1).unwrap().set_faults(Faults {
        error_500: true,
        ..Faults::default()
    });
    let task = snapshot(t, &[&node(0, 0), &node(1, 0)]).await;
    assert_eq!(task["taskCounts"]["succeeded"], 1, "{task}");
    assert_eq!(task["taskCounts"]["failed"], 1, "{task}");
    let failed = component(&task, &node(1, 0));
    assert!(
        failed["error"].as_str().unwrap().contains("500"),
        "{failed}"
    );
    assert!(failed.get("powerCapLimits").is_none(), "{failed}");
    assert_eq!(
        component(&task, &node(0, 0))["powerCapLimits"][0]["currentValue"],
        0
    );
    // A BMC that refuses the credentials: the node's error says so, the secret never.
    r.fleet.bmc(1).unwrap().set_faults(Faults {
        wrong_credentials: true,
        ..Faults::default()
    });
    let task = patch(
        t,
        json!([{"xname": node(1, 0), "controls": [{"name": "Node Power Limit", "value": 400}]}]),
    )
    .await;
    let error = component(&task, &node(1, 0))["error"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(error.contains("refused the credentials"), "{error}");
    assert!(!error.contains(r.fleet.credentials().1), "{error}");
    assert_eq!(r.fleet.bmc(1).unwrap().power_limit("Node0"), Some(None));
}

#[tokio::test]
async fn a_task_its_core_left_unfinished_ends_failed() {
    let t = TestServer::start().await;
    let store = t.server.core.store.clone();
    let old = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    let at = |d: time::OffsetDateTime| {
        d.replace_nanosecond(0)
            .unwrap()
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap()
    };
    let id = uuid::Uuid::new_v4().to_string();
    store
        .put_cap_task(&CapRecord {
            id: id.clone(),
            kind: CapKind::Snapshot,
            created: at(old),
            expires: at(old + time::Duration::days(1)),
            status: CapTaskStatus::InProgress,
            tenant: None,
            ops: vec![CapOp::ended(CapOpStatus::InProgress, "x1c0s0b0n0", "")],
        })
        .await
        .unwrap();
    let (status, task) = t.get(&format!("{CAP}/{id}")).await;
    assert_eq!(status, StatusCode::OK, "{task}");
    assert_eq!(task["taskStatus"], "completed");
    assert_eq!(task["taskCounts"]["failed"], 1);
    assert!(
        component(&task, "x1c0s0b0n0")["error"]
            .as_str()
            .unwrap()
            .contains("core running it stopped"),
        "{task}"
    );
    // An expired task is gone at the next list.
    let gone = uuid::Uuid::new_v4().to_string();
    store
        .put_cap_task(&CapRecord {
            id: gone.clone(),
            kind: CapKind::Patch,
            created: at(old - time::Duration::days(2)),
            expires: at(old - time::Duration::days(1)),
            status: CapTaskStatus::Completed,
            tenant: None,
            ops: Vec::new(),
        })
        .await
        .unwrap();
    let (_, list) = t.get(CAP).await;
    let ids: Vec<&str> = list["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["taskID"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id.as_str()]);
    let got = t.get(&format!("{CAP}/{gone}")).await;
    assert_problem(&got, StatusCode::NOT_FOUND, "does not exist");
}

#[tokio::test]
async fn tenants_cap_only_their_nodes_and_see_only_their_tasks() {
    let r = rig(2, Duration::from_millis(10)).await;
    let t = &r.t;
    let (status, body) = t
        .put(
            "/apis/tapms/v1alpha3/tenants/blue",
            json!({"spec": {"tenantresources": [{"type": "compute",
                "xnames": [node(0, 0), node(0, 1)], "hsmgrouplabel": "blue",
                "enforceexclusivehsmgroups": true}]}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let token = mint_for(&t.server, "bob", &[Role::Operator], Some("blue"));
    let blue = As(&token, Some("blue"));
    let admin_task = snapshot(t, &[&node(1, 0)]).await;

    // Another tenant's node answers exactly as one that does not exist.
    let path = format!("{CAP}/snapshot");
    let task = run(
        t,
        blue,
        Method::POST,
        &path,
        json!({"xnames": [node(0, 0), node(1, 0), "x9999c7s9b9n9"]}),
    )
    .await;
    assert_eq!(
        component(&task, &node(1, 0))["error"],
        component(&task, "x9999c7s9b9n9")["error"]
    );
    assert_eq!(
        component(&task, &node(1, 0))["error"],
        "Xname not found in HSM"
    );
    assert_eq!(
        component(&task, &node(0, 0))["powerCapLimits"][0]["currentValue"],
        0
    );
    let task = run(
        t,
        blue,
        Method::PATCH,
        CAP,
        json!({"components": [{"xname": node(1, 0),
            "controls": [{"name": "Node Power Limit", "value": 400}]}]}),
    )
    .await;
    assert_eq!(
        component(&task, &node(1, 0))["error"],
        "Xname not found in HSM"
    );
    assert_eq!(r.fleet.bmc(1).unwrap().power_limit("Node0"), Some(None));

    // blue lists its own tasks only; the admin's task does not exist for it.
    let (status, list) = send(t, blue, Method::GET, CAP, None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(list["tasks"].as_array().unwrap().len(), 2, "{list}");
    assert!(!list.to_string().contains(&node(1, 0)), "{list}");
    let admin_id = admin_task["taskID"].as_str().unwrap();
    let got = send(t, blue, Method::GET, &format!("{CAP}/{admin_id}"), None).await;
    assert_problem(&got, StatusCode::NOT_FOUND, "power cap task does not exist");
    // The admin sees every task.
    let (_, list) = t.get(CAP).await;
    assert_eq!(list["tasks"].as_array().unwrap().len(), 3, "{list}");
}
