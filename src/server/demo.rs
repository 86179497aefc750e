//! The demo: a throw-away core over a temp data dir, with a simulated cluster's inventory
//! written through the API like any other writer's, and a simulated BMC for every slot, so
//! power works as on real hardware.

use std::net::SocketAddr;
use std::time::Duration;

use serde::Deserialize;

use super::config::ServeArgs;
use super::Server;
use crate::client::Client;
use crate::model::component::Component;
use crate::model::discovery::{Links, Manager, Nic, System};
use crate::model::enums::{Arch, Class, Role, State};
use crate::model::group::{Group, Members, Partition};
use crate::model::redfish::EndpointInput;
use crate::model::xname::Xname;
use crate::sim::{bmc_ip, Fleet, SimConfig};

/// Components per write while seeding, well under the bulk body limit.
const COMPONENT_CHUNK: usize = 2000;

/// Redfish endpoints per write while seeding (each carries its systems).
const ENDPOINT_CHUNK: usize = 250;

/// The demo cluster's description (`assets/demo-cluster.toml`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DemoCluster {
    layout: Layout,
    states: States,
    roles: Roles,
    hardware: Hardware,
    groups: Vec<GroupSpec>,
    partition: PartitionSpec,
    #[serde(default)]
    boot: Vec<crate::model::boot::BootParams>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Layout {
    first_cabinet: u32,
    chassis_per_cabinet: u32,
    slots_per_chassis: u32,
    nodes_per_slot: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct States {
    cycle: u32,
    #[serde(rename = "Off", default)]
    off: Vec<u32>,
    #[serde(rename = "Standby", default)]
    standby: Vec<u32>,
    #[serde(rename = "On", default)]
    on: Vec<u32>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Roles {
    management_first: u32,
    application_every: u32,
    arm_every: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct Hardware {
    manufacturer: String,
    x86_model: String,
    x86_cpu: String,
    arm_model: String,
    arm_cpu: String,
    cpus: i64,
    memory_gib: f64,
    big_memory_gib: f64,
    big_memory_every: u32,
    bmc_model: String,
    bmc_firmware: String,
    bmc_user: String,
    bmc_password: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupSpec {
    label: String,
    description: String,
    #[serde(default)]
    exclusive: String,
    role: Option<Role>,
    arch: Option<Arch>,
    nid_parity: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct PartitionSpec {
    name: String,
    description: String,
    share: f64,
}

/// Where node `i` sits: `(bmc xname, node number in its slot)`.
struct Place {
    bmc: String,
    node: u32,
}

impl DemoCluster {
    /// The description built into the binary.
    pub fn built_in() -> anyhow::Result<DemoCluster> {
        toml::from_str(include_str!("../../assets/demo-cluster.toml"))
            .map_err(|e| anyhow::anyhow!("assets/demo-cluster.toml: {e}"))
    }

    fn place(&self, i: u32) -> Place {
        let l = &self.layout;
        let per_slot = l.nodes_per_slot.max(1);
        let per_chassis = l.slots_per_chassis.max(1) * per_slot;
        let per_cabinet = l.chassis_per_cabinet.max(1) * per_chassis;
        let (cab, rest) = (l.first_cabinet + i / per_cabinet, i % per_cabinet);
        let (chassis, rest) = (rest / per_chassis, rest % per_chassis);
        Place {
            bmc: format!("x{cab}c{chassis}s{}b0", rest / per_slot),
            node: rest % per_slot,
        }
    }

    fn state(&self, i: u32) -> State {
        let s = &self.states;
        let k = i % s.cycle.max(1);
        if s.off.contains(&k) {
            State::Off
        } else if s.standby.contains(&k) {
            State::Standby
        } else if s.on.contains(&k) {
            State::On
        } else {
            State::Ready
        }
    }

    fn is_arm(&self, i: u32) -> bool {
        let every = self.roles.arm_every.max(1);
        i % every == every - 1
    }

    /// The components of an `nodes`-node cluster: nodes and their NodeBMCs.
    pub fn inventory(&self, nodes: u32) -> Vec<Component> {
        let mut out = Vec::with_capacity(nodes as usize * 3 / 2);
        for i in 0..nodes {
            let p = self.place(i);
            if p.node == 0 {
                if let Ok(id) = Xname::parse(&p.bmc) {
                    out.push(Component::new(id, State::Ready));
                }
            }
            let Ok(id) = Xname::parse(&format!("{}n{}", p.bmc, p.node)) else {
                continue;
            };
            let mut c = Component::new(id, self.state(i));
            c.role = Some(if i < self.roles.management_first {
                Role::Management
            } else if i % self.roles.application_every.max(1) == 5 {
                Role::Application
            } else {
                Role::Compute
            });
            c.arch = Some(if self.is_arm(i) { Arch::Arm } else { Arch::X86 });
            c.class = Some(Class::River);
            c.nid = Some(i as i64 + 1);
            out.push(c);
        }
        out
    }

    /// Redfish endpoints for the BMCs as magellan would describe them, so component
    /// endpoints, Ethernet interfaces and hardware exist for every node. Node i has MAC
    /// 02:00:00:xx:xx:xx and IP 10.100.x.y; BMC k is the simulated BMC at `bmc_ip(k)`.
    pub fn endpoints(&self, nodes: u32) -> Vec<EndpointInput> {
        let hw = &self.hardware;
        let mut by_bmc: Vec<(String, Vec<System>)> = Vec::new();
        for i in 0..nodes {
            let p = self.place(i);
            if by_bmc.last().is_none_or(|(b, _)| *b != p.bmc) {
                by_bmc.push((p.bmc.clone(), Vec::new()));
            }
            let b = i.to_be_bytes();
            let arm = self.is_arm(i);
            let every = hw.big_memory_every.max(1);
            let system = System {
                uri: format!("/redfish/v1/Systems/Node{}", p.node),
                uuid: format!("00000000-0000-4000-8000-{i:012x}"),
                name: format!("nid{:06}", i + 1),
                manufacturer: hw.manufacturer.clone(),
                model: if arm { &hw.arm_model } else { &hw.x86_model }.clone(),
                serial: format!("CX{i:07}"),
                bios_version: "1.4.2".into(),
                processor_count: Some(hw.cpus),
                processor_type: if arm { &hw.arm_cpu } else { &hw.x86_cpu }.clone(),
                memory_total: Some(if i % every == 0 {
                    hw.big_memory_gib
                } else {
                    hw.memory_gib
                }),
                ethernet_interfaces: vec![Nic {
                    uri: format!("/redfish/v1/Systems/Node{}/EthernetInterfaces/1", p.node),
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
                    chassis: vec![format!("/redfish/v1/Chassis/Node{}", p.node)],
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
            .map(|(k, (bmc, mut systems))| {
                // The power controls a walk of simulated BMC k would find.
                for s in &mut systems {
                    let id = s.uri.rsplit('/').next().unwrap_or_default().to_string();
                    let (url, entries, controls) = crate::sim::recorded_power(k as u32, &id);
                    s.power.power_url = url;
                    s.power.power_control = entries;
                    s.power.controls = controls;
                }
                (k, bmc, systems)
            })
            .map(|(k, bmc, systems)| EndpointInput {
                id: Some(bmc),
                fqdn: Some(bmc_ip(k as u32).to_string()),
                user: Some(hw.bmc_user.clone()),
                password: Some(hw.bmc_password.clone()),
                schema_version: Some(1),
                systems,
                managers: vec![Manager {
                    uri: "/redfish/v1/Managers/BMC".into(),
                    name: "BMC".into(),
                    model: hw.bmc_model.clone(),
                    firmware_version: hw.bmc_firmware.clone(),
                    actions: vec!["ForceRestart".into()],
                    ..Manager::default()
                }],
                ..EndpointInput::default()
            })
            .collect()
    }

    /// Starts the simulated BMCs of an `nodes`-node cluster (one per slot, answering on a
    /// free port), each system powered as its node's demo state says.
    pub async fn start_fleet(&self, nodes: u32, power_delay: Duration) -> anyhow::Result<Fleet> {
        let per_slot = self.layout.nodes_per_slot.max(1);
        let fleet = Fleet::start(SimConfig {
            bmcs: nodes.div_ceil(per_slot).max(1),
            nodes_per_bmc: per_slot,
            power_delay,
            user: self.hardware.bmc_user.clone(),
            password: self.hardware.bmc_password.clone(),
            port: 0,
            start_on: false,
        })
        .await?;
        for i in 0..nodes {
            let on = self.state(i) != State::Off;
            if let Some(bmc) = fleet.bmc(i / per_slot) {
                bmc.set_power(&format!("Node{}", i % per_slot), on);
            }
        }
        Ok(fleet)
    }

    /// The groups and the partition over `components`.
    pub fn groups(&self, components: &[Component]) -> (Vec<Group>, Partition) {
        let nodes: Vec<&Component> = components.iter().filter(|c| c.is_node()).collect();
        let groups = self
            .groups
            .iter()
            .map(|g| Group {
                label: g.label.clone(),
                description: g.description.clone(),
                tags: Vec::new(),
                exclusive_group: g.exclusive.clone(),
                members: Members {
                    ids: nodes
                        .iter()
                        .filter(|c| g.role.is_none_or(|r| c.role == Some(r)))
                        .filter(|c| g.arch.is_none_or(|a| c.arch == Some(a)))
                        .filter(|c| match g.nid_parity.as_deref() {
                            Some("even") => c.nid.is_some_and(|n| n % 2 == 0),
                            Some("odd") => c.nid.is_some_and(|n| n % 2 == 1),
                            _ => true,
                        })
                        .map(|c| c.id.clone())
                        .collect(),
                },
            })
            .collect();
        let share = self.partition.share.clamp(0.0, 1.0);
        let take = ((nodes.len() as f64 * share) as usize).max(1);
        let partition = Partition {
            name: self.partition.name.clone(),
            description: self.partition.description.clone(),
            tags: Vec::new(),
            members: Members {
                ids: nodes.iter().take(take).map(|c| c.id.clone()).collect(),
            },
        };
        (groups, partition)
    }
}

/// Seeds a core with the demo cluster through `client` (an admin's): components, Redfish
/// endpoints (with interfaces and hardware), groups, a partition and boot parameters.
pub async fn seed(client: &Client, nodes: u32) -> anyhow::Result<()> {
    let cluster = DemoCluster::built_in()?;
    let components = cluster.inventory(nodes);
    for chunk in components.chunks(COMPONENT_CHUNK) {
        client
            .create_components(chunk)
            .await
            .map_err(|e| anyhow::anyhow!("seeding the demo components: {e}"))?;
    }
    let endpoints = cluster.endpoints(nodes);
    for chunk in endpoints.chunks(ENDPOINT_CHUNK) {
        client
            .create_endpoints(chunk)
            .await
            .map_err(|e| anyhow::anyhow!("seeding the demo Redfish endpoints: {e}"))?;
    }
    let (groups, partition) = cluster.groups(&components);
    for g in &groups {
        client
            .create_group(g)
            .await
            .map_err(|e| anyhow::anyhow!("seeding the demo group {}: {e}", g.label))?;
    }
    client
        .create_partition(&partition)
        .await
        .map_err(|e| anyhow::anyhow!("seeding the demo partition: {e}"))?;
    for b in &cluster.boot {
        client
            .boot_write(&b.hosts, b, None, true)
            .await
            .map_err(|e| anyhow::anyhow!("seeding the demo boot parameters {:?}: {e}", b.hosts))?;
    }
    Ok(())
}

/// Points a core at the simulated fleet: its port, and its CA (written into `dir`).
pub fn with_fleet(
    serve: &mut ServeArgs,
    fleet: &Fleet,
    dir: &std::path::Path,
) -> anyhow::Result<()> {
    let ca = dir.join("sim-bmc-ca.pem");
    std::fs::write(&ca, fleet.ca_pem())
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", ca.display()))?;
    serve.redfish_ca_cert = Some(ca);
    serve.redfish_port = fleet.port;
    serve.power_poll_ms = 500;
    Ok(())
}

/// What a demo is made of; dropping it deletes the data dir.
pub struct Demo {
    /// The core.
    pub server: Server,
    /// The simulated BMCs.
    pub fleet: Fleet,
    /// An admin's client of the core.
    pub client: Client,
    /// That admin's token.
    pub token: String,
    /// The temporary data dir.
    pub dir: tempfile::TempDir,
}

/// How a demo starts.
pub struct DemoOptions {
    /// How many nodes.
    pub nodes: u32,
    /// Where the core listens.
    pub listen: SocketAddr,
    /// Where boot scripts are also served over plain HTTP.
    pub boot_http_listen: Option<SocketAddr>,
    /// How long a simulated BMC takes to show a power change.
    pub power_delay: Duration,
}

/// Starts the simulated fleet and a core over a temp data dir pointed at it, then seeds the
/// cluster through the API as `demo-admin`.
pub async fn start(opts: &DemoOptions) -> anyhow::Result<Demo> {
    let dir = tempfile::Builder::new().prefix("chami-demo-").tempdir()?;
    let fleet = DemoCluster::built_in()?
        .start_fleet(opts.nodes, opts.power_delay)
        .await?;
    let mut serve = ServeArgs::for_data_dir(dir.path().to_path_buf(), opts.listen);
    serve.boot_http_listen = opts.boot_http_listen;
    with_fleet(&mut serve, &fleet, dir.path())?;
    let server = super::start(&serve).await?;
    let token = super::local::admin_token(&server, "demo-admin")?;
    let client = super::local::client(&server, &token)?;
    if let Err(e) = seed(&client, opts.nodes).await {
        server.shutdown().await?;
        return Err(e);
    }
    Ok(Demo {
        server,
        fleet,
        client,
        token,
        dir,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_built_in_description_lays_out_cabinets_and_patterns() {
        let c = DemoCluster::built_in().expect("assets/demo-cluster.toml parses");
        let comps = c.inventory(130);
        let nodes: Vec<&Component> = comps.iter().filter(|c| c.is_node()).collect();
        assert_eq!(nodes.len(), 130);
        assert_eq!(comps.len(), 130 + 65, "one NodeBMC per two nodes");
        assert_eq!(nodes[0].id.as_str(), "x1000c0s0b0n0");
        assert_eq!(nodes[127].id.as_str(), "x1000c7s7b0n1");
        assert_eq!(
            nodes[128].id.as_str(),
            "x1001c0s0b0n0",
            "128 nodes per cabinet"
        );
        assert_eq!(nodes[0].state, Some(State::Off));
        assert_eq!(nodes[3].state, Some(State::Standby));
        assert_eq!(nodes[11].state, Some(State::On));
        assert_eq!(nodes[0].role, Some(Role::Management));
        assert_eq!(nodes[69].role, Some(Role::Application));
        assert_eq!(nodes[15].arch, Some(Arch::Arm));
        let (groups, p) = c.groups(&comps);
        let labels: Vec<&str> = groups.iter().map(|g| g.label.as_str()).collect();
        assert_eq!(labels, ["compute", "management", "arm", "batch", "debug"]);
        assert_eq!(p.members.ids.len(), 65);
        assert_eq!(c.endpoints(130).len(), 65);
        let boot: Vec<&str> = c.boot.iter().map(|b| b.hosts[0].as_str()).collect();
        assert_eq!(boot, ["Default", "arm", "Management", "Unknown-x86_64"]);
    }
}
