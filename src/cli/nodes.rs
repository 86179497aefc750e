//! `chami nodes list|show|set-state|enable|disable`: components over the API.

use clap::{Args, Subcommand};
use serde_json::Value;

use super::args::{Common, Targets};
use super::connect::{ConnectArgs, Connection};
use super::output::{self, Failure};
use crate::client::Client;

/// `chami nodes ...`
#[derive(Debug, Subcommand)]
pub enum NodesCommand {
    /// List components (nodes unless --type says otherwise), with SMD's filters.
    List(ListArgs),
    /// Show components in full.
    Show(Targets),
    /// Set the State (and Flag) of components.
    SetState(SetStateArgs),
    /// Enable components.
    Enable(Targets),
    /// Disable components.
    Disable(Targets),
}

/// Options of `chami nodes list`.
#[derive(Debug, Args)]
pub struct ListArgs {
    /// State (Off, On, Ready, Standby, ...; repeatable).
    #[arg(long)]
    pub state: Vec<String>,
    /// Role (Compute, Application, Management, ...; repeatable).
    #[arg(long)]
    pub role: Vec<String>,
    /// HMS type (Node, NodeBMC, ...; `all` for any); Node by default.
    #[arg(long = "type", default_value = "Node")]
    pub kind: String,
    /// Member of this group.
    #[arg(long)]
    pub group: Option<String>,
    /// Member of this partition.
    #[arg(long)]
    pub partition: Option<String>,
    /// Only these xnames or hostlists.
    #[arg(long)]
    pub id: Vec<String>,
    #[command(flatten)]
    pub common: Common,
}

/// Options of `chami nodes set-state`.
#[derive(Debug, Args)]
pub struct SetStateArgs {
    /// The new State.
    pub state: String,
    /// Xnames or hostlists; `-` reads them from stdin.
    #[arg(required = true)]
    pub targets: Vec<String>,
    /// The new Flag (OK, Warning, Alert, Locked).
    #[arg(long)]
    pub flag: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

const COLUMNS: &[(&str, &str)] = &[
    ("ID", "ID"),
    ("TYPE", "Type"),
    ("STATE", "State"),
    ("FLAG", "Flag"),
    ("ENABLED", "Enabled"),
    ("ROLE", "Role"),
    ("SUBROLE", "SubRole"),
    ("NID", "NID"),
    ("ARCH", "Arch"),
];

/// `key=value` pairs as a query string.
async fn list(client: &Client, a: &ListArgs) -> Result<Vec<Value>, Failure> {
    let mut pairs: Vec<(&str, String)> = Vec::new();
    if !a.kind.eq_ignore_ascii_case("all") {
        pairs.push(("type", a.kind.clone()));
    }
    pairs.extend(a.state.iter().map(|s| ("state", s.clone())));
    pairs.extend(a.role.iter().map(|s| ("role", s.clone())));
    if let Some(g) = &a.group {
        pairs.push(("group", g.clone()));
    }
    if let Some(p) = &a.partition {
        pairs.push(("partition", p.clone()));
    }
    if !a.id.is_empty() {
        for x in output::expand_words(&a.id)? {
            pairs.push(("id", x));
        }
    }
    Ok(client.component_rows(&pairs).await?)
}

async fn run_on(client: &Client, cmd: &NodesCommand) -> Result<(), Failure> {
    match cmd {
        NodesCommand::List(a) => {
            let rows = list(client, a).await?;
            output::print(
                output::format_or_default(a.common.output),
                &rows,
                COLUMNS,
                "ID",
            )
        }
        NodesCommand::Show(t) => {
            let ids = output::targets(&t.targets)?;
            show(client, &ids, &t.common).await
        }
        NodesCommand::SetState(a) => {
            let ids = output::targets(&a.targets)?;
            client.set_state(&ids, &a.state, a.flag.as_deref()).await?;
            show(client, &ids, &a.common).await
        }
        NodesCommand::Enable(t) | NodesCommand::Disable(t) => {
            let ids = output::targets(&t.targets)?;
            let on = matches!(cmd, NodesCommand::Enable(_));
            client.set_enabled(&ids, on).await?;
            show(client, &ids, &t.common).await
        }
    }
}

/// Prints the components `ids` as they are now; those that do not exist are named on stderr
/// (exit 3).
async fn show(client: &Client, ids: &[String], common: &Common) -> Result<(), Failure> {
    let rows = client.component_rows_named(ids).await?;
    output::print_found(rows, ids, common.output, COLUMNS, "no such component")
}

fn connect_of(cmd: &NodesCommand) -> &ConnectArgs {
    match cmd {
        NodesCommand::List(a) => &a.common.connect,
        NodesCommand::Show(t) | NodesCommand::Enable(t) | NodesCommand::Disable(t) => {
            &t.common.connect
        }
        NodesCommand::SetState(a) => &a.common.connect,
    }
}

/// Runs a `chami nodes` verb.
pub async fn run(cmd: NodesCommand) -> Result<(), Failure> {
    Connection::with(connect_of(&cmd), "cli", async |c| run_on(c, &cmd).await).await
}
