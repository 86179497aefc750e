//! `GET /metrics`: Prometheus text, parsed back: requests by route pattern (never the raw path),
//! status and method, latency histograms that add up, and the power gauges.

mod common;

use std::collections::HashMap;

use common::TestServer;
use reqwest::StatusCode;
use serde_json::json;

/// `name{labels}` -> value, for every sample line; panics on a line that is not one.
fn parse(text: &str) -> HashMap<String, f64> {
    let mut out = HashMap::new();
    for line in text.lines() {
        if line.is_empty() || line.starts_with('#') {
            assert!(
                line.is_empty() || line.starts_with("# HELP ") || line.starts_with("# TYPE "),
                "bad comment line: {line}"
            );
            continue;
        }
        let (key, value) = line
            .rsplit_once(' ')
            .unwrap_or_else(|| panic!("no value: {line}"));
        let v: f64 = value
            .parse()
            .unwrap_or_else(|_| panic!("bad value: {line}"));
        out.insert(key.to_string(), v);
    }
    out
}

#[tokio::test]
async fn metrics_count_requests_by_route() {
    let t = TestServer::start_with(|a| a.boot_http_listen = Some(common::loopback())).await;
    let (status, _) = t
        .post(
            "/hsm/v2/State/Components",
            json!({"Components": [{"ID": "x1000c0s0b0n0", "State": "Ready"}]}),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    for x in ["x1000c0s0b0n0", "x1000c0s0b0n0", "x1000c0s9b0n0"] {
        t.get(&format!("/hsm/v2/State/Components/{x}")).await;
    }
    // The plain-HTTP boot listener counts under its own label.
    let addr = t.server.boot_addr.expect("boot listener");
    for _ in 0..2 {
        let resp = reqwest::get(format!(
            "http://{addr}/boot/v1/bootscript?mac=02:00:00:00:00:01"
        ))
        .await
        .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
    }
    let m = scrape(&t).await;
    let route = "listener=\"https\",route=\"/hsm/v2/State/Components/{xname}\",method=\"GET\"";
    assert_eq!(
        m[&format!("chami_http_requests_total{{{route},status=\"200\"}}")],
        2.0
    );
    assert_eq!(
        m[&format!("chami_http_requests_total{{{route},status=\"404\"}}")],
        1.0
    );
    assert_eq!(
        m[&format!("chami_http_request_duration_seconds_count{{{route}}}")],
        3.0
    );
    assert_eq!(
        m[&format!("chami_http_request_duration_seconds_bucket{{{route},le=\"+Inf\"}}")],
        3.0
    );
    let plain = "listener=\"http\",route=\"/boot/v1/bootscript\",method=\"GET\"";
    assert_eq!(
        m[&format!("chami_http_requests_total{{{plain},status=\"200\"}}")],
        2.0
    );
    assert!(
        !m.keys().any(|k| k.contains("x1000c0s9b0n0")),
        "raw paths never become labels"
    );
    assert!(m["chami_events_published_total"] >= 1.0);
    // Metrics need a token like every other read.
    let anon = t.client.get(t.url("/metrics")).send().await.unwrap();
    assert_eq!(anon.status(), StatusCode::UNAUTHORIZED);
}

/// `/metrics` as parsed samples.
async fn scrape(t: &TestServer) -> HashMap<String, f64> {
    let resp = t
        .client
        .get(t.url("/metrics"))
        .bearer_auth(&t.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    parse(&resp.text().await.unwrap())
}

#[tokio::test]
async fn bmc_calls_are_timed_by_method_and_outcome() {
    let r = common::fleet::rig(1, std::time::Duration::from_millis(10)).await;
    let t = &r.t;
    let ok = "method=\"GET\",outcome=\"ok\"";
    let before = scrape(t).await[&format!("chami_bmc_call_duration_seconds_count{{{ok}}}")];
    assert!(before >= 1.0, "discovery read the BMC");
    let (status, _) = t
        .get("/power-control/v1/power-status?xname=x3000c0s0b0n0")
        .await;
    assert_eq!(status, StatusCode::OK);

    // A BMC that hangs is counted as a timeout once the call gives up (1 s here).
    r.fleet.bmc(0).unwrap().set_faults(chami::sim::Faults {
        hang: true,
        ..Default::default()
    });
    t.get("/power-control/v1/power-status?xname=x3000c0s0b0n0")
        .await;
    let m = scrape(t).await;
    let count = m[&format!("chami_bmc_call_duration_seconds_count{{{ok}}}")];
    assert!(
        count > before,
        "the power-status call was counted: {count} after {before}"
    );
    assert_eq!(
        m[&format!("chami_bmc_call_duration_seconds_bucket{{{ok},le=\"+Inf\"}}")],
        count
    );
    // Buckets only grow, up to the count.
    let mut last = 0.0;
    for le in chami::histogram::BUCKETS {
        let b = m[&format!("chami_bmc_call_duration_seconds_bucket{{{ok},le=\"{le}\"}}")];
        assert!(b >= last && b <= count, "bucket {le}: {b}");
        last = b;
    }
    let timeouts = "method=\"GET\",outcome=\"timeout\"";
    assert!(
        m[&format!("chami_bmc_call_duration_seconds_count{{{timeouts}}}")] >= 1.0,
        "{:?}",
        m.keys().filter(|k| k.contains("bmc")).collect::<Vec<_>>()
    );
    assert!(m[&format!("chami_bmc_call_duration_seconds_sum{{{timeouts}}}")] >= 0.9);
}
