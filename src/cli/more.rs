//! `chami audit`, `chami tenants list|show`, `chami groups|partitions list|show`,
//! `chami boot get|set|script|history|restore`.

use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::connect::Connection;
use super::nodes::Common;
use super::output::{self, Failure};
use crate::client::{enc, Client};

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
}

/// `chami boot ...`
#[derive(Debug, Subcommand)]
pub enum BootCommand {
    /// The boot parameters a node boots from (its own, a group's, its role's or Default).
    Get(Named),
    /// Set kernel, initrd and params for hosts (xnames, hostlists, Default, a role or group).
    Set(BootSet),
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
        let mut rows: Vec<Value> = client.get(&format!("/audit?{}", q.finish())).await?;
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
    let (common, name) = match &cmd {
        TenantsCommand::List(c) => (c, None),
        TenantsCommand::Show(n) => (&n.common, Some(n.name.clone())),
    };
    Connection::with(&common.connect, "cli", async |client| {
        let rows: Vec<Value> = match &name {
            None => client.get("/apis/tapms/v1alpha3/tenants").await?,
            Some(n) => vec![
                client
                    .get(&format!("/apis/tapms/v1alpha3/tenants/{}", enc(n)))
                    .await?,
            ],
        };
        let cols = [
            ("TENANT", "metadata.name"),
            ("STATE", "spec.state"),
            ("VERSION", "metadata.resourceVersion"),
            ("UUID", "status.uuid"),
            ("ADMINS", "spec.admins.subjects"),
        ];
        output::print(
            output::format_or_default(common.output),
            &rows,
            &cols,
            "metadata.name",
        )
    })
    .await
}

/// Runs `chami groups ...` (`partitions` false) or `chami partitions ...`.
pub async fn sets(cmd: SetsCommand, partitions: bool) -> Result<(), Failure> {
    let base = if partitions {
        "/hsm/v2/partitions"
    } else {
        "/hsm/v2/groups"
    };
    let key = if partitions { "name" } else { "label" };
    let (common, name) = match &cmd {
        SetsCommand::List(c) => (c, None),
        SetsCommand::Show(n) => (&n.common, Some(n.name.clone())),
    };
    Connection::with(&common.connect, "cli", async |client| {
        let rows: Vec<Value> = match &name {
            None => client.get(base).await?,
            Some(n) => vec![client.get(&format!("{base}/{}", enc(n))).await?],
        };
        let cols = [
            (if partitions { "PARTITION" } else { "GROUP" }, key),
            ("DESCRIPTION", "description"),
            ("EXCLUSIVE", "exclusiveGroup"),
            ("TAGS", "tags"),
            ("MEMBERS", "members.ids"),
        ];
        output::print(output::format_or_default(common.output), &rows, &cols, key)
    })
    .await
}

/// Runs `chami boot ...`.
pub async fn boot(cmd: BootCommand) -> Result<(), Failure> {
    let common = match &cmd {
        BootCommand::Get(n) | BootCommand::Script(n) => &n.common,
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
            let v: Value = client
                .get(&format!(
                    "/boot/v1/bootparameters/effective?name={}",
                    enc(&n.name)
                ))
                .await?;
            output::print(format, &[v], PARAMS, "source")
        }
        BootCommand::Script(n) => {
            let text = client
                .text(&format!("/boot/v1/bootscript?name={}", enc(&n.name)))
                .await?;
            print!("{text}");
            Ok(())
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
            client
                .patch_or_create("/boot/v1/bootparameters", &body)
                .await?;
            let rows: Vec<Value> = client
                .get(&format!(
                    "/boot/v1/bootparameters?name={}",
                    enc(&hosts.join(","))
                ))
                .await?;
            output::print(format, &rows, PARAMS, "hosts")
        }
        BootCommand::History(h) => {
            let mut path = format!("/boot/v1/bootparameters/history?limit={}", h.limit);
            if let Some(n) = &h.name {
                path.push_str(&format!("&name={}", enc(n)));
            }
            let rows: Vec<Value> = client.get(&path).await?;
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
            let rows: Vec<Value> = client
                .post(
                    "/boot/v1/bootparameters/restore",
                    &json!({"name": r.name, "version": r.version}),
                )
                .await?;
            output::print(format, &rows, PARAMS, "hosts")
        }
    }
}
