//! Several `chami serve` replicas on one PostgreSQL database: they migrate it together, share
//! the token signing key, see each other's writes (their component caches follow the shared
//! event log) and relay each other's events to their event streams.
//!
//! These need a PostgreSQL server: `.ci/run` starts one (`.ci/postgres`) and runs them with
//! `CHAMI_TEST_DATABASE_URL`; run by hand without it, they fail saying so.

mod common;

use std::time::{Duration, Instant};

use chami::service::auth::Role;
use chami::store::{PgStore, SharedState};
use common::TestServer;
use reqwest::StatusCode;
use serde_json::json;

const NEEDS: &str = "needs PostgreSQL: set CHAMI_TEST_DATABASE_URL (.ci/postgres starts one)";

/// Two replicas started at the same moment on one new database.
async fn pair() -> (TestServer, TestServer, String) {
    let url = common::fresh_database().await.expect(NEEDS);
    let (a, b) = tokio::join!(
        TestServer::start_on(tempfile::tempdir().unwrap(), Some(url.clone()), |_| {}),
        TestServer::start_on(tempfile::tempdir().unwrap(), Some(url.clone()), |_| {}),
    );
    (a, b, url)
}

/// Polls `check` every 50 ms until it holds, for at most 10 s; panics with `what` otherwise.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("not within 10 s: {what}");
}

/// The transition at `path` read through `t` once it completed (at most 30 s).
async fn completed(t: &TestServer, path: &str) -> serde_json::Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let (status, tr) = t.get(path).await;
        assert_eq!(status, StatusCode::OK, "{tr}");
        if tr["transitionStatus"] == "completed" {
            return tr;
        }
        assert!(
            Instant::now() < deadline,
            "the transition did not complete: {tr}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL (CHAMI_TEST_DATABASE_URL); .ci/run runs it"]
async fn replicas_share_writes_tokens_and_secrets() {
    let (a, b, url) = pair().await;

    // A token minted by one replica is accepted by the other: one signing key.
    let (status, _) = b
        .call(
            reqwest::Method::GET,
            "/hsm/v2/State/Components",
            Some(&a.admin),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(a.server.issuer.jwks(), b.server.issuer.jwks());

    // A write through A is read through B, and back.
    let (status, _) = a
        .post(
            "/hsm/v2/State/Components",
            json!({"Components": [{"ID": "x1000c0s0b0n0", "State": "Ready", "Role": "Compute"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    eventually("B lists A's component", || async {
        b.ids("/hsm/v2/State/Components").await == ["x1000c0s0b0n0"]
    })
    .await;
    let (status, _) = b
        .patch(
            "/hsm/v2/State/Components/x1000c0s0b0n0/Role",
            json!({"Role": "Application"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    eventually("A reads B's role change", || async {
        let (_, c) = a.get("/hsm/v2/State/Components/x1000c0s0b0n0").await;
        c["Role"] == "Application"
    })
    .await;
    let (status, _) = a.delete("/hsm/v2/State/Components/x1000c0s0b0n0").await;
    assert_eq!(status, StatusCode::OK);
    eventually("B forgets the deleted component", || async {
        b.get("/hsm/v2/State/Components/x1000c0s0b0n0").await.0 == StatusCode::NOT_FOUND
    })
    .await;

    // A tenant written through B is enforced on A: A's tenant index, loaded before the
    // tenant existed, is dropped when B's event arrives.
    let (status, _) = a
        .post(
            "/hsm/v2/State/Components",
            json!({"Components": [{"ID": "x1000c0s1b0n0", "State": "Ready", "Role": "Compute"},
                                  {"ID": "x1000c0s2b0n0", "State": "Ready", "Role": "Compute"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    // B checks a tenant's nodes against its own cache, which follows A's writes shortly.
    eventually("B reads A's new components", || async {
        b.get("/hsm/v2/State/Components/x1000c0s1b0n0").await.0 == StatusCode::OK
    })
    .await;
    let bob = common::mint_for(&a.server, "bob", &[Role::Operator], Some("blue"));
    let ca = std::fs::read(a.server.ca.as_ref().expect("a CA")).unwrap();
    let on_a = chami::client::Client::new(&a.server.url(), &bob, Some(&ca))
        .unwrap()
        .for_tenant(Some("blue".into()));
    let before = on_a.components().await;
    assert!(before.is_err(), "no tenant blue yet: {before:?}");
    let (status, body) = b
        .put(
            "/apis/tapms/v1alpha3/tenants/blue",
            json!({"spec": {"tenantresources": [{"type": "compute",
                "xnames": ["x1000c0s1b0n0"], "hsmgrouplabel": "blue",
                "enforceexclusivehsmgroups": true}]}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    eventually("A lets blue's admin see blue's node", || async {
        on_a.components().await.is_ok_and(|cs| {
            cs.iter().map(|c| c.id.to_string()).collect::<Vec<_>>() == ["x1000c0s1b0n0"]
        })
    })
    .await;

    // Secrets: the first value stored under a name wins for every replica.
    let store = PgStore::open(&url).await.expect("open the database");
    let first = store.shared_secret("test-secret", "one").await.unwrap();
    let second = store.shared_secret("test-secret", "two").await.unwrap();
    assert_eq!((first.as_str(), second.as_str()), ("one", "one"));
}

#[tokio::test]
#[ignore = "needs PostgreSQL (CHAMI_TEST_DATABASE_URL); .ci/run runs it"]
async fn an_event_stream_on_one_replica_sees_the_others_changes() {
    let (a, b, _) = pair().await;
    let ca = std::fs::read(a.server.ca.as_ref().expect("a CA")).unwrap();
    let client = chami::client::Client::new(&a.server.url(), &a.admin, Some(&ca)).unwrap();
    let mut stream = client.events(None).await.expect("A's event stream");
    let (status, _) = b
        .post(
            "/hsm/v2/State/Components",
            json!({"Components": [{"ID": "x3000c0s7b0n0", "State": "On"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut seen = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let frame = match tokio::time::timeout(left, stream.next()).await {
            Ok(f) => f.expect("the stream stays up"),
            Err(_) => panic!("A's stream did not show B's change within 10 s; saw {seen:?}"),
        };
        if frame.event == "components_changed" && frame.ids() == ["x3000c0s7b0n0"] {
            break;
        }
        seen.push(frame.event);
    }
    // And the change is readable on A once the event arrived.
    assert_eq!(
        a.get("/hsm/v2/State/Components/x3000c0s7b0n0").await.0,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_database_that_cannot_be_reached_is_named_in_the_error() {
    let dir = tempfile::tempdir().unwrap();
    let mut args = chami::server::config::ServeArgs::for_data_dir(
        dir.path().to_path_buf(),
        common::loopback(),
    );
    // Port 1 on loopback: nothing listens there, so the connection is refused at once.
    args.database_url = Some("postgres://chami:hunter2@127.0.0.1:1/inventory".into());
    let err = chami::server::start(&args).await.err().expect("refused");
    let text = format!("{err:#}");
    assert!(
        text.contains("cannot open database postgres://chami:***@127.0.0.1:1/inventory"),
        "{text}"
    );
    assert!(!text.contains("hunter2"), "the password leaked: {text}");
}

#[tokio::test]
#[ignore = "needs PostgreSQL (CHAMI_TEST_DATABASE_URL); .ci/run runs it"]
async fn a_transition_is_finished_by_another_replica_when_its_core_stops() {
    let url = common::fresh_database().await.expect(NEEDS);
    let (fleet, ca) = common::fleet::fleet(2, Duration::from_secs(2)).await;
    let reach = common::fleet::reach(&fleet, &ca);
    let (a, b) = tokio::join!(
        TestServer::start_on(
            tempfile::tempdir().unwrap(),
            Some(url.clone()),
            reach.clone()
        ),
        TestServer::start_on(tempfile::tempdir().unwrap(), Some(url.clone()), reach),
    );
    common::fleet::register(&a, &fleet, 2).await;
    let nodes = [
        "x3000c0s0b0n0",
        "x3000c0s0b0n1",
        "x3000c0s1b0n0",
        "x3000c0s1b0n1",
    ];
    let location: Vec<_> = nodes.iter().map(|x| json!({ "xname": x })).collect();
    let (status, body) = a
        .post(
            "/power-control/v1/transitions",
            json!({"operation": "On", "location": location}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let id = body["transitionID"].as_str().unwrap().to_string();
    // Every node's power-on was sent by A and A is confirming them (2 s each).
    let sent = |bmc: u32, node: &str| fleet.bmc(bmc).unwrap().resets(node).len();
    eventually("A sent every power-on", || async {
        sent(0, "Node0") + sent(0, "Node1") + sent(1, "Node0") + sent(1, "Node1") == 4
    })
    .await;
    // A stops mid-way: it writes where each task is and hands the transition back.
    a.server.shutdown().await.expect("A stops");

    let path = format!("/power-control/v1/transitions/{id}");
    let tr = completed(&b, &path).await;
    let tasks = tr["tasks"].as_array().expect("tasks");
    assert_eq!(tasks.len(), 4, "{tr}");
    for t in tasks {
        assert_eq!(t["taskStatus"], "succeeded", "{tr}");
        // Each node's power-on was sent and answered: the replica confirmed it, not sent again.
        assert_eq!(
            t["taskStatusDescription"],
            "Transition confirmed, on; resumed after the core running this transition stopped \
             with on sent",
            "{tr}"
        );
    }
    // B confirmed what A had sent; it did not power the nodes on again.
    assert_eq!(
        [
            sent(0, "Node0"),
            sent(0, "Node1"),
            sent(1, "Node0"),
            sent(1, "Node1")
        ],
        [1, 1, 1, 1]
    );
    drop(ca);
}

/// A free loopback port (bound and released; nothing else on this machine races for it).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

#[tokio::test]
#[ignore = "needs PostgreSQL (CHAMI_TEST_DATABASE_URL); .ci/run runs it"]
async fn a_transition_is_finished_by_another_replica_when_its_core_is_killed() {
    let url = common::fresh_database().await.expect(NEEDS);
    let (fleet, ca) = common::fleet::fleet(1, Duration::from_secs(2)).await;
    let reach = common::fleet::reach(&fleet, &ca);
    // Short leases, so B takes over within seconds rather than the default 75.
    let b = TestServer::start_on(tempfile::tempdir().unwrap(), Some(url.clone()), |a| {
        reach(a);
        a.power_lease_secs = 2;
    })
    .await;
    common::fleet::register(&b, &fleet, 1).await;

    // A is a separate `chami serve` process on the same database, so it can be killed.
    let a_dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut a = std::process::Command::new(env!("CARGO_BIN_EXE_chami"))
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .arg("--data-dir")
        .arg(a_dir.path())
        .args(["--database-url", &url])
        .arg("--redfish-ca-cert")
        .arg(&ca)
        .args(["--redfish-port", &fleet.port.to_string()])
        .args(["--redfish-timeout", "1", "--power-poll-ms", "20"])
        .args(["--power-lease-secs", "2"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start replica A");
    let a_url = format!("https://127.0.0.1:{port}");
    let mut client = None;
    for _ in 0..200 {
        if let Ok(pem) = std::fs::read(a_dir.path().join("ca.pem")) {
            let c = common::client_for(&pem);
            let ready = c.get(format!("{a_url}/hsm/v2/service/ready")).send().await;
            if ready.is_ok() {
                client = Some(c);
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let client = client.expect("replica A answers within 10 s");

    // B's token works on A: one signing key. A starts powering both nodes on.
    let resp = client
        .post(format!("{a_url}/power-control/v1/transitions"))
        .bearer_auth(&b.admin)
        .json(&json!({"operation": "On", "location": [
            {"xname": "x3000c0s0b0n0"}, {"xname": "x3000c0s0b0n1"}]}))
        .send()
        .await
        .expect("A takes the transition");
    assert_eq!(resp.status(), StatusCode::OK);
    let body: serde_json::Value = resp.json().await.unwrap();
    let id = body["transitionID"].as_str().unwrap().to_string();
    let path = format!("/power-control/v1/transitions/{id}");

    // Once A has written that both nodes are confirming their power-on, kill it outright.
    eventually("A is confirming both nodes", || async {
        let (_, tr) = b.get(&path).await;
        tr["tasks"].as_array().is_some_and(|ts| {
            ts.len() == 2
                && ts
                    .iter()
                    .all(|t| t["taskStatusDescription"] == "Confirming successful transition, on")
        })
    })
    .await;
    a.kill().expect("kill A");
    a.wait().expect("A is gone");

    // B takes the transition over when A's lease runs out and finishes it.
    let tr = completed(&b, &path).await;
    for t in tr["tasks"].as_array().unwrap() {
        assert_eq!(t["taskStatus"], "succeeded", "{tr}");
        // Each node's power-on was sent and answered: the replica confirmed it, not sent again.
        assert_eq!(
            t["taskStatusDescription"],
            "Transition confirmed, on; resumed after the core running this transition stopped \
             with on sent",
            "{tr}"
        );
    }
    let sent = |n: &str| fleet.bmc(0).unwrap().resets(n).len();
    assert_eq!([sent("Node0"), sent("Node1")], [1, 1], "nothing sent twice");
    // The reservations A made went with the transition and B released them at the end.
    let (_, locks) = b
        .post(
            "/hsm/v2/locks/status",
            json!({"ComponentIDs": ["x3000c0s0b0n0", "x3000c0s0b0n1"]}),
        )
        .await;
    let held: Vec<_> = locks["Components"]
        .as_array()
        .expect("lock states")
        .iter()
        .filter(|c| c["Reserved"] == true)
        .collect();
    assert!(held.is_empty(), "still reserved: {locks}");
    drop(ca);
}
