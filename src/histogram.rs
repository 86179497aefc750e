//! Latency histograms for the Prometheus metrics (requests, BMC calls): one series is a few
//! atomic counters bumped without a lock; totals are taken at scrape time.

use std::fmt::Write;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::time::Duration;

/// Upper bounds of the latency buckets, in seconds.
pub const BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

/// One series' counters. Each bucket counts only the observations that fall in it (the last
/// one those over every bound); sums are taken at scrape time, so an observation is one
/// atomic add, not one per bucket.
#[derive(Debug, Default)]
pub struct Series {
    count: AtomicU64,
    nanos: AtomicU64,
    buckets: [AtomicU64; BUCKETS.len() + 1],
}

impl Series {
    /// Counts one observation.
    pub fn record(&self, took: Duration) {
        let secs = took.as_secs_f64();
        self.count.fetch_add(1, Relaxed);
        self.nanos
            .fetch_add(u64::try_from(took.as_nanos()).unwrap_or(u64::MAX), Relaxed);
        let i = BUCKETS.partition_point(|le| *le < secs);
        self.buckets[i].fetch_add(1, Relaxed);
    }
}

/// Series added up, with cumulative buckets as Prometheus wants them.
#[derive(Debug, Default, Clone)]
pub struct Totals {
    /// Observations.
    pub count: u64,
    /// Their sum, in seconds.
    pub sum: f64,
    /// Observations at or under each of [`BUCKETS`].
    pub buckets: Vec<u64>,
}

impl Totals {
    /// Adds a series' counters.
    pub fn add(&mut self, s: &Series) {
        self.count += s.count.load(Relaxed);
        self.sum += s.nanos.load(Relaxed) as f64 / 1e9;
        self.buckets.resize(BUCKETS.len(), 0);
        let mut below = 0;
        for (a, b) in self.buckets.iter_mut().zip(&s.buckets) {
            below += b.load(Relaxed);
            *a += below;
        }
    }

    /// Adds other totals.
    pub fn merge(&mut self, other: &Totals) {
        self.buckets.resize(BUCKETS.len(), 0);
        self.count += other.count;
        self.sum += other.sum;
        for (a, b) in self.buckets.iter_mut().zip(&other.buckets) {
            *a += b;
        }
    }

    /// Writes `{name}_bucket`, `{name}_sum` and `{name}_count` lines with `labels`
    /// (`a="b",c="d"`).
    pub fn write(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        for (i, le) in BUCKETS.iter().enumerate() {
            let b = self.buckets.get(i).copied().unwrap_or(0);
            let _ = writeln!(out, "{name}_bucket{{{labels}{sep}le=\"{le}\"}} {b}");
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count);
    }
}
