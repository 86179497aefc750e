//! `chami tenants list|show|create|delete|add|release`.

use clap::{Args, Subcommand};

use super::args::{Common, Named, SetMembers};
use super::connect::Connection;
use super::output::{self, Failure};

use crate::client::Client;
use crate::model::tenant::{kind_of_role, plan_join, Admins, TenantSpec};

/// `chami tenants ...`
#[derive(Debug, Subcommand)]
pub enum TenantsCommand {
    /// Every tenant.
    List(Common),
    /// One tenant in full (name or uuid).
    Show(Named),
    /// Make a tenant holding nodes (each in the resource of its Role: compute, application).
    Create(TenantCreate),
    /// Delete a tenant: its groups go and its nodes are released.
    Delete(Named),
    /// Add nodes to a tenant; the ones that cannot join are named with the reason.
    Add(SetMembers),
    /// Take nodes out of every tenant holding them.
    Release(super::args::Targets),
}

/// Options of `chami tenants create`.
#[derive(Debug, Args)]
pub struct TenantCreate {
    /// The tenant's name (a DNS label).
    pub name: String,
    /// Its nodes: xnames or hostlists (`-`: stdin).
    #[arg(required = true)]
    pub members: Vec<String>,
    /// Its resources enforce exclusive groups: a node held here joins no other such tenant.
    #[arg(long)]
    pub exclusive: bool,
    /// A subject (token `sub`) who administers it (repeatable).
    #[arg(long)]
    pub admin: Vec<String>,
    /// A group (token `groups` claim) whose members administer it (repeatable).
    #[arg(long)]
    pub admin_group: Vec<String>,
    #[command(flatten)]
    pub common: Common,
}

/// Runs `chami tenants ...`.
pub async fn tenants(cmd: TenantsCommand) -> Result<(), Failure> {
    let common = match &cmd {
        TenantsCommand::List(c) => c,
        TenantsCommand::Show(n) | TenantsCommand::Delete(n) => &n.common,
        TenantsCommand::Create(c) => &c.common,
        TenantsCommand::Add(m) => &m.common,
        TenantsCommand::Release(t) => &t.common,
    };
    let format = output::format_or_default(common.output);
    Connection::with(&common.connect, "cli", async |client| {
        tenants_on(client, &cmd, format).await
    })
    .await
}

const TENANT_COLUMNS: &[(&str, &str)] = &[
    ("TENANT", "metadata.name"),
    ("STATE", "spec.state"),
    ("VERSION", "metadata.resourceVersion"),
    ("UUID", "status.uuid"),
    ("NODES", "spec.tenantresources.xnames"),
    ("ADMINS", "spec.admins.subjects"),
];

/// (xname, Role) of each of `ids`, and the ones that are no component.
async fn roles(client: &Client, ids: &[String]) -> Result<RolesFound, Failure> {
    let found = client.components_named(ids).await?;
    let known: Vec<(String, String)> = found
        .iter()
        .map(|c| {
            let role = c.role.as_ref().map_or("", |r| r.as_str());
            (c.id.to_string(), role.to_string())
        })
        .collect();
    let missing = ids
        .iter()
        .filter(|i| !known.iter().any(|(x, _)| x == *i))
        .cloned()
        .collect();
    Ok((known, missing))
}

type RolesFound = (Vec<(String, String)>, Vec<String>);

async fn tenants_on(
    client: &Client,
    cmd: &TenantsCommand,
    format: output::Format,
) -> Result<(), Failure> {
    let show = async |name: &str| -> Result<(), Failure> {
        let v = client.tenant_row(name).await?;
        output::print(format, &[v], TENANT_COLUMNS, "metadata.name")
    };
    match cmd {
        TenantsCommand::List(_) => {
            let rows = client.tenant_rows().await?;
            output::print(format, &rows, TENANT_COLUMNS, "metadata.name")
        }
        TenantsCommand::Show(n) => show(&n.name).await,
        TenantsCommand::Create(c) => {
            let ids = output::targets(&c.members)?;
            let (nodes, missing) = roles(client, &ids).await?;
            let unfit: Vec<String> = nodes
                .iter()
                .filter(|(_, r)| kind_of_role(r).is_none())
                .map(|(x, r)| format!("{x} (Role {r:?})"))
                .collect();
            if !missing.is_empty() || !unfit.is_empty() {
                let mut why = Vec::new();
                if !missing.is_empty() {
                    why.push(format!("no such component: {}", missing.join(", ")));
                }
                if !unfit.is_empty() {
                    why.push(format!(
                        "a tenant holds Compute and Application nodes, not {}",
                        unfit.join(", ")
                    ));
                }
                return Err(Failure::Request(format!(
                    "tenant {} not created: {}",
                    c.name,
                    why.join("; ")
                )));
            }
            let empty = TenantSpec {
                tenantname: c.name.clone(),
                tenantresources: Vec::new(),
                admins: Admins {
                    subjects: c.admin.clone(),
                    groups: c.admin_group.clone(),
                },
                ..TenantSpec::default()
            };
            let mut spec = empty.with_nodes(&nodes);
            for r in &mut spec.tenantresources {
                r.enforceexclusivehsmgroups = c.exclusive;
            }
            client.tenant_put(&spec, None).await?;
            show(&c.name).await
        }
        TenantsCommand::Delete(n) => {
            output::out(&format!("{}\n", client.tenant_delete(&n.name).await?))
        }
        TenantsCommand::Add(m) => {
            let ids = output::targets(&m.members)?;
            let (nodes, missing) = roles(client, &ids).await?;
            let plan = plan_join(&client.tenants().await?, &m.name, &nodes);
            if plan.join.is_empty() && !plan.refused.is_empty() && missing.is_empty() {
                // Every node refused for the same reason (an unknown tenant): one error.
                let first = &plan.refused[0].1;
                if plan.refused.iter().all(|(_, why)| why == first) {
                    return Err(Failure::Request(first.clone()));
                }
            }
            if !plan.join.is_empty() {
                client.tenant_join(&m.name, &plan.join).await?;
            }
            show(&m.name).await?;
            for x in &missing {
                eprintln!("chami: {x}: no such component");
            }
            for (x, why) in &plan.refused {
                eprintln!("chami: {x}: {why}");
            }
            if missing.is_empty() && plan.refused.is_empty() {
                Ok(())
            } else {
                Err(Failure::Partial)
            }
        }
        TenantsCommand::Release(t) => {
            let ids = output::targets(&t.targets)?;
            let mut failed = false;
            for (name, r) in client.tenant_release(&ids).await? {
                match r {
                    Ok(()) => output::out(&format!("{name}\n"))?,
                    Err(e) => {
                        eprintln!("chami: tenant {name}: {e}");
                        failed = true;
                    }
                }
            }
            if failed {
                return Err(Failure::Partial);
            }
            Ok(())
        }
    }
}
