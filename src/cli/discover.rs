//! `chami discover [BMC...]`: walk registered Redfish endpoints into inventory, wait for the
//! run to end, and print each endpoint's outcome. BMCs are named by xname or by the FQDN or
//! address they were registered with; none names every enabled endpoint.

use std::collections::BTreeMap;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use clap::{Args, ValueEnum};
use serde::Serialize;

use super::connect::{ConnectArgs, Connection};
use crate::client::Client;
use crate::model::redfish::RedfishEndpoint;
use crate::model::xname::Xname;

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Output {
    /// Aligned columns.
    Table,
    /// A JSON array.
    Json,
    /// A YAML list.
    Yaml,
}

/// Options of `chami discover`.
#[derive(Debug, Args)]
pub struct DiscoverArgs {
    /// BMCs to discover: endpoint xnames, or the FQDN/address they were registered with
    /// (`POST /hsm/v2/Inventory/RedfishEndpoints`). None: every enabled endpoint.
    pub bmcs: Vec<String>,
    /// Start even if a discovery is already running.
    #[arg(long)]
    pub force: bool,
    /// Longest wait for the run to end, in seconds.
    #[arg(long, default_value_t = 600)]
    pub timeout: u64,
    /// Output format.
    #[arg(short = 'o', long, value_enum, default_value = "table")]
    pub output: Output,
    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// One endpoint's outcome.
#[derive(Debug, Serialize)]
struct Outcome {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "FQDN")]
    fqdn: String,
    #[serde(rename = "LastDiscoveryStatus")]
    status: String,
    #[serde(rename = "Error", skip_serializing_if = "String::is_empty")]
    error: String,
}

/// Endpoint xnames for the names given; an unknown name is an error naming it.
fn resolve(names: &[String], endpoints: &[RedfishEndpoint]) -> anyhow::Result<Vec<String>> {
    let mut ids = Vec::new();
    let mut unknown = Vec::new();
    for name in names {
        let by_id = Xname::parse(name)
            .ok()
            .and_then(|x| endpoints.iter().find(|e| e.id == x));
        let found = by_id.or_else(|| {
            endpoints
                .iter()
                .find(|e| e.fqdn.eq_ignore_ascii_case(name.trim()))
        });
        match found {
            Some(e) => ids.push(e.id.to_string()),
            None => unknown.push(name.as_str()),
        }
    }
    if !unknown.is_empty() {
        anyhow::bail!(
            "no Redfish endpoint has the xname or FQDN {}; register BMCs first \
             (POST /hsm/v2/Inventory/RedfishEndpoints with ID, FQDN, User, Password)",
            unknown.join(", ")
        );
    }
    Ok(ids)
}

async fn discover(client: &Client, args: &DiscoverArgs) -> anyhow::Result<Vec<Outcome>> {
    let endpoints = client.endpoints().await?;
    let ids = resolve(&args.bmcs, &endpoints)?;
    client.discover_forced(&ids, args.force).await?;
    let start = Instant::now();
    let status = loop {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let s = client.discovery_status().await?;
        if s["Status"] == "Complete" {
            break s;
        }
        if start.elapsed() > Duration::from_secs(args.timeout) {
            anyhow::bail!(
                "discovery still running after {} s; see /hsm/v2/Inventory/DiscoveryStatus/0",
                args.timeout
            );
        }
    };
    let fqdn: BTreeMap<String, String> = endpoints
        .iter()
        .map(|e| (e.id.to_string(), e.fqdn.clone()))
        .collect();
    let details = status["Details"].as_object().cloned().unwrap_or_default();
    let mut out: Vec<Outcome> = details
        .iter()
        .map(|(id, d)| Outcome {
            id: id.clone(),
            fqdn: fqdn.get(id).cloned().unwrap_or_default(),
            status: d["LastDiscoveryStatus"].as_str().unwrap_or("").to_string(),
            error: d["Error"].as_str().unwrap_or("").to_string(),
        })
        .collect();
    out.sort_by(|a, b| match (Xname::parse(&a.id), Xname::parse(&b.id)) {
        (Ok(x), Ok(y)) => x.cmp(&y),
        _ => a.id.cmp(&b.id),
    });
    Ok(out)
}

fn table(rows: &[Outcome]) -> String {
    let head = ["ID", "FQDN", "STATUS", "ERROR"];
    let cells: Vec<[&str; 4]> = rows
        .iter()
        .map(|r| [r.id.as_str(), &r.fqdn, &r.status, &r.error])
        .collect();
    let mut width = head.map(str::len);
    for c in &cells {
        for (w, v) in width.iter_mut().zip(c) {
            *w = (*w).max(v.len());
        }
    }
    let line = |c: [&str; 4]| {
        let text = format!(
            "{:w0$}  {:w1$}  {:w2$}  {}",
            c[0],
            c[1],
            c[2],
            c[3],
            w0 = width[0],
            w1 = width[1],
            w2 = width[2]
        );
        text.trim_end().to_string()
    };
    let mut s = line(head);
    for c in cells {
        s.push('\n');
        s.push_str(&line(c));
    }
    s.push('\n');
    s
}

/// Runs `chami discover`: 0 when every endpoint was discovered, 3 when some were not (they are
/// named on stderr), 1 when the request failed.
pub async fn run(args: DiscoverArgs) -> anyhow::Result<ExitCode> {
    let rows = Connection::with(&args.connect, "discover", async |c| {
        discover(c, &args).await
    })
    .await?;
    crate::cli::output::out_or_closed(&match args.output {
        Output::Table => table(&rows),
        Output::Json => serde_json::to_string_pretty(&rows)? + "\n",
        Output::Yaml => serde_yaml::to_string(&rows)?,
    })?;
    let failed: Vec<&Outcome> = rows.iter().filter(|r| r.status != "DiscoverOK").collect();
    if failed.is_empty() {
        return Ok(ExitCode::SUCCESS);
    }
    for f in &failed {
        eprintln!("chami: {} ({}): {} {}", f.id, f.fqdn, f.status, f.error);
    }
    eprintln!(
        "chami: {} of {} endpoints were not discovered",
        failed.len(),
        rows.len()
    );
    Ok(ExitCode::from(3))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ep(id: &str, fqdn: &str) -> RedfishEndpoint {
        serde_json::from_value(
            serde_json::json!({"ID": id, "Type": "NodeBMC", "FQDN": fqdn, "Enabled": true}),
        )
        .expect("an endpoint")
    }

    #[test]
    fn names_resolve_by_xname_or_fqdn_and_unknown_ones_are_named() {
        let eps = [
            ep("x3000c0s0b0", "127.10.0.1"),
            ep("x3000c0s1b0", "bmc1.local"),
        ];
        assert_eq!(
            resolve(&["BMC1.local".into(), "x3000c0s0b0".into()], &eps).unwrap(),
            ["x3000c0s1b0", "x3000c0s0b0"]
        );
        let err = resolve(&["10.9.9.9".into(), "x9c0s0b0".into()], &eps)
            .unwrap_err()
            .to_string();
        assert!(err.contains("10.9.9.9, x9c0s0b0"), "{err}");
    }

    #[test]
    fn table_aligns_columns_and_drops_trailing_space() {
        let rows = [
            Outcome {
                id: "x3000c0s0b0".into(),
                fqdn: "127.10.0.1".into(),
                status: "DiscoverOK".into(),
                error: String::new(),
            },
            Outcome {
                id: "x3000c0s10b0".into(),
                fqdn: "h".into(),
                status: "HTTPsGetFailed".into(),
                error: "timeout".into(),
            },
        ];
        assert_eq!(
            table(&rows),
            "ID            FQDN        STATUS          ERROR\n\
             x3000c0s0b0   127.10.0.1  DiscoverOK\n\
             x3000c0s10b0  h           HTTPsGetFailed  timeout\n"
        );
    }
}
