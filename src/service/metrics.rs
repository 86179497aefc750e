//! Prometheus metrics: requests by route, method and status, with a latency histogram, plus
//! gauges read at scrape time (transitions and tasks by status, the event sequence).

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use super::Core;
use crate::histogram::{Series, Totals};
use crate::model::power::TaskStatus;

/// Route pattern -> method -> (listener, status) -> series. A route is the matched pattern,
/// never the raw path, so the number of series stays bounded.
type Index = HashMap<Box<str>, HashMap<Box<str>, HashMap<(Listener, u16), Series>>>;

/// Which listener answered: the HTTPS API or the plain-HTTP boot listener.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Listener {
    /// The HTTPS API.
    Https,
    /// The plain-HTTP boot listener.
    Http,
}

impl Listener {
    fn as_str(self) -> &'static str {
        match self {
            Self::Https => "https",
            Self::Http => "http",
        }
    }
}

/// Request counters, shared by every request. Counting a request that was seen before takes
/// a read lock and a few atomic adds; it allocates nothing.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    requests: Arc<RwLock<Index>>,
}

/// A label value with `\`, `"` and newlines escaped.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl Metrics {
    /// Counts one answered request.
    pub fn observe(
        &self,
        listener: Listener,
        route: &str,
        method: &str,
        status: u16,
        took: Duration,
    ) {
        let key = (listener, status);
        {
            let index = self.requests.read().unwrap_or_else(|p| p.into_inner());
            if let Some(s) = index
                .get(route)
                .and_then(|m| m.get(method))
                .and_then(|m| m.get(&key))
            {
                s.record(took);
                return;
            }
        }
        // A new series: the keys are allocated once, here.
        let mut index = self.requests.write().unwrap_or_else(|p| p.into_inner());
        index
            .entry(route.into())
            .or_default()
            .entry(method.into())
            .or_default()
            .entry(key)
            .or_default()
            .record(took);
    }

    /// Every series as `(listener, route, method, status) -> totals`, sorted.
    fn snapshot(&self) -> BTreeMap<(Listener, String, String, u16), Totals> {
        let index = self.requests.read().unwrap_or_else(|p| p.into_inner());
        let mut out = BTreeMap::new();
        for (route, by_method) in index.iter() {
            for (method, by) in by_method {
                for ((listener, status), s) in by {
                    let t: &mut Totals = out
                        .entry((*listener, route.to_string(), method.to_string(), *status))
                        .or_default();
                    t.add(s);
                }
            }
        }
        out
    }

    /// The text exposition format (version 0.0.4).
    pub async fn render(&self, core: &Core) -> String {
        let mut out = String::new();
        let series = self.snapshot();
        out.push_str(
            "# HELP chami_http_requests_total Requests answered, by route, method and status.\n",
        );
        out.push_str("# TYPE chami_http_requests_total counter\n");
        for ((listener, route, method, status), s) in &series {
            let _ = writeln!(
                out,
                "chami_http_requests_total{{listener=\"{}\",route=\"{}\",method=\"{method}\",status=\"{status}\"}} {}",
                listener.as_str(),
                label(route),
                s.count
            );
        }
        out.push_str(
            "# HELP chami_http_request_duration_seconds Time to answer, by route and method.\n",
        );
        out.push_str("# TYPE chami_http_request_duration_seconds histogram\n");
        let mut by_route: BTreeMap<(Listener, String, String), Totals> = BTreeMap::new();
        for ((listener, route, method, _), s) in &series {
            by_route
                .entry((*listener, route.clone(), method.clone()))
                .or_default()
                .merge(s);
        }
        for ((listener, route, method), s) in &by_route {
            let l = format!(
                "listener=\"{}\",route=\"{}\",method=\"{method}\"",
                listener.as_str(),
                label(route)
            );
            s.write(&mut out, "chami_http_request_duration_seconds", &l);
        }
        out.push_str(
            "# HELP chami_bmc_call_duration_seconds Redfish calls to BMCs, by method and outcome.\n",
        );
        out.push_str("# TYPE chami_bmc_call_duration_seconds histogram\n");
        for ((method, outcome), s) in core.discovery.client().call_stats() {
            let l = format!("method=\"{method}\",outcome=\"{outcome}\"");
            s.write(&mut out, "chami_bmc_call_duration_seconds", &l);
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
        let (delivered, failed, dropped) = core.scn.counts();
        out.push_str(
            "# HELP chami_scn_notifications_total State-change notifications to subscribers, by outcome.\n",
        );
        out.push_str("# TYPE chami_scn_notifications_total counter\n");
        for (outcome, n) in [
            ("delivered", delivered),
            ("failed", failed),
            ("dropped", dropped),
        ] {
            let _ = writeln!(
                out,
                "chami_scn_notifications_total{{outcome=\"{outcome}\"}} {n}"
            );
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
        m.observe(Listener::Https, "/a", "GET", 200, Duration::from_millis(3));
        m.observe(Listener::Https, "/a", "GET", 200, Duration::from_millis(20));
        m.observe(Listener::Https, "/a", "GET", 404, Duration::from_millis(30));
        let s = m.snapshot();
        let ok = &s[&(Listener::Https, "/a".to_string(), "GET".to_string(), 200)];
        assert_eq!(ok.count, 2);
        assert!((ok.sum - 0.023).abs() < 1e-9, "{}", ok.sum);
        assert_eq!(ok.buckets[..5], [0, 0, 1, 1, 2]);
        assert_eq!(
            s[&(Listener::Https, "/a".to_string(), "GET".to_string(), 404)].count,
            1
        );
        assert_eq!(label("a\"b\\c"), "a\\\"b\\\\c");
    }
}
