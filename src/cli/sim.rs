//! `chami sim`: a simulated BMC fleet on loopback, for discovery and power without hardware.

use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use crate::redfish::sim::{bmc_ip, Fleet, SimConfig};

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
}

/// Runs the fleet until ctrl-c.
pub async fn run(args: SimArgs) -> anyhow::Result<()> {
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
    println!("Press ctrl-c to stop.");
    tokio::signal::ctrl_c().await?;
    drop(fleet);
    Ok(())
}
