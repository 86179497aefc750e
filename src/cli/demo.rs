//! `chami demo`: the console over a simulated cluster (see [`crate::server::demo`]), or,
//! headless, the core alone with the commands to reach it.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;

use crate::server::demo::{self, DemoOptions};

/// Options of `chami demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// How many nodes the simulated cluster has.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub nodes: u32,
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
    /// No console: print how to reach the core with curl and wait for ctrl-c.
    #[arg(long)]
    pub headless: bool,
    /// Also serve boot scripts over plain HTTP here (as `chami serve --boot-http-listen`).
    #[arg(long)]
    pub boot_http_listen: Option<SocketAddr>,
    /// Milliseconds a simulated BMC takes to show a power change.
    #[arg(long, default_value_t = 2000)]
    pub power_delay_ms: u64,
    #[command(flatten)]
    pub look: crate::cli::console::LookArgs,
}

/// Runs the console over a demo core (or, headless, the core alone until ctrl-c).
pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let opts = crate::cli::console::options(&args.look)?;
    let demo::Demo {
        server,
        fleet,
        client,
        token,
        dir,
    } = demo::start(&DemoOptions {
        nodes: args.nodes,
        listen: args.listen,
        boot_http_listen: args.boot_http_listen,
        power_delay: Duration::from_millis(args.power_delay_ms),
    })
    .await?;
    if !args.headless {
        let result = crate::tui::run(client, opts).await;
        server.shutdown().await?;
        drop((fleet, dir));
        return result;
    }
    let url = server.url();
    let ca = server.ca.clone().unwrap_or_default();
    println!(
        "chami demo: {} nodes at {url}, simulated BMCs on port {}",
        args.nodes, fleet.port
    );
    println!("  data dir (deleted on exit): {}", dir.path().display());
    println!();
    // The variables the CLI reads, so `chami nodes list` works in that shell as curl does.
    println!("  export CHAMI_SERVER={url}");
    println!("  export CHAMI_CA_CERT={}", ca.display());
    println!("  export CHAMI_TOKEN={token}");
    println!("  chami nodes list --state Off");
    println!("  chami power status 'x1000c0s0b0n[0-1]'");
    println!("  curl --cacert $CHAMI_CA_CERT -H \"Authorization: Bearer $CHAMI_TOKEN\" \\");
    println!("       '{url}/hsm/v2/State/Components?id=x1000c0s[0-3]b0n[0-1]&stateonly=true'");
    println!("  curl --cacert $CHAMI_CA_CERT -H \"Authorization: Bearer $CHAMI_TOKEN\" \\");
    println!("       '{url}/hsm/v2/memberships?group=debug&partition=p1'");
    println!("  curl --cacert $CHAMI_CA_CERT '{url}/boot/v1/bootscript?mac=02:00:00:00:00:10'");
    if let Some(addr) = server.boot_addr {
        println!("  curl 'http://{addr}/boot/v1/bootscript?mac=02:00:00:00:00:10'");
    }
    println!();
    println!("Press ctrl-c to stop.");
    server.run_until_signal().await
}
