//! `chami endpoints list|show|add|delete`: the BMCs the core talks to.

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use super::args::{Common, Targets};
use super::connect::{ConnectArgs, Connection};
use super::output::{self, delete_each, Failure};
use crate::client::Client;

/// `chami endpoints ...`
#[derive(Debug, Subcommand)]
pub enum EndpointsCommand {
    /// Every endpoint, with SMD's filters.
    List(EndpointList),
    /// Endpoints in full (xnames or hostlists; `-`: stdin).
    Show(Targets),
    /// Register a BMC; `chami discover` then reads it.
    Add(EndpointAdd),
    /// Forget endpoints (their components stay).
    Delete(Targets),
}

/// Options of `chami endpoints list`.
#[derive(Debug, Args)]
pub struct EndpointList {
    /// HMS type (NodeBMC, ChassisBMC, RouterBMC, ...).
    #[arg(long = "type")]
    pub kind: Option<String>,
    /// Host name or address the BMC answers on.
    #[arg(long)]
    pub fqdn: Option<String>,
    /// Last discovery status (DiscoverOK, HTTPsGetFailed, ...).
    #[arg(long)]
    pub status: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

/// Options of `chami endpoints add`.
#[derive(Debug, Args)]
pub struct EndpointAdd {
    /// The BMC's xname (`x1000c0s0b0`).
    pub xname: String,
    /// Where its Redfish service answers: a host name or an IP address.
    #[arg(long)]
    pub fqdn: String,
    /// The BMC user.
    #[arg(long)]
    pub user: String,
    /// A file holding the BMC password (its first line); else $CHAMI_BMC_PASSWORD.
    #[arg(long)]
    pub password_file: Option<PathBuf>,
    /// The BMC's MAC address.
    #[arg(long)]
    pub mac: Option<String>,
    /// Register it disabled: the core does not talk to it until enabled.
    #[arg(long)]
    pub disabled: bool,
    #[command(flatten)]
    pub common: Common,
}

const ENDPOINT_COLUMNS: &[(&str, &str)] = &[
    ("ID", "ID"),
    ("TYPE", "Type"),
    ("FQDN", "FQDN"),
    ("ENABLED", "Enabled"),
    ("USER", "User"),
    ("MAC", "MACAddr"),
    ("STATUS", "DiscoveryInfo.LastDiscoveryStatus"),
];

/// The BMC password from the file (its first line) or the environment. An empty one is refused:
/// it is far likelier a wrong file or an unset variable than a BMC without a password.
fn password(file: Option<&PathBuf>) -> Result<String, Failure> {
    let (password, from) = match file {
        Some(p) => {
            let text = std::fs::read_to_string(p).map_err(|e| {
                Failure::Usage(format!("cannot read password file {}: {e}", p.display()))
            })?;
            let line = text.lines().next().unwrap_or_default();
            (
                line.to_string(),
                format!("the first line of {}", p.display()),
            )
        }
        None => {
            let v = std::env::var("CHAMI_BMC_PASSWORD").map_err(|_| {
                Failure::Usage(
                    "no BMC password: give --password-file or set CHAMI_BMC_PASSWORD".into(),
                )
            })?;
            (v, "CHAMI_BMC_PASSWORD".to_string())
        }
    };
    if password.is_empty() {
        return Err(Failure::Usage(format!(
            "the BMC password is empty ({from}): give the password there"
        )));
    }
    Ok(password)
}

async fn endpoints_on(client: &Client, cmd: &EndpointsCommand) -> Result<(), Failure> {
    match cmd {
        EndpointsCommand::List(a) => {
            let rows = client
                .endpoint_rows(&[
                    ("type", a.kind.as_deref().unwrap_or_default()),
                    ("fqdn", a.fqdn.as_deref().unwrap_or_default()),
                    ("laststatus", a.status.as_deref().unwrap_or_default()),
                ])
                .await?;
            output::print(
                output::format_or_default(a.common.output),
                &rows,
                ENDPOINT_COLUMNS,
                "ID",
            )
        }
        EndpointsCommand::Show(t) => {
            // One request, however many are named.
            let ids = output::targets(&t.targets)?;
            let pairs: Vec<(&str, &str)> = ids.iter().map(|i| ("id", i.as_str())).collect();
            let rows = client.endpoint_rows(&pairs).await?;
            output::print_found(rows, &ids, t.common.output, ENDPOINT_COLUMNS, "not found")
        }
        EndpointsCommand::Add(a) => {
            let id = output::expand_words(std::slice::from_ref(&a.xname))?;
            let [id] = id.as_slice() else {
                return Err(Failure::Usage("add one endpoint at a time".into()));
            };
            let mut body = json!({
                "ID": id,
                "FQDN": a.fqdn,
                "User": a.user,
                "Password": password(a.password_file.as_ref())?,
                "Enabled": !a.disabled,
            });
            if let Some(mac) = &a.mac {
                body["MACAddr"] = json!(mac);
            }
            client.endpoint_add(&body).await?;
            let v = client.endpoint_row(id).await?;
            output::print(
                output::format_or_default(a.common.output),
                &[v],
                ENDPOINT_COLUMNS,
                "ID",
            )
        }
        EndpointsCommand::Delete(t) => {
            let ids = output::targets(&t.targets)?;
            delete_each(&ids, async |n| client.endpoint_delete(n).await).await
        }
    }
}

fn endpoints_connect(cmd: &EndpointsCommand) -> &ConnectArgs {
    match cmd {
        EndpointsCommand::List(a) => &a.common.connect,
        EndpointsCommand::Show(t) | EndpointsCommand::Delete(t) => &t.common.connect,
        EndpointsCommand::Add(a) => &a.common.connect,
    }
}

/// Runs a `chami endpoints` verb.
pub async fn endpoints(cmd: EndpointsCommand) -> Result<(), Failure> {
    Connection::with(endpoints_connect(&cmd), "cli", async |c| {
        endpoints_on(c, &cmd).await
    })
    .await
}
