//! `chami groups|partitions list|show|create|delete|add|remove`.

use clap::{Args, Subcommand};
use serde_json::json;

use super::args::{Common, Named, SetMembers};
use super::connect::Connection;
use super::output::{self, Failure};
use crate::client::Client;

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
