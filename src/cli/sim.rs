//! `chami sim`: a simulated BMC fleet on loopback, for discovery and power without hardware.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::sim::{bmc_ip, Faults, Fleet, SimConfig};

/// Options of `chami sim`.
#[derive(Debug, Args)]
pub struct SimArgs {
    /// How many BMCs (each on its own 127.10.x.y address).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub bmcs: u32,
    /// Systems (nodes) behind each BMC.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub nodes_per_bmc: u32,
    /// Port every BMC answers on (HTTPS).
    #[arg(long, default_value_t = 8443)]
    pub port: u16,
    /// Milliseconds a power change takes to show.
    #[arg(long, default_value_t = 2000)]
    pub power_delay_ms: u64,
    /// Basic-auth user.
    #[arg(long, default_value = "root")]
    pub user: String,
    /// Basic-auth password.
    #[arg(long, env = "CHAMI_SIM_PASSWORD", default_value = "sim-password")]
    pub password: String,
    /// Systems start powered on.
    #[arg(long)]
    pub on: bool,
    /// Where to write the fleet's CA certificate (PEM).
    #[arg(long, default_value = "chami-sim-ca.pem")]
    pub ca_out: PathBuf,
    /// A fault to inject, repeatable: `KIND[@BMCS]`, KIND one of hang, 500, reset,
    /// wrong-credentials, latency=MS, late-reset=MS (the reset is applied, answered MS later),
    /// busy-resets=N (the next N resets answered 503, not applied); BMCS indices such as
    /// `0-9,12` (every BMC without it).
    #[arg(long = "fault", value_name = "KIND[@BMCS]")]
    pub faults: Vec<String>,
}

/// The BMC indices of `0-9,12` below `bmcs`.
fn indices(spec: &str, bmcs: u32) -> Result<Vec<u32>, String> {
    let mut out = Vec::new();
    for part in spec.split(',') {
        let (a, b) = part.split_once('-').unwrap_or((part, part));
        let num = |v: &str| -> Result<u32, String> {
            v.trim()
                .parse()
                .map_err(|_| format!("'{part}' in '{spec}' is not a BMC index or range"))
        };
        let (a, b) = (num(a)?, num(b)?);
        if a > b || b >= bmcs {
            return Err(format!(
                "BMC range '{part}' is not within 0-{} (the fleet has {bmcs} BMCs)",
                bmcs - 1
            ));
        }
        out.extend(a..=b);
    }
    Ok(out)
}

/// The faults each BMC gets from `--fault` specs.
fn faults_of(specs: &[String], bmcs: u32) -> Result<Vec<(u32, Faults)>, String> {
    let mut by_bmc: std::collections::BTreeMap<u32, Faults> = Default::default();
    for spec in specs {
        let (kind, which) = match spec.split_once('@') {
            Some((k, w)) => (
                k,
                indices(w, bmcs).map_err(|e| format!("--fault {spec}: {e}"))?,
            ),
            None => (spec.as_str(), (0..bmcs).collect()),
        };
        for i in which {
            by_bmc
                .entry(i)
                .or_default()
                .add(kind)
                .map_err(|e| format!("--fault {spec}: {e}"))?;
        }
    }
    Ok(by_bmc.into_iter().collect())
}

/// Runs the fleet until ctrl-c.
pub async fn run(args: SimArgs) -> anyhow::Result<()> {
    let faults = faults_of(&args.faults, args.bmcs).map_err(anyhow::Error::msg)?;
    let fleet = Fleet::start(SimConfig {
        bmcs: args.bmcs,
        nodes_per_bmc: args.nodes_per_bmc,
        power_delay: Duration::from_millis(args.power_delay_ms),
        user: args.user.clone(),
        password: args.password.clone(),
        port: args.port,
        start_on: args.on,
    })
    .await?;
    for (i, f) in &faults {
        if let Some(b) = fleet.bmc(*i) {
            b.set_faults(f.clone());
        }
    }
    std::fs::write(&args.ca_out, fleet.ca_pem())
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", args.ca_out.display()))?;
    let last = bmc_ip(args.bmcs - 1);
    println!(
        "chami sim: {} BMCs x {} nodes, https://{}:{} .. https://{last}:{}",
        args.bmcs,
        args.nodes_per_bmc,
        bmc_ip(0),
        fleet.port,
        fleet.port
    );
    println!(
        "  user {} (password from --password / CHAMI_SIM_PASSWORD)",
        args.user
    );
    println!("  CA: {}", args.ca_out.display());
    println!(
        "  curl --cacert {} -u {}:$PASSWORD https://{}:{}/redfish/v1/Systems",
        args.ca_out.display(),
        args.user,
        bmc_ip(0),
        fleet.port
    );
    if !faults.is_empty() {
        println!(
            "  faults on {} BMC(s): {}",
            faults.len(),
            args.faults.join(" ")
        );
    }
    println!("Press ctrl-c to stop.");
    tokio::signal::ctrl_c().await?;
    drop(fleet);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fault_specs_pick_their_bmcs_and_refuse_what_they_cannot_read() {
        let got = faults_of(&["late-reset=3000@0-1".into(), "busy-resets=2@1".into()], 4).unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1.late_reset, Duration::from_secs(3));
        assert_eq!(got[1].1.busy_resets, 2);
        assert_eq!(got[1].1.late_reset, Duration::from_secs(3));
        assert_eq!(faults_of(&["hang".into()], 3).unwrap().len(), 3);
        for (bad, says) in [
            ("hang@4", "not within 0-3"),
            ("hang@2-1", "not within"),
            ("hang@x", "not a BMC index"),
            ("late-reset", "needs a value"),
            ("late-reset=soon", "not a whole number"),
            ("hang=1", "takes no value"),
            ("melt", "unknown fault 'melt'"),
        ] {
            let e = faults_of(&[bad.to_string()], 4).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
    }
}
