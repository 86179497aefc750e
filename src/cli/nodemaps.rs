//! `chami nodemaps list|load|delete`: each node's default NID, Role and SubRole (SMD's
//! `Defaults/NodeMaps`), as a site's `smd-loader` uploads them.

use clap::{Args, Subcommand};
use serde_json::Value;

use super::args::Common;
use super::connect::{ConnectArgs, Connection};
use super::output::{self, delete_each, Failure};
use crate::client::Client;

/// `chami nodemaps ...`
#[derive(Debug, Subcommand)]
pub enum NodeMapsCommand {
    /// Every node map.
    List(Listing),
    /// Create or replace maps from a file: SMD's `{"NodeMaps": [...]}`, or a list of maps, in
    /// JSON or YAML (`-` reads stdin). All or none.
    Load(Load),
    /// Delete the maps of these nodes.
    Delete(Names),
}

/// Options of `chami nodemaps list`.
#[derive(Debug, Args)]
pub struct Listing {
    #[command(flatten)]
    pub common: Common,
}

/// Options of `chami nodemaps load`.
#[derive(Debug, Args)]
pub struct Load {
    /// The file (`-`: stdin).
    pub file: String,
    #[command(flatten)]
    pub common: Common,
}

/// Node xnames plus the common options.
#[derive(Debug, Args)]
pub struct Names {
    /// Node xnames; `-` reads them from stdin.
    #[arg(required = true)]
    pub xnames: Vec<String>,
    #[command(flatten)]
    pub common: Common,
}

const COLUMNS: &[(&str, &str)] = &[
    ("XNAME", "ID"),
    ("NID", "NID"),
    ("ROLE", "Role"),
    ("SUBROLE", "SubRole"),
];

/// The maps in a file's text: `{"NodeMaps": [...]}` or a bare list, JSON or YAML.
fn maps_of(text: &str, from: &str) -> Result<Vec<Value>, Failure> {
    let doc: Value = serde_yaml::from_str(text)
        .map_err(|e| Failure::Usage(format!("{from} is neither JSON nor YAML: {e}")))?;
    let list = match doc {
        Value::Object(mut o) => match o.remove("NodeMaps") {
            Some(l) => l,
            None => {
                return Err(Failure::Usage(format!(
                    "{from} has no NodeMaps list (expected {{\"NodeMaps\": [...]}} or a list)"
                )))
            }
        },
        other => other,
    };
    match list {
        Value::Array(maps) if !maps.is_empty() => Ok(maps),
        Value::Array(_) => Err(Failure::Usage(format!("{from} holds no maps"))),
        _ => Err(Failure::Usage(format!("{from}: NodeMaps is not a list"))),
    }
}

/// Prints every node map.
async fn list(client: &Client, common: &Common) -> Result<(), Failure> {
    let rows = client.node_map_rows().await?;
    output::print(
        output::format_or_default(common.output),
        &rows,
        COLUMNS,
        "ID",
    )
}

async fn on(client: &Client, cmd: &NodeMapsCommand) -> Result<(), Failure> {
    match cmd {
        NodeMapsCommand::List(a) => list(client, &a.common).await,
        NodeMapsCommand::Load(a) => {
            let (text, from) = if a.file == "-" {
                let mut s = String::new();
                std::io::Read::read_to_string(&mut std::io::stdin(), &mut s)
                    .map_err(|e| Failure::Usage(format!("reading stdin: {e}")))?;
                (s, "stdin".to_string())
            } else {
                let s = std::fs::read_to_string(&a.file)
                    .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", a.file)))?;
                (s, a.file.clone())
            };
            let maps = maps_of(&text, &from)?;
            client.node_maps_put(&maps).await?;
            list(client, &a.common).await
        }
        NodeMapsCommand::Delete(n) => {
            let names = output::words(&n.xnames)?;
            delete_each(&names, async |x| client.node_map_delete(x).await).await
        }
    }
}

fn connect_of(cmd: &NodeMapsCommand) -> &ConnectArgs {
    match cmd {
        NodeMapsCommand::List(a) => &a.common.connect,
        NodeMapsCommand::Load(a) => &a.common.connect,
        NodeMapsCommand::Delete(n) => &n.common.connect,
    }
}

/// Runs a `chami nodemaps` verb.
pub async fn nodemaps(cmd: NodeMapsCommand) -> Result<(), Failure> {
    Connection::with(connect_of(&cmd), "cli", async |c| on(c, &cmd).await).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_come_from_smds_file_or_a_list_in_json_or_yaml() {
        let smd = r#"{"NodeMaps": [{"ID": "x3000c0s1b0n0", "NID": 1}]}"#;
        assert_eq!(maps_of(smd, "f").unwrap().len(), 1);
        let yaml = "- ID: x3000c0s1b0n0\n  NID: 1\n- ID: x3000c0s2b0n0\n  NID: 2\n";
        assert_eq!(maps_of(yaml, "f").unwrap()[1]["NID"], 2);
        for (bad, needle) in [
            ("{\"Maps\": []}", "no NodeMaps list"),
            ("[]", "holds no maps"),
            ("{\"NodeMaps\": 3}", "not a list"),
            ("{: nope", "neither JSON nor YAML"),
        ] {
            assert!(
                matches!(maps_of(bad, "f"), Err(Failure::Usage(m)) if m.contains(needle)),
                "{bad}"
            );
        }
    }
}
