//! `chami demo`: a throw-away core over a temp data dir with a simulated cluster's inventory.

use std::net::SocketAddr;
use std::time::Duration;

use clap::Args;

use crate::config::ServeArgs;
use crate::model::component::Component;
use crate::model::enums::{Arch, Class, Role, State};
use crate::model::xname::Xname;
use crate::server;
use crate::service::auth;
use crate::service::issuer::MintRequest;

/// Options of `chami demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// How many nodes the simulated cluster has.
    #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub nodes: u32,
    /// Address to listen on (port 0 picks a free one).
    #[arg(long, default_value = "127.0.0.1:0")]
    pub listen: SocketAddr,
}

/// The demo cluster's components: cabinets of 8 chassis x 8 slots x 2 nodes, each slot with
/// its NodeBMC; states and roles vary the way a real machine room's do.
pub fn demo_inventory(nodes: u32) -> Vec<Component> {
    let mut out = Vec::with_capacity(nodes as usize * 3 / 2);
    for i in 0..nodes {
        let (cab, rest) = (1000 + i / 128, i % 128);
        let (chassis, slot, node) = (rest / 16, (rest % 16) / 2, rest % 2);
        let bmc = format!("x{cab}c{chassis}s{slot}b0");
        if node == 0 {
            if let Ok(id) = Xname::parse(&bmc) {
                out.push(Component::new(id, State::Ready));
            }
        }
        let Ok(id) = Xname::parse(&format!("{bmc}n{node}")) else {
            continue;
        };
        // A fixed pattern, not random: the same demo every time.
        let state = match i % 23 {
            0 | 7 => State::Off,
            3 => State::Standby,
            11 => State::On,
            _ => State::Ready,
        };
        let mut c = Component::new(id, state);
        c.role = Some(if i < 4 {
            Role::Management
        } else if i % 64 == 5 {
            Role::Application
        } else {
            Role::Compute
        });
        c.arch = Some(if i % 16 == 15 { Arch::Arm } else { Arch::X86 });
        c.class = Some(Class::River);
        c.nid = Some(i as i64 + 1);
        out.push(c);
    }
    out
}

/// Runs the demo core until ctrl-c.
pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let dir = tempfile::Builder::new().prefix("chami-demo-").tempdir()?;
    let serve = ServeArgs::for_data_dir(dir.path().to_path_buf(), args.listen);
    let server = server::start(&serve).await?;
    server
        .core
        .inventory
        .upsert(demo_inventory(args.nodes), false)
        .await
        .map_err(|e| anyhow::anyhow!("seeding the demo inventory: {e}"))?;
    let token = server.issuer.mint(&MintRequest {
        subject: "demo-admin".into(),
        roles: vec![auth::Role::Admin],
        tenant: None,
        ttl: Duration::from_secs(12 * 3600),
    })?;
    let url = server.url();
    let ca = server.ca.clone().unwrap_or_default();
    println!("chami demo: {} nodes at {url}", args.nodes);
    println!("  data dir (deleted on exit): {}", dir.path().display());
    println!();
    println!("  export CHAMI_CA={}", ca.display());
    println!("  export CHAMI_TOKEN={token}");
    println!("  curl --cacert $CHAMI_CA -H \"Authorization: Bearer $CHAMI_TOKEN\" \\");
    println!("       '{url}/hsm/v2/State/Components?type=Node&state=Off'");
    println!("  curl --cacert $CHAMI_CA -H \"Authorization: Bearer $CHAMI_TOKEN\" \\");
    println!("       '{url}/hsm/v2/State/Components?id=x1000c0s[0-3]b0n[0-1]&stateonly=true'");
    println!();
    println!("Press ctrl-c to stop.");
    server.run_until_signal().await
}
