//! Component API at scale, over HTTPS against an in-process core on loopback:
//! bulk POST of 100,000 components, GET of all of them, and a hostlist-filtered GET of 1,024.
//!
//! Run: `cargo bench --bench components` (prints a table; figures go in bench/RESULTS.md).

use std::time::{Duration, Instant};

use chami::server::config::ServeArgs;
use chami::service::auth::Role;
use chami::service::issuer::MintRequest;
use serde_json::{json, Value};

const NODES: usize = 100_000;
const ROUNDS: usize = 7;

fn inventory() -> Value {
    // Cabinets of 8 chassis x 8 slots x 2 nodes, as the demo lays them out.
    let comps: Vec<Value> = (0..NODES)
        .map(|i| {
            let (cab, rest) = (1000 + i / 128, i % 128);
            let id = format!("x{cab}c{}s{}b0n{}", rest / 16, (rest % 16) / 2, rest % 2);
            json!({"ID": id, "State": if i % 10 == 0 { "Off" } else { "Ready" }, "NID": i + 1, "Arch": "X86"})
        })
        .collect();
    json!({"Components": comps})
}

/// Resident and peak resident memory of this process (server and client together), in MiB.
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

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn main() -> anyhow::Result<()> {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async {
        let dir = tempfile::tempdir()?;
        let mut args = ServeArgs::for_data_dir(dir.path().to_path_buf(), "127.0.0.1:0".parse()?);
        // 100,000 components in one POST are about 20 MiB: a bulk load raises --max-body.
        args.max_body = 64 << 20;
        let server = chami::server::start(&args).await?;
        let ca = std::fs::read(server.ca.clone().expect("generated CA"))?;
        // Asks for gzip, as the console's client does; `plain` does not.
        let client = reqwest::Client::builder()
            .use_rustls_tls()
            .add_root_certificate(reqwest::Certificate::from_pem(&ca)?)
            .build()?;
        let plain = reqwest::Client::builder()
            .use_rustls_tls()
            .no_gzip()
            .add_root_certificate(reqwest::Certificate::from_pem(&ca)?)
            .build()?;
        let token = server.issuer.mint(&MintRequest {
            subject: "bench".into(),
            roles: vec![Role::Admin],
            tenant: None,
            ttl: Duration::from_secs(3600),
        })?;
        let url = server.url();
        let body = serde_json::to_vec(&inventory())?;

        let t0 = Instant::now();
        let resp = client
            .post(format!("{url}/hsm/v2/State/Components"))
            .bearer_auth(&token)
            .header("content-type", "application/json")
            .body(body.clone())
            .send()
            .await?;
        let ingest = t0.elapsed();
        anyhow::ensure!(
            resp.status() == 204,
            "ingest failed: {}",
            resp.text().await?
        );

        let timed = |client: &reqwest::Client, path: String, expect: usize| {
            let client = client.clone();
            let token = token.clone();
            async move {
                let mut times = Vec::new();
                for _ in 0..ROUNDS {
                    let t = Instant::now();
                    let resp = client.get(&path).bearer_auth(&token).send().await?;
                    let bytes = resp.bytes().await?;
                    times.push(t.elapsed());
                    let v: Value = serde_json::from_slice(&bytes)?;
                    let n = v["Components"].as_array().map_or(0, Vec::len);
                    anyhow::ensure!(n == expect, "{path}: got {n} components, expected {expect}");
                }
                anyhow::Ok(median(times))
            }
        };
        let all = timed(&client, format!("{url}/hsm/v2/State/Components"), NODES).await?;
        let all_plain = timed(&plain, format!("{url}/hsm/v2/State/Components"), NODES).await?;
        let some = timed(
            &client,
            format!("{url}/hsm/v2/State/Components?id=x[1000-1007]c[0-7]s[0-7]b0n[0-1]"),
            1024,
        )
        .await?;
        let off = timed(
            &client,
            format!("{url}/hsm/v2/State/Components?state=Off"),
            NODES / 10,
        )
        .await?;

        // Writes after the ingest: one node at a time, and a bulk change of 10,000.
        let mut singles = Vec::new();
        for i in 0..ROUNDS * 10 {
            let t = Instant::now();
            let resp = client
                .patch(format!(
                    "{url}/hsm/v2/State/Components/x1000c0s{}b0n0/FlagOnly",
                    i % 8
                ))
                .bearer_auth(&token)
                .json(&json!({"Flag": if i % 2 == 0 { "Warning" } else { "OK" }}))
                .send()
                .await?;
            singles.push(t.elapsed());
            anyhow::ensure!(
                resp.status() == 204,
                "single PATCH failed: {}",
                resp.status()
            );
        }
        let single = median(singles);
        let ids: Vec<String> = (0..10_000)
            .map(|i| {
                let (cab, rest) = (1000 + i / 128, i % 128);
                format!("x{cab}c{}s{}b0n{}", rest / 16, (rest % 16) / 2, rest % 2)
            })
            .collect();
        let t = Instant::now();
        let resp = client
            .patch(format!("{url}/hsm/v2/State/Components/BulkStateData"))
            .bearer_auth(&token)
            .json(&json!({"ComponentIDs": ids, "State": "Off"}))
            .send()
            .await?;
        let bulk = t.elapsed();
        anyhow::ensure!(
            resp.status() == 204,
            "bulk PATCH failed: {}",
            resp.text().await?
        );

        let (rss, peak) = memory_mib();
        println!("| operation | result |");
        println!("|---|---|");
        println!(
            "| bulk POST {NODES} components ({} MB body) | {:.2} s |",
            body.len() / 1_000_000,
            ingest.as_secs_f64()
        );
        println!(
            "| GET all {NODES}, gzip asked (median of {ROUNDS}) | {:.0} ms |",
            all.as_secs_f64() * 1e3
        );
        println!(
            "| GET all {NODES}, no gzip (median of {ROUNDS}) | {:.0} ms |",
            all_plain.as_secs_f64() * 1e3
        );
        println!(
            "| GET hostlist-filtered 1,024 (median of {ROUNDS}) | {:.1} ms |",
            some.as_secs_f64() * 1e3
        );
        println!(
            "| GET state=Off, 10,000 (median of {ROUNDS}) | {:.0} ms |",
            off.as_secs_f64() * 1e3
        );
        println!(
            "| PATCH FlagOnly of one component (median of {}) | {:.1} ms |",
            ROUNDS * 10,
            single.as_secs_f64() * 1e3
        );
        println!(
            "| PATCH BulkStateData of 10,000 components | {:.0} ms |",
            bulk.as_secs_f64() * 1e3
        );
        println!(
            "| resident memory after the reads (server + client) | {rss} MiB (peak {peak} MiB) |"
        );
        server.shutdown().await?;
        let t = Instant::now();
        let server = chami::server::start(&args).await?;
        println!(
            "| restart with {NODES} components stored (load the cache) | {:.2} s |",
            t.elapsed().as_secs_f64()
        );
        server.shutdown().await?;
        anyhow::Ok(())
    })
}
