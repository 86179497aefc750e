//! Prometheus metrics: requests by route, method and status, with a latency histogram, plus
//! gauges read at scrape time (transitions and tasks by status, the event sequence).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::Core;
use crate::model::power::TaskStatus;

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Default, Clone)]
struct Series {
    count: u64,
    sum: f64,
    buckets: Vec<u64>,
}

/// `(route, method, status)` of a series.
type Key = (String, String, u16);

/// Request counters, shared by every request.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    // (route, method, status) -> series. A route is the matched pattern, never the raw path,
    // so the number of series stays bounded.
    requests: Arc<Mutex<BTreeMap<Key, Series>>>,
}

/// A label value with `\`, `"` and newlines escaped.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    /// Counts one answered request.
    pub fn observe(&self, route: &str, method: &str, status: u16, took: Duration) {
        let secs = took.as_secs_f64();
        let mut m = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        let s = m
            .entry((route.to_string(), method.to_string(), status))
            .or_insert_with(|| Series {
                buckets: vec![0; BUCKETS.len()],
                ..Series::default()
            });
        s.count += 1;
        s.sum += secs;
        for (b, le) in s.buckets.iter_mut().zip(BUCKETS) {
            if secs <= *le {
                *b += 1;
            }
        }
    }

    /// The text exposition format (version 0.0.4).
    pub async fn render(&self, core: &Core) -> String {
        let mut out = String::new();
        let series = self
            .requests
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        out.push_str(
            "# HELP chami_http_requests_total Requests answered, by route, method and status.\n",
        );
        out.push_str("# TYPE chami_http_requests_total counter\n");
        for ((route, method, status), s) in &series {
            let _ = writeln!(
                out,
                "chami_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {}",
                label(route),
                s.count
            );
        }
        out.push_str(
            "# HELP chami_http_request_duration_seconds Time to answer, by route and method.\n",
        );
        out.push_str("# TYPE chami_http_request_duration_seconds histogram\n");
        let mut by_route: BTreeMap<(String, String), Series> = BTreeMap::new();
        for ((route, method, _), s) in &series {
            let t = by_route
                .entry((route.clone(), method.clone()))
                .or_insert_with(|| Series {
                    buckets: vec![0; BUCKETS.len()],
                    ..Series::default()
                });
            t.count += s.count;
            t.sum += s.sum;
            for (a, b) in t.buckets.iter_mut().zip(&s.buckets) {
                *a += b;
            }
        }
        for ((route, method), s) in &by_route {
            let l = format!("route=\"{}\",method=\"{method}\"", label(route));
            for (b, le) in s.buckets.iter().zip(BUCKETS) {
                let _ = writeln!(
                    out,
                    "chami_http_request_duration_seconds_bucket{{{l},le=\"{le}\"}} {b}"
                );
            }
            let _ = writeln!(
                out,
                "chami_http_request_duration_seconds_bucket{{{l},le=\"+Inf\"}} {}",
                s.count
            );
            let _ = writeln!(
                out,
                "chami_http_request_duration_seconds_sum{{{l}}} {}",
                s.sum
            );
            let _ = writeln!(
                out,
                "chami_http_request_duration_seconds_count{{{l}}} {}",
                s.count
            );
        }
        if let Ok(list) = core.power.list().await {
            let mut transitions: BTreeMap<&str, u64> = BTreeMap::new();
            let mut tasks: BTreeMap<&str, u64> = BTreeMap::new();
            for t in &list {
                *transitions.entry(t.status.as_str()).or_default() += 1;
                let c = &t.counts;
                for (s, n) in [
                    (TaskStatus::New, c.new),
                    (TaskStatus::InProgress, c.in_progress),
                    (TaskStatus::Failed, c.failed),
                    (TaskStatus::Succeeded, c.succeeded),
                    (TaskStatus::Unsupported, c.unsupported),
                ] {
                    *tasks.entry(s.as_str()).or_default() += n;
                }
            }
            out.push_str("# HELP chami_power_transitions Power transitions kept, by status.\n");
            out.push_str("# TYPE chami_power_transitions gauge\n");
            for (s, n) in transitions {
                let _ = writeln!(out, "chami_power_transitions{{status=\"{s}\"}} {n}");
            }
            out.push_str("# HELP chami_power_tasks Tasks of the kept transitions, by outcome.\n");
            out.push_str("# TYPE chami_power_tasks gauge\n");
            for (s, n) in tasks {
                let _ = writeln!(out, "chami_power_tasks{{status=\"{s}\"}} {n}");
            }
        }
        out.push_str("# HELP chami_events_published_total Changes published on the event bus.\n");
        out.push_str("# TYPE chami_events_published_total counter\n");
        let _ = writeln!(out, "chami_events_published_total {}", core.bus.last_seq());
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn observations_land_in_their_buckets() {
        let m = Metrics::default();
        m.observe("/a", "GET", 200, Duration::from_millis(3));
        m.observe("/a", "GET", 404, Duration::from_millis(30));
        let s = m.requests.lock().unwrap();
        let ok = &s[&("/a".to_string(), "GET".to_string(), 200)];
        assert_eq!(ok.count, 1);
        assert_eq!(ok.buckets[..4], [0, 0, 1, 1]);
        assert_eq!(label("a\"b\\c"), "a\\\"b\\\\c");
    }
}
