//! `chami boot get|set|edit|script|history|restore`.

use clap::{Args, Subcommand};
use serde_json::json;

use super::args::{Common, Named};
use super::connect::Connection;
use super::output::{self, Failure};
use crate::client::{Client, ClientError};
use crate::model::boot::BootData;
use crate::model::xname::Xname;

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
        Err(ClientError::Api { status: 412, .. }) => {
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
