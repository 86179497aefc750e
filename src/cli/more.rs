//! `chami audit`, `chami tenants list|show|create|delete|add|release`,
//! `chami groups|partitions list|show|create|delete|add|remove`,
//! `chami boot get|set|edit|script|history|restore`.

use clap::{Args, Subcommand};
use serde_json::json;

use super::connect::Connection;
use super::nodes::Common;
use super::output::{self, Failure};
use crate::client::{Client, ClientError};
use crate::model::boot::BootData;
use crate::model::tenant::{kind_of_role, plan_join, Admins, TenantSpec};
use crate::model::xname::Xname;

/// Options of `chami audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Who made the request (the token's subject).
    #[arg(long)]
    pub subject: Option<String>,
    /// The tenant it acted for.
    #[arg(long = "for-tenant")]
    pub for_tenant: Option<String>,
    /// HTTP method.
    #[arg(long)]
    pub method: Option<String>,
    /// Path prefix.
    #[arg(long)]
    pub path: Option<String>,
    /// An xname the request named.
    #[arg(long)]
    pub xname: Option<String>,
    /// ok, denied or failed.
    #[arg(long)]
    pub outcome: Option<String>,
    /// At or after (RFC 3339).
    #[arg(long)]
    pub since: Option<String>,
    /// The newest this many.
    #[arg(long, default_value_t = 100)]
    pub last: u32,
    #[command(flatten)]
    pub common: Common,
}

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
    Release(super::nodes::Targets),
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

/// A name plus the common options.
#[derive(Debug, Args)]
pub struct Named {
    /// The name.
    pub name: String,
    #[command(flatten)]
    pub common: Common,
}

/// `chami groups ...` and `chami partitions ...`
#[derive(Debug, Subcommand)]
pub enum SetsCommand {
    /// Every one.
    List(Common),
    /// One, with its members.
    Show(Named),
    /// Make a new one, with members if given.
    Create(SetCreate),
    /// Delete one (its members stay in inventory).
    Delete(Named),
    /// Add members (xnames or hostlists; `-`: stdin).
    Add(SetMembers),
    /// Remove members (xnames or hostlists; `-`: stdin).
    Remove(SetMembers),
}

/// Options of `chami groups|partitions create`.
#[derive(Debug, Args)]
pub struct SetCreate {
    /// The label (group) or name (partition).
    pub name: String,
    /// Its first members: xnames or hostlists (`-`: stdin).
    pub members: Vec<String>,
    /// Free text.
    #[arg(long)]
    pub description: Option<String>,
    /// A tag (repeatable).
    #[arg(long)]
    pub tag: Vec<String>,
    /// Groups only: the exclusive group it belongs to (a node is in at most one of those).
    #[arg(long)]
    pub exclusive: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

/// A group or partition and the members to add or remove.
#[derive(Debug, Args)]
pub struct SetMembers {
    /// The label (group) or name (partition).
    pub name: String,
    /// Xnames or hostlists; `-` reads them from stdin.
    #[arg(required = true)]
    pub members: Vec<String>,
    #[command(flatten)]
    pub common: Common,
}

/// `chami boot ...`
#[derive(Debug, Subcommand)]
pub enum BootCommand {
    /// The boot parameters a node boots from (its own, a group's, its role's or Default).
    Get(Named),
    /// Set kernel, initrd and params for hosts (xnames, hostlists, Default, a role or group).
    Set(BootSet),
    /// Edit an entry (an xname, Default, a role or a group) in $VISUAL or $EDITOR; written
    /// only if nobody changed it meanwhile.
    Edit(Named),
    /// The iPXE script a node gets.
    Script(Named),
    /// Changes to an entry (or all), newest first.
    History(BootHistory),
    /// Bring back a version from the history as a new version.
    Restore(BootRestore),
}

/// Options of `chami boot set`.
#[derive(Debug, Args)]
pub struct BootSet {
    /// Hosts: xnames, hostlists, `Default`, a role or a group label (`-`: stdin).
    #[arg(required = true)]
    pub hosts: Vec<String>,
    /// Kernel URL.
    #[arg(long)]
    pub kernel: Option<String>,
    /// Initrd URL.
    #[arg(long)]
    pub initrd: Option<String>,
    /// Kernel command line.
    #[arg(long)]
    pub params: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

/// Options of `chami boot history`.
#[derive(Debug, Args)]
pub struct BootHistory {
    /// The entry (a node xname, Default, a role or a group); all when absent.
    pub name: Option<String>,
    /// At most this many.
    #[arg(long, default_value_t = 20)]
    pub limit: u32,
    #[command(flatten)]
    pub common: Common,
}

/// Options of `chami boot restore`.
#[derive(Debug, Args)]
pub struct BootRestore {
    /// The entry.
    pub name: String,
    /// The version to bring back.
    pub version: u64,
    #[command(flatten)]
    pub common: Common,
}

/// Runs `chami audit`.
pub async fn audit(a: AuditArgs) -> Result<(), Failure> {
    let mut q = form_urlencoded::Serializer::new(String::new());
    q.append_pair("order", "desc")
        .append_pair("limit", &a.last.to_string());
    for (k, v) in [
        ("subject", &a.subject),
        ("tenant", &a.for_tenant),
        ("method", &a.method),
        ("path", &a.path),
        ("xname", &a.xname),
        ("outcome", &a.outcome),
        ("since", &a.since),
    ] {
        if let Some(v) = v {
            q.append_pair(k, v);
        }
    }
    Connection::with(&a.common.connect, "cli", async |client| {
        let mut rows = client.audit_rows(&q.finish()).await?;
        rows.reverse();
        let cols = [
            ("TIME", "time"),
            ("WHO", "subject"),
            ("TENANT", "tenant"),
            ("METHOD", "method"),
            ("PATH", "path"),
            ("STATUS", "status"),
            ("XNAMES", "xnames"),
            ("DETAIL", "detail"),
        ];
        output::print(
            output::format_or_default(a.common.output),
            &rows,
            &cols,
            "id",
        )
    })
    .await
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

/// Runs `chami groups ...` (`partitions` false) or `chami partitions ...`.
pub async fn sets(cmd: SetsCommand, partitions: bool) -> Result<(), Failure> {
    let common = match &cmd {
        SetsCommand::List(c) => c,
        SetsCommand::Show(n) | SetsCommand::Delete(n) => &n.common,
        SetsCommand::Create(c) => &c.common,
        SetsCommand::Add(m) | SetsCommand::Remove(m) => &m.common,
    };
    if partitions {
        if let SetsCommand::Create(SetCreate {
            exclusive: Some(_), ..
        }) = &cmd
        {
            return Err(Failure::Usage(
                "--exclusive is for groups; partitions are exclusive already".into(),
            ));
        }
    }
    let format = output::format_or_default(common.output);
    Connection::with(&common.connect, "cli", async |client| {
        sets_on(client, &cmd, partitions, format).await
    })
    .await
}

async fn sets_on(
    client: &Client,
    cmd: &SetsCommand,
    partitions: bool,
    format: output::Format,
) -> Result<(), Failure> {
    let key = if partitions { "name" } else { "label" };
    let cols = [
        (if partitions { "PARTITION" } else { "GROUP" }, key),
        ("DESCRIPTION", "description"),
        ("EXCLUSIVE", "exclusiveGroup"),
        ("TAGS", "tags"),
        ("MEMBERS", "members.ids"),
    ];
    let one = async |name: &str| -> Result<(), Failure> {
        let v = client.set_row(partitions, name).await?;
        output::print(format, &[v], &cols, key)
    };
    match cmd {
        SetsCommand::List(_) => {
            let rows = client.set_rows(partitions).await?;
            output::print(format, &rows, &cols, key)
        }
        SetsCommand::Show(n) => one(&n.name).await,
        SetsCommand::Create(c) => {
            let ids = if c.members.is_empty() {
                Vec::new()
            } else {
                output::targets(&c.members)?
            };
            let mut body = json!({ key: c.name, "tags": c.tag, "members": { "ids": ids } });
            if let Some(d) = &c.description {
                body["description"] = json!(d);
            }
            if let Some(e) = &c.exclusive {
                body["exclusiveGroup"] = json!(e);
            }
            client.set_create(partitions, &body).await?;
            one(&c.name).await
        }
        SetsCommand::Delete(n) => {
            client.set_delete(partitions, &n.name).await?;
            output::out(&format!("{}\n", n.name))
        }
        SetsCommand::Add(m) | SetsCommand::Remove(m) => {
            let ids = output::targets(&m.members)?;
            // Fail on an unknown group before naming every member as failed.
            client.set_row(partitions, &m.name).await?;
            let add = matches!(cmd, SetsCommand::Add(_));
            let mut failed = false;
            for (id, r) in client.change_members(partitions, &m.name, add, &ids).await {
                if let Err(e) = r {
                    eprintln!("chami: {id}: {e}");
                    failed = true;
                }
            }
            one(&m.name).await?;
            if failed {
                return Err(Failure::Partial);
            }
            Ok(())
        }
    }
}

/// Runs `chami boot ...`.
pub async fn boot(cmd: BootCommand) -> Result<(), Failure> {
    let common = match &cmd {
        BootCommand::Get(n) | BootCommand::Script(n) | BootCommand::Edit(n) => &n.common,
        BootCommand::Set(s) => &s.common,
        BootCommand::History(h) => &h.common,
        BootCommand::Restore(r) => &r.common,
    };
    let format = output::format_or_default(common.output);
    Connection::with(&common.connect, "cli", async |c| {
        boot_on(c, &cmd, format).await
    })
    .await
}

const PARAMS: &[(&str, &str)] = &[
    ("HOSTS", "hosts"),
    ("SOURCE", "source"),
    ("KERNEL", "kernel"),
    ("INITRD", "initrd"),
    ("PARAMS", "params"),
];

async fn boot_on(
    client: &Client,
    cmd: &BootCommand,
    format: output::Format,
) -> Result<(), Failure> {
    match cmd {
        BootCommand::Get(n) => {
            let v = client.boot_effective_row(&n.name).await?;
            output::print(format, &[v], PARAMS, "source")
        }
        BootCommand::Script(n) => {
            let text = client.boot_script(&n.name).await?;
            output::out(&text)
        }
        BootCommand::Set(s) => {
            // Names that are not xnames (Default, roles, groups) go as they are.
            let mut hosts = Vec::new();
            for h in &s.hosts {
                if h == "-" || h.starts_with(['x', 'X']) {
                    hosts.extend(output::targets(std::slice::from_ref(h))?);
                } else {
                    hosts.push(h.clone());
                }
            }
            let mut body = json!({ "hosts": hosts });
            for (k, v) in [
                ("kernel", &s.kernel),
                ("initrd", &s.initrd),
                ("params", &s.params),
            ] {
                if let Some(v) = v {
                    body[k] = json!(v);
                }
            }
            if body.as_object().is_some_and(|o| o.len() == 1) {
                return Err(Failure::Usage(
                    "nothing to set: give --kernel, --initrd or --params".into(),
                ));
            }
            client.boot_patch(&body).await?;
            let rows = client.boot_rows(&hosts).await?;
            output::print(format, &rows, PARAMS, "hosts")
        }
        BootCommand::Edit(n) => edit(client, &n.name, format).await,
        BootCommand::History(h) => {
            let rows = client.boot_history_rows(h.name.as_deref(), h.limit).await?;
            let cols = [
                ("NAME", "name"),
                ("VERSION", "version"),
                ("OP", "op"),
                ("TIME", "time"),
                ("BY", "by"),
                ("KERNEL", "data.kernel"),
                ("PARAMS", "data.params"),
            ];
            output::print(format, &rows, &cols, "version")
        }
        BootCommand::Restore(r) => {
            let rows = client.boot_restore(&r.name, r.version).await?;
            output::print(format, &rows, PARAMS, "hosts")
        }
    }
}

/// `chami boot edit`: the entry as YAML in the operator's editor, then a write with
/// `If-Match`. Text that cannot be written (invalid, or the entry changed meanwhile) is kept
/// in a file named in the error.
async fn edit(client: &Client, name: &str, format: output::Format) -> Result<(), Failure> {
    let name = match Xname::parse(name) {
        Ok(x) => x.to_string(),
        Err(_) => name.to_string(),
    };
    let names = [name.clone()];
    let base = client.boot_base(&names).await?;
    let before = crate::edit::to_text(&BootData::of(&base.params));
    let from = if base.existing > 0 {
        "its own entry".to_string()
    } else {
        format!("no entry of its own yet: {}", base.source)
    };
    let header = format!(
        "# Boot parameters of {name} ({from}).\n\
         # Save and quit to write them; an empty file writes nothing.\n"
    );
    let after = crate::edit::external(&format!("{header}{before}"))
        .await
        .map_err(Failure::Request)?;
    if after
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        eprintln!("chami: the file was empty; nothing was written");
        return Ok(());
    }
    let edited = match crate::edit::parse(&after, &base.params) {
        Ok(p) => p,
        Err(problem) => {
            return Err(kept(
                &after,
                format!("{name}: {}", crate::edit::at_line(&problem)),
            ))
        }
    };
    if crate::edit::parse(&before, &base.params).is_ok_and(|b| b == edited) {
        eprintln!("chami: {name}: no change; nothing was written");
        return Ok(());
    }
    let written = client
        .boot_write(&names, &edited, base.etag.as_deref(), base.existing == 0)
        .await;
    match written {
        Ok(()) => {}
        Err(ClientError::Api {
            status: 409 | 412, ..
        }) => {
            return Err(kept(
                &after,
                format!(
                    "{name} was changed by someone else since it was read; nothing was written"
                ),
            ))
        }
        Err(e) => return Err(kept(&after, format!("{name}: {e}"))),
    }
    let rows = client.boot_rows(std::slice::from_ref(&name)).await?;
    output::print(format, &rows, PARAMS, "hosts")
}

/// A failure naming `why` and a file that keeps the operator's `text`.
fn kept(text: &str, why: String) -> Failure {
    let saved = tempfile::Builder::new()
        .prefix("chami-boot-")
        .suffix(".yaml")
        .tempfile()
        .and_then(|f| {
            std::fs::write(f.path(), text)?;
            f.keep().map_err(|e| e.error)
        });
    match saved {
        Ok((_, path)) => {
            Failure::Request(format!("{why}; your text is kept in {}", path.display()))
        }
        Err(e) => Failure::Request(format!("{why}; your text could not be kept: {e}")),
    }
}
