//! PCS `/power-control/v1` against the simulated BMC fleet: every operation end to end, per-node
//! failures when some BMCs hang or fail, abort, lock conflicts, a restart mid-transition, dry
//! run, power status, and who may do what.

mod common;

use std::time::Duration;

use chami::service::auth::Role;
use chami::sim::Faults;
use common::fleet::{rig, Rig};
use common::{assert_problem, TestServer};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const TR: &str = "/power-control/v1/transitions";

fn node(bmc: u32, n: u32) -> String {
    format!("x3000c0s{bmc}b0n{n}")
}

async fn start(t: &TestServer, op: &str, xnames: &[String]) -> String {
    let location: Vec<Value> = xnames.iter().map(|x| json!({"xname": x})).collect();
    let (status, body) = t
        .post(TR, json!({"operation": op, "location": location}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["transitionID"].as_str().unwrap().to_string()
}

/// Waits (at most 30 s) for a transition to end; returns it.
async fn finished(t: &TestServer, id: &str) -> Value {
    for _ in 0..600 {
        let (status, body) = t.get(&format!("{TR}/{id}")).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        if body["transitionStatus"] == "completed" || body["transitionStatus"] == "aborted" {
            return body;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("transition {id} did not finish");
}

fn task<'a>(tr: &'a Value, xname: &str) -> &'a Value {
    tr["tasks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["xname"] == xname)
        .unwrap_or_else(|| panic!("no task for {xname}: {tr}"))
}

#[tokio::test]
async fn every_operation_end_to_end() {
    let r = rig(2, Duration::from_millis(30)).await;
    let t = &r.t;
    let a = node(0, 0);
    let b = node(1, 1);
    let both = [a.clone(), b.clone()];

    let id = start(t, "on", &both).await;
    let tr = finished(t, &id).await;
    assert_eq!(tr["operation"], "On");
    assert_eq!(tr["taskCounts"]["succeeded"], 2, "{tr}");
    assert_eq!(
        task(&tr, &a)["taskStatusDescription"],
        "Transition confirmed, on"
    );
    assert_eq!(r.fleet.bmc(0).unwrap().power("Node0"), Some("On"));
    let (_, c) = t.get(&format!("/hsm/v2/State/Components/{a}")).await;
    assert_eq!(c["State"], "On", "inventory follows");

    // On again: nothing to do.
    let tr = finished(t, &start(t, "On", &both).await).await;
    assert_eq!(
        task(&tr, &a)["taskStatusDescription"],
        "Component already in desired state"
    );

    let tr = finished(t, &start(t, "Soft-Restart", std::slice::from_ref(&a)).await).await;
    assert_eq!(task(&tr, &a)["taskStatus"], "succeeded", "{tr}");
    let tr = finished(t, &start(t, "Hard-Restart", std::slice::from_ref(&a)).await).await;
    assert_eq!(task(&tr, &a)["taskStatus"], "succeeded", "{tr}");
    let tr = finished(t, &start(t, "Init", std::slice::from_ref(&a)).await).await;
    assert_eq!(task(&tr, &a)["taskStatus"], "succeeded", "{tr}");
    let tr = finished(t, &start(t, "Soft-Off", std::slice::from_ref(&a)).await).await;
    assert_eq!(task(&tr, &a)["taskStatus"], "succeeded", "{tr}");
    let tr = finished(t, &start(t, "Off", std::slice::from_ref(&b)).await).await;
    assert_eq!(
        task(&tr, &b)["taskStatusDescription"],
        "Transition confirmed, gracefulshutdown"
    );
    let id = start(t, "on", std::slice::from_ref(&b)).await;
    finished(t, &id).await;
    let tr = finished(t, &start(t, "Force-Off", std::slice::from_ref(&b)).await).await;
    assert_eq!(
        task(&tr, &b)["taskStatusDescription"],
        "Transition confirmed, forceoff"
    );
    assert_eq!(
        r.fleet.bmc(0).unwrap().resets("Node0"),
        [
            "On",
            "GracefulRestart",
            "GracefulShutdown",
            "On",
            "GracefulShutdown",
            "On",
            "GracefulShutdown"
        ]
    );
    let (_, c) = t.get(&format!("/hsm/v2/State/Components/{b}")).await;
    assert_eq!(c["State"], "Off");

    // Restarts need the node on; the reason is PCS's.
    let tr = finished(t, &start(t, "Hard-Restart", std::slice::from_ref(&b)).await).await;
    assert_eq!(
        task(&tr, &b)["error"],
        "Component is in the wrong power state",
        "{tr}"
    );

    // A node not in inventory is refused up front, naming it, and nothing is created (it
    // was a transition whose task failed "Missing xname"); the same with a dry run.
    let (_, before) = t.get(TR).await;
    let count = |l: &Value| l["transitions"].as_array().unwrap().len();
    for path in [TR.to_string(), format!("{TR}?dryRun=true")] {
        let got = t
            .post(
                &path,
                json!({"operation": "On", "location": [{"xname": "x3000c0s9b0n0"}, {"xname": a}]}),
            )
            .await;
        assert_problem(
            &got,
            StatusCode::NOT_FOUND,
            "no such component: x3000c0s9b0n0",
        );
    }
    let (_, after) = t.get(TR).await;
    assert_eq!(count(&after), count(&before), "{after}");
    // A non-node fails per task with a reason; the list has no tasks.
    let tr = finished(t, &start(t, "On", &["x3000c0s0b0".into()]).await).await;
    assert_eq!(task(&tr, "x3000c0s0b0")["taskStatus"], "unsupported");
    let (_, list) = t.get(TR).await;
    assert!(count(&list) >= 10);
    assert!(list["transitions"][0].get("tasks").is_none(), "{list}");
    // Each listed transition's counts are its own (all are read in one grouped query).
    for item in list["transitions"].as_array().unwrap() {
        let id = item["transitionID"].as_str().unwrap();
        let (_, one) = t.get(&format!("{TR}/{id}")).await;
        assert_eq!(item["taskCounts"], one["taskCounts"], "{id}");
        assert!(item["taskCounts"]["total"].as_u64().unwrap() > 0, "{item}");
    }
}

#[tokio::test]
async fn failing_bmcs_fail_their_nodes_and_the_rest_succeed() {
    let r = rig(10, Duration::from_millis(30)).await;
    r.fleet.bmc(0).unwrap().set_faults(Faults {
        hang: true,
        ..Faults::default()
    });
    r.fleet.bmc(1).unwrap().set_faults(Faults {
        error_500: true,
        ..Faults::default()
    });
    let all: Vec<String> = (0..10).flat_map(|b| [node(b, 0), node(b, 1)]).collect();
    let tr = finished(&r.t, &start(&r.t, "On", &all).await).await;
    assert_eq!(tr["taskCounts"]["succeeded"], 16, "{tr}");
    assert_eq!(tr["taskCounts"]["failed"], 4, "{tr}");
    let hung = task(&tr, &node(0, 0));
    assert!(
        hung["error"]
            .as_str()
            .unwrap()
            .contains("no answer within the timeout"),
        "{hung}"
    );
    let broken = task(&tr, &node(1, 1));
    assert!(
        broken["error"]
            .as_str()
            .unwrap()
            .contains("simulated failure"),
        "{broken}"
    );
    // Transient errors were retried.
    assert!(r.fleet.bmc(1).unwrap().requests() >= 3 * 2);
    for b in 2..10 {
        assert_eq!(r.fleet.bmc(b).unwrap().power("Node1"), Some("On"));
    }
}

#[tokio::test]
async fn abort_locks_dry_run_and_roles() {
    let r = rig(2, Duration::from_secs(30)).await;
    let t = &r.t;
    let a = node(0, 0);
    // Dry run: a plan, and no BMC touched.
    let (status, plan) = t
        .post(
            &format!("{TR}?dryRun=true"),
            json!({"operation": "Hard-Restart", "location": [{"xname": a}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{plan}");
    assert_eq!(
        plan["tasks"][0]["error"], "Component is in the wrong power state",
        "{plan}"
    );
    let (_, plan) = t
        .post(
            &format!("{TR}?dryRun=true"),
            json!({"operation": "On", "location": [{"xname": a}]}),
        )
        .await;
    assert_eq!(plan["tasks"][0]["wouldDo"][0]["resetType"], "On", "{plan}");
    assert!(r.fleet.bmc(0).unwrap().resets("Node0").is_empty());

    // A slow On holds the node: a second transition on it is refused, naming it.
    let id = start(t, "On", std::slice::from_ref(&a)).await;
    let (status, body) = t
        .post(
            TR,
            json!({"operation": "Off", "location": [{"xname": a}, {"xname": node(1, 0)}]}),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap()
            .contains(&format!("{a} (transition {id})")),
        "{body}"
    );

    // Abort: 202, then the transition ends aborted with the task failed.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let (status, body) = t.delete(&format!("{TR}/{id}")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    assert_eq!(body, json!({"abortStatus": "Accepted - abort initiated"}));
    let tr = finished(t, &id).await;
    assert_eq!(tr["transitionStatus"], "aborted", "{tr}");
    assert_eq!(task(&tr, &a)["error"], "Transition aborted");
    // Once ended, the node is free again.
    let (status, body) = t
        .post(
            &format!("{TR}?dryRun=true"),
            json!({"operation": "On", "location": [{"xname": a}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // A viewer cannot start a transition; an operator can read it.
    let viewer = t.token("val", &[Role::Viewer]);
    let got = t
        .call(
            Method::POST,
            TR,
            Some(&viewer),
            Some(json!({"operation": "On", "location": [{"xname": a}]})),
        )
        .await;
    assert_problem(&got, StatusCode::FORBIDDEN, "may not write");
    assert_eq!(
        t.call(Method::GET, TR, Some(&viewer), None).await.0,
        StatusCode::OK
    );

    // Bad input.
    assert_problem(
        &t.post(
            TR,
            json!({"operation": "reboot", "location": [{"xname": a}]}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "invalid Operation type reboot",
    );
    // A name that is no xname is a failed task, as PCS answers it; the others run.
    let (status, body) = t
        .post(
            TR,
            json!({"operation": "On", "location": [{"xname": "bogus"}, {"xname": a}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let tr = finished(t, body["transitionID"].as_str().unwrap()).await;
    assert_eq!(tr["transitionStatus"], "completed", "{tr}");
    let bogus = task(&tr, "bogus");
    assert_eq!(bogus["taskStatus"], "failed", "{tr}");
    assert_eq!(bogus["error"], "Invalid xname", "{tr}");
    assert_eq!(
        bogus["taskStatusDescription"],
        "Failed to achieve transition"
    );
    assert_eq!(task(&tr, &a)["taskStatus"], "succeeded", "{tr}");
    assert_problem(
        &t.get(&format!("{TR}/FAKE")).await,
        StatusCode::BAD_REQUEST,
        "FAKE",
    );
    assert_problem(
        &t.get(&format!("{TR}/6f0cbb8f-2a5e-4a7e-9a3c-000000000000"))
            .await,
        StatusCode::NOT_FOUND,
        "does not exist",
    );
}

#[tokio::test]
async fn power_status_reads_the_bmcs() {
    let r = rig(2, Duration::from_millis(30)).await;
    let t = &r.t;
    finished(t, &start(t, "On", &[node(1, 0)]).await).await;
    let (status, body) = t
        .get(&format!(
            "/power-control/v1/power-status?xname={}&xname={}&xname=x3000c0s7b0n0",
            node(0, 0),
            node(1, 0)
        ))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let s = &body["status"];
    assert_eq!(s[0]["powerState"], "off", "{body}");
    assert_eq!(s[1]["powerState"], "on");
    assert_eq!(s[1]["managementState"], "available");
    assert_eq!(
        s[1]["supportedPowerTransitions"],
        json!([
            "On",
            "Force-Off",
            "Soft-Off",
            "Off",
            "Soft-Restart",
            "Init",
            "Hard-Restart"
        ])
    );
    assert_eq!(s[2]["error"], "Component not found in component map.");
    let (_, body) = t
        .post(
            "/power-control/v1/power-status",
            json!({"xname": [], "powerStateFilter": "on", "managementStateFilter": ""}),
        )
        .await;
    let on: Vec<&str> = body["status"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["xname"].as_str().unwrap())
        .collect();
    // PCS lists every component it covers: the BMCs answer, so they are on.
    assert_eq!(on, ["x3000c0s0b0", "x3000c0s1b0", node(1, 0).as_str()]);
    // A BMC, a node without a BMC, and names PCS has no power status for.
    let (status, body) = t
        .post(
            "/hsm/v2/State/Components",
            json!({"Components": [{"ID": "x3000c0s9b0n0", "State": "Off"},
                                   {"ID": "x3000c0s9e0", "State": "On"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = t
        .get("/power-control/v1/power-status?xname=x3000c0s0b0&xname=x3000c0s9b0n0&xname=x3000c0s9e0&xname=x3000c0s8b0&xname=x3000c0s8e0")
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let s = &body["status"];
    assert_eq!(
        (&s[0]["powerState"], &s[0]["managementState"]),
        (&json!("on"), &json!("available")),
        "{body}"
    );
    assert_eq!(s[0]["error"], "");
    assert_eq!(
        (&s[1]["powerState"], &s[1]["managementState"]),
        (&json!("undefined"), &json!("unavailable")),
        "{body}"
    );
    assert!(
        s[1]["error"]
            .as_str()
            .unwrap()
            .contains("no Redfish component endpoint"),
        "{body}"
    );
    let cannot = "Component can not have power state and managment state data";
    assert_eq!(
        (&s[2]["powerState"], &s[2]["error"]),
        (&json!(""), &json!(cannot)),
        "{body}"
    );
    assert_eq!(
        s[3]["error"], "Component not found in component map.",
        "{body}"
    );
    assert_eq!(s[4]["error"], cannot, "{body}");
    assert_problem(
        &t.get("/power-control/v1/power-status?xname=FAKE").await,
        StatusCode::BAD_REQUEST,
        "invalid xnames detected: FAKE",
    );
    assert_problem(
        &t.get("/power-control/v1/power-status?powerStateFilter=sideways")
            .await,
        StatusCode::BAD_REQUEST,
        "invalid powerStateFilter type: sideways",
    );
    // A hung BMC is reported, not waited on forever.
    r.fleet.bmc(0).unwrap().set_faults(Faults {
        hang: true,
        ..Faults::default()
    });
    let (_, body) = t
        .get(&format!(
            "/power-control/v1/power-status?xname={}",
            node(0, 0)
        ))
        .await;
    assert_eq!(
        body["status"][0]["managementState"], "unavailable",
        "{body}"
    );
    assert_eq!(
        t.call(Method::GET, "/power-control/v1/liveness", None, None)
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    // Health in PCS's words, which its clients compare as they are.
    let (status, health) = t.get("/power-control/v1/health").await;
    assert_eq!(status, StatusCode::OK, "{health}");
    assert_eq!(
        health,
        json!({"KvStore": "connected, responsive", "DistLocking": "connected, responsive",
               "StateManager": "connected, responsive", "Vault": "disabled",
               "TaskRunner": "connected, responsive, local mode"})
    );
}

#[tokio::test]
async fn a_restart_mid_transition_resumes_it_without_acting_twice() {
    let r = rig(1, Duration::from_secs(2)).await;
    let a = node(0, 0);
    let id = start(&r.t, "On", std::slice::from_ref(&a)).await;
    // Wait until the power-on was sent and the task is confirming it.
    for _ in 0..250 {
        if !r.fleet.bmc(0).unwrap().resets("Node0").is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let Rig { fleet, t, ca } = r;
    let t = t.restart().await;
    // The restarted core took the transition over and confirmed the node's power-on.
    let tr = finished(&t, &id).await;
    assert_eq!(tr["transitionStatus"], "completed", "{tr}");
    let task = task(&tr, &a);
    assert_eq!(task["taskStatus"], "succeeded", "{tr}");
    let said = task["taskStatusDescription"].as_str().unwrap();
    assert!(
        said.starts_with("Transition confirmed, on; resumed after the core running this transition stopped with on"),
        "{tr}"
    );
    assert_eq!(
        fleet.bmc(0).unwrap().resets("Node0").len(),
        1,
        "the power-on was not sent again"
    );
    drop((fleet, ca));
}

#[tokio::test]
async fn reservations_gate_transitions() {
    let r = rig(2, Duration::from_millis(10)).await;
    let t = &r.t;
    let held = node(0, 0);
    let free = node(1, 0);
    let locked = node(1, 1);

    // Someone else holds `held`; an admin locked `locked`.
    let (status, body) = t
        .post(
            "/hsm/v2/locks/service/reservations",
            json!({"ComponentIDs": [held], "ReservationDuration": 5}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let deputy = body["Success"][0]["DeputyKey"]
        .as_str()
        .unwrap()
        .to_string();
    let (status, body) = t
        .post("/hsm/v2/locks/lock", json!({"ComponentIDs": [locked]}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    let tr = finished(
        t,
        &start(t, "On", &[held.clone(), free.clone(), locked.clone()]).await,
    )
    .await;
    for x in [&held, &locked] {
        let task = task(&tr, x);
        assert_eq!(task["taskStatus"], "failed", "{tr}");
        assert!(
            task["error"]
                .as_str()
                .unwrap()
                .starts_with("Unable to reserve component"),
            "{task}"
        );
    }
    assert_eq!(task(&tr, &free)["taskStatus"], "succeeded", "{tr}");
    assert_eq!(
        r.fleet.bmc(0).unwrap().resets("Node0"),
        Vec::<String>::new()
    );

    // The holder hands its deputy key to the transition: it goes ahead.
    let (status, body) = t
        .post(
            TR,
            json!({"operation": "On", "location": [{"xname": held, "deputyKey": deputy}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let tr = finished(t, body["transitionID"].as_str().unwrap()).await;
    assert_eq!(task(&tr, &held)["taskStatus"], "succeeded", "{tr}");
    assert_eq!(r.fleet.bmc(0).unwrap().resets("Node0"), ["On"]);

    // A wrong deputy key on a reserved node fails with PCS's reason.
    let (_, body) = t
        .post(
            TR,
            json!({"operation": "Off", "location": [{"xname": held, "deputyKey": "x3000c0s0b0n0:dk:bogus"}]}),
        )
        .await;
    let tr = finished(t, body["transitionID"].as_str().unwrap()).await;
    assert!(
        task(&tr, &held)["error"]
            .as_str()
            .unwrap()
            .starts_with("Invalid deputy key and unable to reserve component"),
        "{tr}"
    );

    // The engine released what it reserved; the outside reservation still stands.
    let (_, body) = t
        .post(
            "/hsm/v2/locks/status",
            json!({"ComponentIDs": [held, free]}),
        )
        .await;
    let reserved: Vec<(String, bool)> = body["Components"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["ID"].as_str().unwrap().to_string(),
                c["Reserved"].as_bool().unwrap(),
            )
        })
        .collect();
    assert!(reserved.contains(&(held.clone(), true)), "{body}");
    assert!(reserved.contains(&(free.clone(), false)), "{body}");
}

/// A two-hour-old On transition on a node no BMC serves, its task confirming, whose core's
/// lease ended `unattended` ago, found by a core starting on its data dir: the task's error.
async fn taken_over_after(unattended: time::Duration) -> String {
    use chami::model::power::{Operation, TaskCounts, TaskStatus, Transition, TransitionStatus};
    use chami::store::{Lease, PowerStore, SqliteStore};
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join(chami::server::DB_FILE))
        .await
        .unwrap();
    let now = time::OffsetDateTime::now_utc();
    let t = Transition {
        id: "0b6a3f6e-4b8e-4a4c-9d55-000000000001".into(),
        operation: Operation::On,
        created: (now - time::Duration::hours(2))
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap(),
        expires: "2099-01-01T00:00:00Z".into(),
        status: TransitionStatus::InProgress,
        counts: TaskCounts::default(),
        tasks: None,
        deadline_minutes: 5,
        by: "gone".into(),
    };
    let open = chami::model::power::Task {
        xname: node(0, 0),
        status: TaskStatus::InProgress,
        description: "Confirming successful transition, on".into(),
        error: String::new(),
    };
    let lease = Lease {
        owner: "gone".into(),
        until: (now - unattended).unix_timestamp(),
    };
    store.create_transition(&t, &[open], &lease).await.unwrap();
    drop(store);
    // SQLite even in the PostgreSQL pass: the transition was written to the data dir's file.
    let t2 = TestServer::start_on(dir, None, |_| {}).await;
    let tr = finished(&t2, &t.id).await;
    let task = task(&tr, &node(0, 0));
    assert_eq!(task["taskStatus"], "failed", "{tr}");
    task["error"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_transition_unattended_past_its_deadline_is_not_resumed() {
    // Its core went away two hours ago: nothing is done to the node.
    let error = taken_over_after(time::Duration::hours(2)).await;
    assert!(
        error.starts_with("Not resumed: the transition was left unattended for longer than"),
        "{error}"
    );
    // Its core went away a minute ago: it is resumed, however old the transition is (here the
    // node has no BMC, so confirming it fails for that reason instead).
    let error = taken_over_after(time::Duration::minutes(1)).await;
    assert!(!error.starts_with("Not resumed"), "{error}");
}

/// Seeds a node's power at its BMC (no delay).
fn power(r: &Rig, bmc: u32, n: u32, on: bool) {
    assert!(r.fleet.bmc(bmc).unwrap().set_power(&format!("Node{n}"), on));
}

fn said(task: &Value) -> String {
    format!("{} / {}", task["taskStatusDescription"], task["error"])
}

#[tokio::test]
async fn a_reset_answered_late_is_never_sent_again() {
    // The BMCs apply every reset but answer it after the core's 1 s Redfish timeout.
    let r = rig(3, Duration::from_millis(100)).await;
    for b in 0..3 {
        r.fleet.bmc(b).unwrap().set_faults(Faults {
            late_reset: Duration::from_millis(1500),
            ..Faults::default()
        });
        power(&r, b, 0, true);
    }
    let t = &r.t;
    // Off: the shutdown was applied; the power state then shows it, so the task goes on.
    let tr = finished(t, &start(t, "Off", &[node(0, 0)]).await).await;
    let k = task(&tr, &node(0, 0));
    assert_eq!(k["taskStatus"], "succeeded", "{tr}");
    assert!(
        said(k).contains("gracefulshutdown: no answer in 1 s; power state then showed"),
        "{}",
        said(k)
    );
    assert_eq!(
        r.fleet.bmc(0).unwrap().resets("Node0"),
        ["GracefulShutdown"]
    );

    // Hard-Restart: each of its two resets sent once.
    let tr = finished(t, &start(t, "Hard-Restart", &[node(1, 0)]).await).await;
    assert_eq!(task(&tr, &node(1, 0))["taskStatus"], "succeeded", "{tr}");
    assert_eq!(
        r.fleet.bmc(1).unwrap().resets("Node0"),
        ["GracefulShutdown", "On"]
    );
    assert_eq!(r.fleet.bmc(1).unwrap().power("Node0"), Some("On"));

    // Soft-Restart: the node is On again when the core looks, so whether it restarted cannot
    // be told; the task says so and the restart is not sent a second time.
    let tr = finished(t, &start(t, "Soft-Restart", &[node(2, 0)]).await).await;
    let k = task(&tr, &node(2, 0));
    assert_eq!(k["taskStatus"], "failed", "{tr}");
    let error = k["error"].as_str().unwrap();
    assert!(
        error.contains("no answer in 1 s; power state then showed On: cannot tell whether it restarted, not sent again"),
        "{error}"
    );
    assert_eq!(r.fleet.bmc(2).unwrap().resets("Node0"), ["GracefulRestart"]);
}

#[tokio::test]
async fn a_bmc_that_says_it_is_busy_is_asked_again_and_acts_once() {
    let r = rig(1, Duration::from_millis(50)).await;
    // Two 503s before it takes the reset: they prove it did not act, so the core asks again.
    r.fleet.bmc(0).unwrap().set_faults(Faults {
        busy_resets: 2,
        ..Faults::default()
    });
    let tr = finished(&r.t, &start(&r.t, "On", &[node(0, 1)]).await).await;
    assert_eq!(task(&tr, &node(0, 1))["taskStatus"], "succeeded", "{tr}");
    assert_eq!(r.fleet.bmc(0).unwrap().resets("Node1"), ["On"]);
}

#[tokio::test]
async fn inventory_follows_the_bmc_after_an_abort() {
    // Power changes take 1.5 s to show, so the abort lands while the shutdown is under way.
    let r = rig(2, Duration::from_millis(1500)).await;
    let t = &r.t;
    let nodes: Vec<String> = (0..2).flat_map(|b| [node(b, 0), node(b, 1)]).collect();
    for b in 0..2 {
        power(&r, b, 0, true);
        power(&r, b, 1, true);
    }
    let (status, body) = t
        .patch(
            "/hsm/v2/State/Components/BulkStateData",
            json!({"ComponentIDs": nodes, "State": "On"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let id = start(t, "Hard-Restart", &nodes).await;
    // Every node was sent its graceful shutdown.
    for _ in 0..200 {
        let sent = (0..2).all(|b| {
            let bmc = r.fleet.bmc(b).unwrap();
            !bmc.resets("Node0").is_empty() && !bmc.resets("Node1").is_empty()
        });
        if sent {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (status, body) = t.delete(&format!("{TR}/{id}")).await;
    assert_eq!(status, StatusCode::ACCEPTED, "{body}");
    let tr = finished(t, &id).await;
    assert_eq!(tr["transitionStatus"], "aborted", "{tr}");
    // The BMCs then report Off (the shutdown went through): inventory says so too, within a
    // few polls (it said On, what was planned, for good).
    let mut states = Vec::new();
    for _ in 0..100 {
        states.clear();
        for x in &nodes {
            let (_, c) = t.get(&format!("/hsm/v2/State/Components/{x}")).await;
            states.push(c["State"].as_str().unwrap_or_default().to_string());
        }
        if states.iter().all(|s| s == "Off") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(states, ["Off"; 4], "{tr}");
    for b in 0..2 {
        assert_eq!(r.fleet.bmc(b).unwrap().power("Node0"), Some("Off"));
        assert_eq!(
            r.fleet.bmc(b).unwrap().resets("Node0"),
            ["GracefulShutdown"]
        );
    }
}

/// The fields ochami-rs (crates.io) reads from a transition: its `TransitionResponse`, with
/// its own key spellings (`in_progress`, `un_supported` in the counts).
#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct OchamiTransition {
    #[serde(rename = "transitionID")]
    transition_id: String,
    #[serde(rename = "createTime")]
    create_time: String,
    #[serde(rename = "automaticExpirationTime")]
    automatic_expiration_time: String,
    #[serde(rename = "transitionStatus")]
    transition_status: String,
    operation: OchamiOperation,
    #[serde(rename = "taskCounts")]
    task_counts: OchamiCounts,
    tasks: Vec<OchamiTask>,
}

#[derive(Debug, PartialEq, serde::Deserialize)]
enum OchamiOperation {
    On,
    #[serde(rename = "Hard-Restart")]
    HardRestart,
}

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct OchamiCounts {
    total: usize,
    new: usize,
    in_progress: usize,
    failed: usize,
    succeeded: usize,
    un_supported: usize,
}

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct OchamiTask {
    xname: String,
    #[serde(rename = "taskStatus")]
    task_status: String,
    #[serde(rename = "taskStatusDescription")]
    task_status_description: String,
    error: Option<String>,
}

#[tokio::test]
async fn a_started_transition_answers_its_whole_record_as_ochami_rs_reads_it() {
    let r = rig(1, Duration::from_millis(10)).await;
    let t = &r.t;
    let both = [node(0, 0), node(0, 1)];
    let location: Vec<Value> = both.iter().map(|x| json!({"xname": x})).collect();
    let (status, body) = t
        .post(TR, json!({"operation": "On", "location": location}))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // PCS's two fields, as PCS sends them.
    assert!(body["transitionID"].is_string(), "{body}");
    assert_eq!(body["operation"], "On");
    // The whole record, as ochami-rs reads it.
    let created: OchamiTransition = serde_json::from_value(body.clone()).expect("ochami-rs shape");
    assert_eq!(created.operation, OchamiOperation::On);
    assert_eq!(created.task_counts.total, 2);
    assert_eq!(created.task_counts.new, 2, "{body}");
    assert_eq!(created.tasks.len(), 2);
    assert!(
        created.tasks.iter().all(|k| k.task_status == "new"),
        "{body}"
    );
    assert_eq!(
        body["taskCounts"]["in-progress"], 0,
        "PCS's keys stay: {body}"
    );

    // The record a GET answers reads the same way once it ends.
    let done = finished(t, &created.transition_id).await;
    let done: OchamiTransition = serde_json::from_value(done).expect("ochami-rs shape");
    assert_eq!(done.transition_status, "completed");
    assert_eq!(done.task_counts.succeeded, 2);
    assert_eq!(done.task_counts.un_supported, 0);
}
