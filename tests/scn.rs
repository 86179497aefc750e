//! SMD `Subscriptions/SCN` over HTTPS, with real delivery to receivers on loopback: SMD's
//! bodies and codes, refusals, what each subscriber is sent, retries after failures, and a
//! subscriber that never answers delaying no one.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode as Code;
use axum::routing::post;
use axum::{Json, Router};
use common::{assert_problem, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};
use tokio::sync::mpsc;

const SUBS: &str = "/hsm/v2/Subscriptions/SCN";

/// A subscriber on loopback: what it was sent arrives on the receiver; the first `fail`
/// POSTs are answered 500; with `hang`, it never answers.
struct Receiver {
    url: String,
    got: mpsc::UnboundedReceiver<Value>,
    tries: Arc<AtomicUsize>,
}

#[derive(Clone)]
struct Sink {
    tx: mpsc::UnboundedSender<Value>,
    tries: Arc<AtomicUsize>,
    fail: usize,
    hang: bool,
}

async fn take(State(s): State<Sink>, Json(body): Json<Value>) -> Code {
    let n = s.tries.fetch_add(1, Ordering::SeqCst);
    if s.hang {
        tokio::time::sleep(Duration::from_secs(3600)).await;
    }
    if n < s.fail {
        return Code::INTERNAL_SERVER_ERROR;
    }
    let _ = s.tx.send(body);
    Code::OK
}

async fn receiver(fail: usize, hang: bool) -> Receiver {
    let (tx, got) = mpsc::unbounded_channel();
    let tries = Arc::new(AtomicUsize::new(0));
    let sink = Sink {
        tx,
        tries: tries.clone(),
        fail,
        hang,
    };
    let app = Router::new().route("/scn", post(take)).with_state(sink);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/scn", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    Receiver { url, got, tries }
}

impl Receiver {
    /// The next notification, within 10 s.
    async fn next(&mut self) -> Value {
        tokio::time::timeout(Duration::from_secs(10), self.got.recv())
            .await
            .expect("a notification within 10 s")
            .expect("the receiver is open")
    }
}

async fn subscribe(t: &TestServer, body: Value) -> i64 {
    let (status, sub) = t.post(SUBS, body).await;
    assert_eq!(status, StatusCode::OK, "{sub}");
    sub["ID"].as_i64().expect("an ID")
}

#[tokio::test]
async fn subscriptions_round_trip_as_smd_answers() {
    let t = TestServer::start().await;
    let (status, body) = t.get(SUBS).await;
    assert_eq!(
        (status, body),
        (StatusCode::OK, json!({"SubscriptionList": []}))
    );
    let (status, sub) = t
        .post(
            SUBS,
            json!({"Subscriber": "hmnfd@sms1", "Url": "http://127.0.0.1:9/scn",
                   "States": ["ready", "Off"], "Enabled": true}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{sub}");
    assert_eq!(
        sub,
        json!({"ID": 1, "Subscriber": "hmnfd@sms1", "Url": "http://127.0.0.1:9/scn",
               "States": ["Ready", "Off"], "Enabled": true})
    );
    // The same subscriber and Url update their subscription.
    let again = subscribe(
        &t,
        json!({"Subscriber": "hmnfd@sms1", "Url": "http://127.0.0.1:9/scn", "Roles": ["compute"]}),
    )
    .await;
    assert_eq!(again, 1);
    let (_, one) = t.get(&format!("{SUBS}/1")).await;
    assert_eq!(one["Roles"], json!(["Compute"]), "{one}");
    assert_eq!(one.get("States"), None, "{one}");

    let two = subscribe(
        &t,
        json!({"Subscriber": "cray-bos", "Url": "http://127.0.0.1:9/bos", "SoftwareStatus": ["AdminDown"]}),
    )
    .await;
    assert!(two > 1, "{two}");
    let (status, _) = t
        .put(
            &format!("{SUBS}/{two}"),
            json!({"Subscriber": "cray-bos", "Url": "http://127.0.0.1:9/bos", "States": ["Halt"]}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = t
        .patch(
            &format!("{SUBS}/{two}"),
            json!({"Op": "add", "States": ["Standby"]}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (_, two_now) = t.get(&format!("{SUBS}/{two}")).await;
    assert_eq!(two_now["States"], json!(["Halt", "Standby"]), "{two_now}");
    assert_eq!(
        two_now.get("SoftwareStatus"),
        None,
        "PUT replaced it whole: {two_now}"
    );

    // Refusals, each naming the problem and changing nothing.
    let before = t.get(SUBS).await.1;
    for (body, needle) in [
        (
            json!({"Url": "http://h/x", "States": ["On"]}),
            "Missing name of subscriber",
        ),
        (json!({"Subscriber": "s", "States": ["On"]}), "Missing url"),
        (
            json!({"Subscriber": "s", "Url": "http://h/x"}),
            "Missing trigger",
        ),
        (
            json!({"Subscriber": "s", "Url": "http://h/x", "States": ["Sideways"]}),
            "Invalid state 'Sideways'",
        ),
        (
            json!({"Subscriber": "s", "Url": "http://h/x", "Roles": ["Chef"]}),
            "Invalid role 'Chef'",
        ),
        (
            json!({"Subscriber": "s", "Url": "http://h/x", "SoftwareStatus": [""]}),
            "can not be an empty string",
        ),
        (
            json!({"Subscriber": "s", "Url": "https://me:s3cret@h/x", "States": ["On"]}),
            "must not carry",
        ),
    ] {
        let got = t.post(SUBS, body).await;
        assert_problem(&got, StatusCode::BAD_REQUEST, needle);
        assert!(
            !got.1.to_string().contains("s3cret"),
            "a password is never repeated"
        );
    }
    assert_problem(
        &t.get(&format!("{SUBS}/zero")).await,
        StatusCode::BAD_REQUEST,
        "Invalid id - zero",
    );
    assert_problem(
        &t.get(&format!("{SUBS}/0")).await,
        StatusCode::BAD_REQUEST,
        "Invalid id - 0",
    );
    assert_problem(
        &t.get(&format!("{SUBS}/999")).await,
        StatusCode::NOT_FOUND,
        "Subscription not found",
    );
    assert_problem(
        &t.patch(
            &format!("{SUBS}/{two}"),
            json!({"Op": "merge", "States": ["On"]}),
        )
        .await,
        StatusCode::BAD_REQUEST,
        "Invalid Patch Op - merge",
    );
    assert_problem(
        &t.patch(
            &format!("{SUBS}/999"),
            json!({"Op": "add", "States": ["On"]}),
        )
        .await,
        StatusCode::NOT_FOUND,
        "Subscription not found",
    );
    // PUT onto another subscription's subscriber and Url.
    assert_problem(
        &t.put(
            &format!("{SUBS}/{two}"),
            json!({"Subscriber": "hmnfd@sms1", "Url": "http://127.0.0.1:9/scn", "States": ["On"]}),
        )
        .await,
        StatusCode::CONFLICT,
        "already sends",
    );
    assert_eq!(
        t.get(SUBS).await.1,
        before,
        "a refused write changed nothing"
    );

    let (status, body) = t.delete(&format!("{SUBS}/1")).await;
    assert_eq!(
        (status, body["message"].clone()),
        (StatusCode::OK, json!("Subscription deleted"))
    );
    assert_problem(
        &t.delete(&format!("{SUBS}/1")).await,
        StatusCode::NOT_FOUND,
        "Subscription not found",
    );
    let (status, body) = t.delete(SUBS).await;
    assert_eq!(
        (status, body["message"].clone()),
        (StatusCode::OK, json!("1 Subscriptions deleted"))
    );
}

#[tokio::test]
async fn changes_reach_the_subscribers_that_asked_with_retries() {
    let t = TestServer::start_with(|a| a.scn_backoff_ms = 20).await;
    let mut ready = receiver(0, false).await;
    let mut off = receiver(2, false).await;
    let stuck = receiver(0, true).await;
    subscribe(
        &t,
        json!({"Subscriber": "a", "Url": ready.url, "States": ["Ready"], "Enabled": true}),
    )
    .await;
    subscribe(
        &t,
        json!({"Subscriber": "b", "Url": off.url, "States": ["Off"]}),
    )
    .await;
    subscribe(
        &t,
        json!({"Subscriber": "c", "Url": stuck.url, "States": ["Ready", "Off"]}),
    )
    .await;

    // New components in Ready: one notification per state.
    let (status, body) = t
        .post(
            "/hsm/v2/State/Components",
            json!({"Components": [{"ID": "x3000c0s1b0n0", "State": "Ready"},
                                   {"ID": "x3000c0s2b0n0", "State": "Ready"},
                                   {"ID": "x3000c0s3b0n0", "State": "On"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        ready.next().await,
        json!({"Components": ["x3000c0s1b0n0", "x3000c0s2b0n0"], "State": "Ready"})
    );

    // To Off: the Off subscriber gets it on its third try (its first two answer 500).
    let (status, body) = t
        .patch(
            "/hsm/v2/State/Components/BulkStateData",
            json!({"ComponentIDs": ["x3000c0s1b0n0"], "State": "Off", "Force": true}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        off.next().await,
        json!({"Components": ["x3000c0s1b0n0"], "State": "Off", "Flag": "OK"})
    );
    assert_eq!(off.tries.load(Ordering::SeqCst), 3);

    // Enabled: the subscriber that asked for Enabled changes; the stuck one delays no one.
    let (status, body) = t
        .patch(
            "/hsm/v2/State/Components/BulkEnabled",
            json!({"ComponentIDs": ["x3000c0s2b0n0"], "Enabled": false}),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    assert_eq!(
        ready.next().await,
        json!({"Components": ["x3000c0s2b0n0"], "Enabled": false})
    );
    assert!(
        stuck.tries.load(Ordering::SeqCst) >= 1,
        "the stuck subscriber was tried"
    );
    // Nothing else was sent to them: a SoftwareStatus change triggers neither.
    let (status, body) = t
        .patch(
            "/hsm/v2/State/Components/BulkSoftwareStatus",
            json!({"ComponentIDs": ["x3000c0s2b0n0"], "SoftwareStatus": "AdminDown"}),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    let (status, body) = t
        .patch(
            "/hsm/v2/State/Components/BulkStateData",
            json!({"ComponentIDs": ["x3000c0s3b0n0"], "State": "Ready"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    assert_eq!(
        ready.next().await,
        json!({"Components": ["x3000c0s3b0n0"], "State": "Ready", "Flag": "OK"}),
        "the SoftwareStatus change was not sent before it"
    );
    assert!(
        off.got.try_recv().is_err(),
        "the Off subscriber got nothing more"
    );
    // /metrics counts what was delivered (the stuck subscriber's are not yet failed). A
    // worker counts after its subscriber's answer, so the last count may trail the receipt.
    let mut delivered = 0;
    for _ in 0..100 {
        let resp = t
            .client
            .get(t.url("/metrics"))
            .bearer_auth(&t.admin)
            .send()
            .await
            .expect("metrics");
        let text = resp.text().await.unwrap();
        delivered = text
            .lines()
            .find_map(|l| l.strip_prefix("chami_scn_notifications_total{outcome=\"delivered\"} "))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no delivered counter in {text}"));
        if delivered >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(
        delivered, 4,
        "three to the Ready subscriber, one to the Off one"
    );
}
