//! Bulk power: Hard-Restart of N simulated nodes (two per BMC) with a fixed BMC latency, against
//! the bound N x calls-per-node x latency / concurrency, and the process's peak memory; then a
//! power-cap snapshot and a patch of every node, with the same latency.
//!
//! Run: `cargo bench --bench power [-- NODES LATENCY_MS CONCURRENCY]` (default 10000 50 256).
//! Server, engine and simulated fleet share this process; figures go in bench/RESULTS.md.

use std::time::{Duration, Instant};

use chami::model::power::{Location, TransitionCreate, TransitionStatus};
use chami::model::redfish::EndpointInput;
use chami::server::config::ServeArgs;
use chami::sim::{bmc_ip, Faults, Fleet, SimConfig};

fn memory_mib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<u64>().ok())
            .map_or(0, |kb| kb / 1024)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// CPU seconds (user + system) this process has used, from /proc/self/stat.
fn cpu_seconds() -> f64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command name (which ends with ')'): utime and stime are the 12th and 13th.
    let rest = stat.rsplit_once(')').map_or("", |(_, r)| r);
    let f: Vec<f64> = rest
        .split_whitespace()
        .skip(11)
        .take(2)
        .filter_map(|v| v.parse().ok())
        .collect();
    f.iter().sum::<f64>() / 100.0
}

/// Waits for a power-cap task to complete (at most 30 minutes).
async fn cap_done(
    core: &chami::service::Core,
    id: &str,
    scope: &chami::service::scope::Scope,
) -> anyhow::Result<chami::model::power_cap::CapTask> {
    let start = Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(200)).await;
        let list = core
            .power
            .cap_tasks(scope)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let done = list.iter().any(|t| {
            t.task_id == id && t.task_status == chami::model::power_cap::CapTaskStatus::Completed
        });
        if done {
            return core
                .power
                .cap_task(id, scope)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"));
        }
        anyhow::ensure!(
            start.elapsed() < Duration::from_secs(1800),
            "took over 30 minutes"
        );
    }
}

fn bmc_xname(b: u32) -> String {
    format!("x{}c{}s{}b0", 1000 + b / 64, (b % 64) / 8, b % 8)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let num = |i: usize, d: u64| args.get(i).and_then(|v| v.parse().ok()).unwrap_or(d);
    let nodes = num(0, 10_000) as u32;
    let latency = Duration::from_millis(num(1, 50));
    let concurrency = num(2, 256) as usize;
    let bmcs = nodes.div_ceil(2);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let fleet = Fleet::start(SimConfig {
            bmcs,
            nodes_per_bmc: 2,
            power_delay: Duration::ZERO,
            start_on: true,
            ..SimConfig::default()
        })
        .await?;
        let dir = tempfile::tempdir()?;
        let ca = dir.path().join("sim-ca.pem");
        std::fs::write(&ca, fleet.ca_pem())?;
        let mut serve = ServeArgs::for_data_dir(dir.path().join("data"), "127.0.0.1:0".parse()?);
        serve.redfish_ca_cert = Some(ca);
        serve.redfish_port = fleet.port;
        serve.redfish_timeout = 30;
        serve.power_concurrency = concurrency as u64;
        serve.power_poll_ms = 50;
        let server = chami::server::start(&serve).await?;
        let core = &server.core;
        let (user, pass) = fleet.credentials();
        let inputs: Vec<EndpointInput> = (0..bmcs)
            .map(|b| EndpointInput {
                id: Some(bmc_xname(b)),
                fqdn: Some(bmc_ip(b).to_string()),
                user: Some(user.into()),
                password: Some(pass.into()),
                ..EndpointInput::default()
            })
            .collect();
        for chunk in inputs.chunks(1000) {
            core.endpoints.create(chunk.to_vec()).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        }
        let t0 = Instant::now();
        let targets = core.discovery.targets(&[]).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let results = core.discovery.run(targets).await;
        let failed: Vec<_> = results.iter().filter(|r| r.1 != "DiscoverOK").collect();
        anyhow::ensure!(
            failed.is_empty(),
            "{} BMCs failed discovery, e.g. {:?}",
            failed.len(),
            failed.first()
        );
        println!("discovered {bmcs} BMCs / {nodes} nodes in {:.1} s (no latency)", t0.elapsed().as_secs_f64());

        for b in fleet.bmcs() {
            b.set_faults(Faults { latency, ..Faults::default() });
        }
        let requests_before: u64 = fleet.bmcs().iter().map(|b| b.requests()).sum();
        let location: Vec<Location> = (0..bmcs)
            .flat_map(|b| (0..2).map(move |n| format!("{}n{n}", bmc_xname(b))))
            .take(nodes as usize)
            .map(|x| Location { xname: x, deputy_key: None })
            .collect();
        let body = TransitionCreate {
            operation: "Hard-Restart".into(),
            task_deadline_minutes: Some(5),
            location,
        };
        let cpu0 = cpu_seconds();
        let start = Instant::now();
        let (t, _) = core.power.create(&body, "bench", false).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let done = loop {
            tokio::time::sleep(Duration::from_millis(200)).await;
            // The list carries no tasks, so watching costs the run little.
            let list = core.power.list().await.map_err(|e| anyhow::anyhow!("{e}"))?;
            if list.iter().any(|x| x.id == t.id && x.status == TransitionStatus::Completed) {
                break core.power.get(&t.id).await.map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            anyhow::ensure!(start.elapsed() < Duration::from_secs(1800), "took over 30 minutes");
        };
        let took = start.elapsed();
        let cpu = cpu_seconds() - cpu0;
        let calls: u64 = fleet.bmcs().iter().map(|b| b.requests()).sum::<u64>() - requests_before;
        let per_node = calls as f64 / f64::from(nodes);
        // One call in flight per BMC, so the bound uses min(concurrency, BMCs) lanes.
        let lanes = concurrency.min(bmcs as usize) as f64;
        let bound = f64::from(nodes) * per_node * latency.as_secs_f64() / lanes;
        let (rss, peak) = memory_mib();
        println!(
            "Hard-Restart of {nodes} nodes ({bmcs} BMCs, {} ms latency, concurrency {concurrency}): {:.1} s",
            latency.as_millis(),
            took.as_secs_f64()
        );
        println!(
            "  tasks: {} succeeded, {} failed; {calls} BMC requests ({per_node:.2} per node)",
            done.counts.succeeded, done.counts.failed
        );
        println!(
            "  bound N x calls/node x latency / concurrency = {bound:.1} s; ratio {:.2}",
            took.as_secs_f64() / bound
        );
        println!(
            "  CPU: {cpu:.1} s over {:.1} s wall ({:.0}% of one core)",
            took.as_secs_f64(),
            100.0 * cpu / took.as_secs_f64()
        );
        println!("  memory: RSS {rss} MiB, peak {peak} MiB (core, engine and fleet in one process)");

        // Power capping: every node read, then every node set to 500 W.
        let xnames: Vec<String> = (0..bmcs)
            .flat_map(|b| (0..2).map(move |n| format!("{}n{n}", bmc_xname(b))))
            .take(nodes as usize)
            .collect();
        let scope = chami::service::scope::Scope::All;
        let snap = chami::model::power_cap::SnapshotRequest { xnames: xnames.clone() };
        let start = Instant::now();
        let id = core.power.cap_snapshot(&snap, &scope).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let snapshot = cap_done(core, &id, &scope).await?;
        println!(
            "power-cap snapshot of {nodes} nodes: {:.1} s ({} succeeded)",
            start.elapsed().as_secs_f64(),
            snapshot.task_counts.succeeded
        );
        let components = (0..bmcs)
            .flat_map(|b| (0..2).map(move |n| (b, n)))
            .take(nodes as usize)
            .map(|(b, n)| chami::model::power_cap::ComponentParam {
                xname: format!("{}n{n}", bmc_xname(b)),
                // Even BMCs name their control as PowerControl does, odd ones as Controls.
                controls: vec![chami::model::power_cap::ControlParam {
                    name: if b % 2 == 0 { "Node Power Control" } else { "Node Power Limit" }.into(),
                    value: 500,
                }],
            })
            .collect();
        let patch = chami::model::power_cap::PatchRequest { components };
        let start = Instant::now();
        let id = core.power.cap_patch(&patch, &scope).await.map_err(|e| anyhow::anyhow!("{e}"))?;
        let patched = cap_done(core, &id, &scope).await?;
        println!(
            "power-cap patch of {nodes} nodes: {:.1} s ({} succeeded)",
            start.elapsed().as_secs_f64(),
            patched.task_counts.succeeded
        );
        server.shutdown().await?;
        Ok(())
    })
}
