//! `chami endpoints list|show|add|delete` (BMCs the core talks to) and
//! `chami interfaces list|show|add|delete` (Ethernet interfaces: MACs and their addresses).

use std::path::PathBuf;

use clap::{Args, Subcommand};
use serde_json::json;

use super::connect::{ConnectArgs, Connection};
use super::nodes::{Common, Targets};
use super::output::{self, Failure};
use crate::client::{Client, ClientError};

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

/// `chami interfaces ...`
#[derive(Debug, Subcommand)]
pub enum InterfacesCommand {
    /// Every interface, with SMD's filters.
    List(InterfaceList),
    /// Interfaces in full (by ID: the MAC in lowercase hex without separators, or the MAC).
    Show(Ids),
    /// Record an interface.
    Add(InterfaceAdd),
    /// Forget interfaces.
    Delete(Ids),
}

/// Options of `chami interfaces list`.
#[derive(Debug, Args)]
pub struct InterfaceList {
    /// MAC address (repeatable).
    #[arg(long)]
    pub mac: Vec<String>,
    /// IP address (repeatable).
    #[arg(long)]
    pub ip: Vec<String>,
    /// The component it belongs to (repeatable).
    #[arg(long)]
    pub component: Vec<String>,
    /// The type of that component (Node, NodeBMC, ...).
    #[arg(long = "type")]
    pub kind: Option<String>,
    #[command(flatten)]
    pub common: Common,
}

/// Interface IDs or MACs plus the common options.
#[derive(Debug, Args)]
pub struct Ids {
    /// IDs (`a4bf0138ee65`) or MACs (`a4:bf:01:38:ee:65`); `-` reads them from stdin.
    #[arg(required = true)]
    pub ids: Vec<String>,
    #[command(flatten)]
    pub common: Common,
}

/// Options of `chami interfaces add`.
#[derive(Debug, Args)]
pub struct InterfaceAdd {
    /// The MAC address.
    pub mac: String,
    /// The component it belongs to.
    #[arg(long)]
    pub component: Option<String>,
    /// An IP address it has (repeatable).
    #[arg(long)]
    pub ip: Vec<String>,
    /// Free text.
    #[arg(long)]
    pub description: Option<String>,
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

const INTERFACE_COLUMNS: &[(&str, &str)] = &[
    ("ID", "ID"),
    ("MAC", "MACAddress"),
    ("COMPONENT", "ComponentID"),
    ("TYPE", "Type"),
    ("IPS", "IPAddresses.IPAddress"),
    ("DESCRIPTION", "Description"),
];

/// An interface ID from an ID or a MAC: its hex digits, lowercase; a word with anything but
/// hex digits and `:`/`-`/`.` separators is a usage error naming it.
fn interface_id(word: &str) -> Result<String, Failure> {
    let id: String = word
        .chars()
        .filter(|c| !matches!(c, ':' | '-' | '.'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(Failure::Usage(format!(
            "'{word}' is not an interface ID or a MAC address"
        )));
    }
    Ok(id)
}

/// Interface IDs from words (`-`: stdin).
fn interface_ids(args: &[String]) -> Result<Vec<String>, Failure> {
    let words = output::words(args)?;
    if words.is_empty() {
        return Err(Failure::Usage("nothing named".into()));
    }
    words.iter().map(|w| interface_id(w)).collect()
}

/// Deletes each of `names` under `base`, naming each one deleted on stdout and each failure on
/// stderr (exit 3 when some failed).
async fn delete(
    names: &[String],
    delete_one: impl AsyncFn(&str) -> Result<(), ClientError>,
) -> Result<(), Failure> {
    let mut failed = false;
    for n in names {
        match delete_one(n).await {
            Ok(()) => output::out(&format!("{n}\n"))?,
            Err(ClientError::Api { status: 404, .. }) => {
                eprintln!("chami: {n}: not found");
                failed = true;
            }
            Err(e) => {
                eprintln!("chami: {n}: {e}");
                failed = true;
            }
        }
    }
    if failed {
        return Err(Failure::Partial);
    }
    Ok(())
}

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
            delete(&ids, async |n| client.endpoint_delete(n).await).await
        }
    }
}

async fn interfaces_on(client: &Client, cmd: &InterfacesCommand) -> Result<(), Failure> {
    match cmd {
        InterfacesCommand::List(a) => {
            let mut pairs: Vec<(&str, &str)> = Vec::new();
            pairs.extend(a.mac.iter().map(|m| ("MACAddress", m.as_str())));
            pairs.extend(a.ip.iter().map(|m| ("IPAddress", m.as_str())));
            pairs.extend(a.component.iter().map(|m| ("ComponentID", m.as_str())));
            if let Some(k) = &a.kind {
                pairs.push(("Type", k));
            }
            let rows = client.interface_rows(&pairs).await?;
            output::print(
                output::format_or_default(a.common.output),
                &rows,
                INTERFACE_COLUMNS,
                "ID",
            )
        }
        InterfacesCommand::Show(i) => {
            let ids = interface_ids(&i.ids)?;
            let mut rows = Vec::new();
            for id in &ids {
                rows.extend(client.interface_row(id).await?);
            }
            output::print_found(rows, &ids, i.common.output, INTERFACE_COLUMNS, "not found")
        }
        InterfacesCommand::Add(a) => {
            let mut body = json!({
                "MACAddress": a.mac,
                "IPAddresses": a.ip.iter().map(|ip| json!({"IPAddress": ip})).collect::<Vec<_>>(),
            });
            if let Some(c) = &a.component {
                body["ComponentID"] = json!(c);
            }
            if let Some(d) = &a.description {
                body["Description"] = json!(d);
            }
            client.interface_add(&body).await?;
            let v = client
                .interface_row(&interface_id(&a.mac)?)
                .await?
                .ok_or_else(|| {
                    Failure::Request(format!("interface {} is not there after adding it", a.mac))
                })?;
            output::print(
                output::format_or_default(a.common.output),
                &[v],
                INTERFACE_COLUMNS,
                "ID",
            )
        }
        InterfacesCommand::Delete(i) => {
            let ids = interface_ids(&i.ids)?;
            delete(&ids, async |n| client.interface_delete(n).await).await
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

fn interfaces_connect(cmd: &InterfacesCommand) -> &ConnectArgs {
    match cmd {
        InterfacesCommand::List(a) => &a.common.connect,
        InterfacesCommand::Show(i) | InterfacesCommand::Delete(i) => &i.common.connect,
        InterfacesCommand::Add(a) => &a.common.connect,
    }
}

/// Runs a `chami endpoints` verb.
pub async fn endpoints(cmd: EndpointsCommand) -> Result<(), Failure> {
    Connection::with(endpoints_connect(&cmd), "cli", async |c| {
        endpoints_on(c, &cmd).await
    })
    .await
}

/// Runs a `chami interfaces` verb.
pub async fn interfaces(cmd: InterfacesCommand) -> Result<(), Failure> {
    Connection::with(interfaces_connect(&cmd), "cli", async |c| {
        interfaces_on(c, &cmd).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interface_ids_come_from_macs_in_any_spelling() {
        for w in [
            "A4:BF:01:38:EE:65",
            "a4-bf-01-38-ee-65",
            "a4bf.0138.ee65",
            "a4bf0138ee65",
        ] {
            assert_eq!(interface_id(w).unwrap(), "a4bf0138ee65", "{w}");
        }
        for w in ["", "zz:00", "x1000c0s0b0n0"] {
            assert!(
                matches!(interface_id(w), Err(Failure::Usage(m)) if m.contains(&format!("'{w}'"))),
                "{w}"
            );
        }
    }
}
