//! `GET /events` (Server-Sent Events): a power change reaches a subscriber as soon as the
//! simulated BMC shows it; a tenant admin's stream carries none of another tenant's nodes;
//! reconnecting with `Last-Event-ID` replays what was missed.

mod common;

use std::time::{Duration, Instant};

use chami::client::events::Frame;
use chami::service::auth::Role;
use common::fleet::rig;
use common::{mint_for, TestServer};
use reqwest::StatusCode;
use serde_json::{json, Value};

/// An open event stream, read with the console's own client.
struct Stream(chami::client::events::EventStream);

impl Stream {
    async fn open(t: &TestServer, token: &str, tenant: Option<&str>, last: Option<&str>) -> Stream {
        // The wire format, checked on a plain request first.
        let mut req = t.client.get(t.url("/events")).bearer_auth(token);
        if let Some(name) = tenant {
            req = req.header("Cray-Tenant-Name", name);
        }
        let resp = req.send().await.expect("connect to /events");
        assert_eq!(resp.status(), StatusCode::OK);
        assert_eq!(
            resp.headers()["content-type"].to_str().unwrap(),
            "text/event-stream"
        );
        drop(resp);
        let ca = std::fs::read(t.server.ca.as_ref().expect("a CA")).unwrap();
        let client = chami::client::Client::new(&t.server.url(), token, Some(&ca))
            .unwrap()
            .for_tenant(tenant.map(String::from));
        let last = last.map(|l| l.parse().expect("a numeric event ID"));
        Stream(client.events(last).await.expect("the event stream"))
    }

    /// The next frame (keep-alives skipped), or None when `within` passes first.
    async fn next(&mut self, within: Duration) -> Option<Frame> {
        match tokio::time::timeout(within, self.0.next()).await {
            Ok(Ok(f)) => Some(f),
            Ok(Err(e)) => panic!("stream failed: {e}"),
            Err(_) => None,
        }
    }

    /// Frames until one matches (at most `within` in all); panics naming what came instead.
    async fn until(
        &mut self,
        within: Duration,
        want: impl Fn(&Frame) -> bool,
    ) -> (Frame, Vec<Frame>) {
        let deadline = Instant::now() + within;
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.next(left).await {
                Some(f) if want(&f) => return (f, seen),
                Some(f) => seen.push(f),
                None => panic!("no matching event within {within:?}; saw {seen:?}"),
            }
        }
    }
}

#[tokio::test]
async fn a_power_change_reaches_the_stream_within_a_second_of_the_bmc() {
    let r = rig(2, Duration::from_millis(300)).await;
    let t = &r.t;
    let mut s = Stream::open(t, &t.admin, None, None).await;
    let (ready, _) = s
        .until(Duration::from_secs(5), |f| f.event == "ready")
        .await;
    assert!(ready.id.is_some());
    let (status, body) = t
        .post(
            "/power-control/v1/transitions",
            json!({"operation": "On", "location": [{"xname": "x3000c0s0b0n0"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // When the simulated BMC reports On...
    let bmc = r.fleet.bmc(0).unwrap();
    let mut on_at = None;
    for _ in 0..200 {
        if bmc.power("Node0") == Some("On") {
            on_at = Some(Instant::now());
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let on_at = on_at.expect("the simulated BMC turned the node on");
    // ...the stream says so within a second.
    let (f, _) = s
        .until(Duration::from_secs(5), |f| {
            f.event == "component_states_changed" && f.ids().contains(&"x3000c0s0b0n0".into())
        })
        .await;
    let late = on_at.elapsed();
    assert!(
        late < Duration::from_secs(1),
        "event came {late:?} after the BMC"
    );
    let (_, comp) = t.get("/hsm/v2/State/Components/x3000c0s0b0n0").await;
    assert_eq!(comp["State"], "On", "the event follows the stored state");
    assert!(f.id.unwrap() > ready.id.unwrap());
    drop(r.fleet);
}

#[tokio::test]
async fn a_tenant_stream_carries_only_its_own_nodes() {
    let r = rig(2, Duration::from_millis(10)).await;
    let t = &r.t;
    let nodes = [
        "x3000c0s0b0n0",
        "x3000c0s0b0n1",
        "x3000c0s1b0n0",
        "x3000c0s1b0n1",
    ];
    let (status, body) = t
        .patch(
            "/hsm/v2/State/Components/BulkRole",
            json!({"ComponentIDs": nodes, "Role": "Compute"}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let (status, body) = t
        .put(
            "/apis/tapms/v1alpha3/tenants/blue",
            json!({"spec": {"tenantresources": [{"type": "compute",
                "xnames": ["x3000c0s0b0n0"], "hsmgrouplabel": "blue",
                "enforceexclusivehsmgroups": true}]}}),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let blue = mint_for(&t.server, "bob", &[Role::Operator], Some("blue"));
    let mut mine = Stream::open(t, &blue, Some("blue"), None).await;
    let mut admin = Stream::open(t, &t.admin, None, None).await;
    // Without its header, a tenant admin gets no stream.
    let resp = t
        .client
        .get(t.url("/events"))
        .bearer_auth(&blue)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // Foreign nodes change first, then blue's, in one transition and apart.
    for batch in [vec![nodes[2], nodes[3]], vec![nodes[1], nodes[0]]] {
        let loc: Vec<Value> = batch.iter().map(|x| json!({"xname": x})).collect();
        let (status, body) = t
            .post(
                "/power-control/v1/transitions",
                json!({"operation": "On", "location": loc}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (_, seen) = mine
        .until(Duration::from_secs(10), |f| {
            f.event == "component_states_changed" && f.ids() == ["x3000c0s0b0n0"]
        })
        .await;
    for f in &seen {
        let text = f.data.to_string();
        for foreign in &nodes[1..] {
            assert!(!text.contains(foreign), "blue saw {foreign}: {f:?}");
        }
        assert_ne!(f.event, "audited", "an operator saw the audit log: {f:?}");
    }
    // The admin's stream has everything, audit entries included (the two transitions run
    // together, so their events come in either order).
    let mut seen = Vec::new();
    let has = |seen: &[Frame], x: &str| {
        seen.iter()
            .any(|f| f.event == "component_states_changed" && f.ids().contains(&x.to_string()))
    };
    while !(has(&seen, nodes[0]) && has(&seen, nodes[2])) {
        let f = admin
            .next(Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("the admin's stream stopped; saw {seen:?}"));
        seen.push(f);
    }
    assert!(seen.iter().any(|f| f.event == "audited"), "{seen:?}");
    drop(r.fleet);
}

#[tokio::test]
async fn last_event_id_replays_what_was_missed() {
    let t = TestServer::start().await;
    let mut s = Stream::open(&t, &t.admin, None, None).await;
    let (ready, _) = s
        .until(Duration::from_secs(5), |f| f.event == "ready")
        .await;
    drop(s);
    for id in ["x1000c0s0b0n0", "x1000c0s1b0n0"] {
        let (status, body) = t
            .post(
                "/hsm/v2/State/Components",
                json!({"Components": [{"ID": id, "State": "Ready"}]}),
            )
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }
    let last = ready.id.unwrap().to_string();
    let mut s = Stream::open(&t, &t.admin, None, Some(&last)).await;
    let mut changed = Vec::new();
    while changed.len() < 2 {
        let f = s
            .next(Duration::from_secs(5))
            .await
            .expect("replayed events");
        if f.event == "components_changed" {
            changed.extend(f.ids());
        }
    }
    assert_eq!(changed, ["x1000c0s0b0n0", "x1000c0s1b0n0"]);
    // An id this stream never gave: reload.
    let mut s = Stream::open(&t, &t.admin, None, Some("999999")).await;
    let f = s.next(Duration::from_secs(5)).await.unwrap();
    assert_eq!(f.event, "reset", "{f:?}");
    let bad = t
        .client
        .get(t.url("/events"))
        .bearer_auth(&t.admin)
        .header("Last-Event-ID", "yesterday")
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    // The server stops promptly with a stream open.
    let started = Instant::now();
    let _open = Stream::open(&t, &t.admin, None, None).await;
    t.server.shutdown().await.expect("shutdown");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "shutdown waited for the stream"
    );
}
