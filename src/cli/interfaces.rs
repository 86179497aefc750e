//! `chami interfaces list|show|add|delete`: Ethernet interfaces, MACs and their addresses.

use clap::{Args, Subcommand};
use serde_json::json;

use super::args::Common;
use super::connect::{ConnectArgs, Connection};
use super::output::{self, delete_each, Failure};
use crate::client::Client;

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
            delete_each(&ids, async |n| client.interface_delete(n).await).await
        }
    }
}

fn interfaces_connect(cmd: &InterfacesCommand) -> &ConnectArgs {
    match cmd {
        InterfacesCommand::List(a) => &a.common.connect,
        InterfacesCommand::Show(i) | InterfacesCommand::Delete(i) => &i.common.connect,
        InterfacesCommand::Add(a) => &a.common.connect,
    }
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
