//! `chami demo`: a throw-away core over a temp data dir with a simulated cluster's inventory.

use std::net::SocketAddr;

use clap::Args;

use crate::config::ServeArgs;
use crate::model::component::Component;
use crate::model::discovery::{Links, Manager, Nic, System};
use crate::model::enums::{Arch, Class, Role, State};
use crate::model::group::{Group, Members, Partition};
use crate::model::redfish::EndpointInput;
use crate::model::xname::Xname;
use crate::server;
use crate::service::Core;

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
    #[command(flatten)]
    pub look: crate::cli::console::LookArgs,
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

/// Redfish endpoints for the demo's BMCs as magellan would describe them, so component
/// endpoints, Ethernet interfaces and hardware exist for every node. MACs and IPs follow the
/// node index: node i has MAC 02:00:00:xx:xx:xx and IP 10.100.x.y.
pub fn demo_endpoints(nodes: u32) -> Vec<EndpointInput> {
    let mut by_bmc: Vec<(String, Vec<System>)> = Vec::new();
    for i in 0..nodes {
        let (cab, rest) = (1000 + i / 128, i % 128);
        let (chassis, slot) = (rest / 16, (rest % 16) / 2);
        let bmc = format!("x{cab}c{chassis}s{slot}b0");
        if by_bmc.last().is_none_or(|(b, _)| *b != bmc) {
            by_bmc.push((bmc.clone(), Vec::new()));
        }
        let b = i.to_be_bytes();
        let system = System {
            uri: format!("/redfish/v1/Systems/Node{}", i % 2),
            uuid: format!("00000000-0000-4000-8000-{i:012x}"),
            name: format!("nid{:06}", i + 1),
            manufacturer: "Contoso".into(),
            model: if i % 16 == 15 { "CX-ARM2" } else { "CX-3500" }.into(),
            serial: format!("CX{i:07}"),
            bios_version: "1.4.2".into(),
            processor_count: Some(2),
            processor_type: if i % 16 == 15 {
                "Neoverse V2"
            } else {
                "Xeon 6960P"
            }
            .into(),
            memory_total: Some(if i % 8 == 0 { 1024.0 } else { 512.0 }),
            ethernet_interfaces: vec![Nic {
                uri: format!("/redfish/v1/Systems/Node{}/EthernetInterfaces/1", i % 2),
                mac: format!("02:00:00:{:02x}:{:02x}:{:02x}", b[1], b[2], b[3]),
                ip: format!("10.100.{}.{}", (i / 250) % 256, i % 250 + 1),
                name: "HSN0".into(),
                ..Nic::default()
            }],
            actions: [
                "On",
                "ForceOff",
                "GracefulShutdown",
                "GracefulRestart",
                "ForceRestart",
            ]
            .map(String::from)
            .to_vec(),
            links: Links {
                chassis: vec![format!("/redfish/v1/Chassis/Node{}", i % 2)],
                managers: vec!["/redfish/v1/Managers/BMC".into()],
            },
            ..System::default()
        };
        if let Some((_, systems)) = by_bmc.last_mut() {
            systems.push(system);
        }
    }
    by_bmc
        .into_iter()
        .enumerate()
        .map(|(k, (bmc, systems))| EndpointInput {
            id: Some(bmc),
            fqdn: Some(format!("10.254.{}.{}", k / 250, k % 250 + 1)),
            user: Some("root".into()),
            password: Some("demo-password".into()),
            schema_version: Some(1),
            systems,
            managers: vec![Manager {
                uri: "/redfish/v1/Managers/BMC".into(),
                name: "BMC".into(),
                model: "Contoso BMC 2".into(),
                firmware_version: "2.18".into(),
                actions: vec!["ForceRestart".into()],
                ..Manager::default()
            }],
            ..EndpointInput::default()
        })
        .collect()
}

/// Groups and a partition over the demo nodes: roles as groups, an exclusive pair of
/// scheduler queues, and the first half of the machine in partition p1.
pub fn demo_groups(nodes: &[Component]) -> (Vec<Group>, Partition) {
    let ids = |keep: &dyn Fn(&Component) -> bool| Members {
        ids: nodes
            .iter()
            .filter(|c| c.is_node() && keep(c))
            .map(|c| c.id.clone())
            .collect(),
    };
    let group = |label: &str, description: &str, exclusive: &str, members: Members| Group {
        label: label.into(),
        description: description.into(),
        tags: Vec::new(),
        exclusive_group: exclusive.into(),
        members,
    };
    let half = nodes.iter().filter(|c| c.is_node()).count() / 2;
    let first_half: Vec<Xname> = nodes
        .iter()
        .filter(|c| c.is_node())
        .take(half.max(1))
        .map(|c| c.id.clone())
        .collect();
    (
        vec![
            group(
                "compute",
                "compute nodes",
                "",
                ids(&|c| c.role == Some(Role::Compute)),
            ),
            group(
                "management",
                "management nodes",
                "",
                ids(&|c| c.role == Some(Role::Management)),
            ),
            group("arm", "Arm nodes", "", ids(&|c| c.arch == Some(Arch::Arm))),
            group(
                "batch",
                "batch queue",
                "queues",
                ids(&|c| c.role == Some(Role::Compute) && c.nid.is_some_and(|n| n % 2 == 0)),
            ),
            group(
                "debug",
                "debug queue",
                "queues",
                ids(&|c| c.role == Some(Role::Compute) && c.nid.is_some_and(|n| n % 2 == 1)),
            ),
        ],
        Partition {
            name: "p1".into(),
            description: "first half of the machine".into(),
            tags: Vec::new(),
            members: Members { ids: first_half },
        },
    )
}

/// Seeds a core with the demo cluster: components, Redfish endpoints (with interfaces and
/// hardware), groups and a partition.
pub async fn seed(core: &Core, nodes: u32) -> anyhow::Result<()> {
    let components = demo_inventory(nodes);
    core.inventory
        .upsert(components.clone(), false)
        .await
        .map_err(|e| anyhow::anyhow!("seeding the demo components: {e}"))?;
    let endpoints = demo_endpoints(nodes);
    for chunk in endpoints.chunks(500) {
        core.endpoints
            .create(chunk.to_vec())
            .await
            .map_err(|e| anyhow::anyhow!("seeding the demo Redfish endpoints: {e}"))?;
    }
    let (groups, partition) = demo_groups(&components);
    for g in groups {
        core.groups
            .create(g)
            .await
            .map_err(|e| anyhow::anyhow!("seeding the demo groups: {e}"))?;
    }
    core.groups
        .create_partition(partition)
        .await
        .map_err(|e| anyhow::anyhow!("seeding the demo partition: {e}"))?;
    Ok(())
}

/// Runs the console over a demo core (or, headless, the core alone until ctrl-c).
pub async fn run(args: DemoArgs) -> anyhow::Result<()> {
    let opts = crate::cli::console::options(&args.look)?;
    let dir = tempfile::Builder::new().prefix("chami-demo-").tempdir()?;
    let serve = ServeArgs::for_data_dir(dir.path().to_path_buf(), args.listen);
    let server = server::start(&serve).await?;
    seed(&server.core, args.nodes).await?;
    let token = crate::cli::console::local_admin_token(&server, "demo-admin")?;
    if !args.headless {
        let client = crate::cli::console::local_client(&server, &token)?;
        let result = crate::tui::run(client, opts).await;
        server.shutdown().await?;
        return result;
    }
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
    println!("  curl --cacert $CHAMI_CA -H \"Authorization: Bearer $CHAMI_TOKEN\" \\");
    println!("       '{url}/hsm/v2/memberships?group=debug&partition=p1'");
    println!();
    println!("Press ctrl-c to stop.");
    server.run_until_signal().await
}
