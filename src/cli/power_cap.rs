//! `chami power cap get|set|list|show`: node power limits through PCS's `/power-cap`.

use std::collections::BTreeMap;
use std::time::Duration;

use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::args::Common;
use super::connect::ConnectArgs;
use super::output::{self, Failure};
use crate::client::Client;
use crate::model::power_cap::{CapTask, ComponentParam, ControlParam, PatchRequest};

/// Options of `chami power cap get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// Xnames or hostlists; `-` reads them from stdin.
    #[arg(required = true)]
    pub targets: Vec<String>,
    /// Longest wait for the BMCs' answers, in seconds.
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
    #[command(flatten)]
    pub common: Common,
}

/// Options of `chami power cap set`.
#[derive(Debug, Args)]
pub struct SetArgs {
    /// Xnames or hostlists; `-` reads them from stdin.
    #[arg(required = true)]
    pub targets: Vec<String>,
    /// The limit in watts; 0 lifts it.
    #[arg(long)]
    pub watts: i64,
    /// The control to set, as `get` names it; needed only for nodes with several.
    #[arg(long)]
    pub control: Option<String>,
    /// Longest wait for the BMCs' answers, in seconds.
    #[arg(long, default_value_t = 120)]
    pub timeout: u64,
    #[command(flatten)]
    pub common: Common,
}

/// Options of `chami power cap show`.
#[derive(Debug, Args)]
pub struct ShowArgs {
    /// The task's ID.
    pub id: String,
    #[command(flatten)]
    pub common: Common,
}

/// `chami power cap ...`
#[derive(Debug, Subcommand)]
pub enum CapCommand {
    /// Each node's power limits and range, read from its BMC.
    Get(GetArgs),
    /// Set nodes' power limit (within each node's range; 0 lifts it).
    Set(SetArgs),
    /// Every power-cap task.
    List(Common),
    /// One power-cap task with each node.
    Show(ShowArgs),
}

impl CapCommand {
    /// Where the command connects.
    pub fn connect(&self) -> &ConnectArgs {
        match self {
            CapCommand::Get(a) => &a.common.connect,
            CapCommand::Set(a) => &a.common.connect,
            CapCommand::List(c) => &c.connect,
            CapCommand::Show(a) => &a.common.connect,
        }
    }
}

const COLUMNS: &[(&str, &str)] = &[
    ("XNAME", "xname"),
    ("CONTROL", "control"),
    ("WATTS", "watts"),
    ("MIN", "min"),
    ("MAX", "max"),
    ("ERROR", "error"),
];

/// One row per node and control (one row with the error for a node that failed).
fn rows(task: &CapTask) -> Vec<Value> {
    let mut out = Vec::new();
    for c in &task.components {
        if c.power_cap_limits.is_empty() || !c.error.is_empty() {
            out.push(json!({"xname": c.xname, "control": "", "watts": null,
                "min": null, "max": null, "error": c.error}));
        }
        for k in &c.power_cap_limits {
            out.push(
                json!({"xname": c.xname, "control": k.name, "watts": k.current_value,
                "min": k.minimum_value, "max": k.maximum_value, "error": ""}),
            );
        }
    }
    out
}

/// Prints a task's nodes; partial when some failed (named on stderr).
fn report(task: &CapTask, format: Option<output::Format>) -> Result<(), Failure> {
    output::print(
        output::format_or_default(format),
        &rows(task),
        COLUMNS,
        "xname",
    )?;
    let failed: Vec<_> = task
        .components
        .iter()
        .filter(|c| !c.error.is_empty())
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    for c in &failed {
        eprintln!("chami: {}: {}", c.xname, c.error);
    }
    eprintln!(
        "chami: {} of {} nodes failed (power cap {} {})",
        failed.len(),
        task.components.len(),
        task.kind.as_str(),
        task.task_id
    );
    Err(Failure::Partial)
}

/// The control each node is set on: `--control`, else the node's only one (read first).
async fn controls_for(
    client: &Client,
    ids: &[String],
    a: &SetArgs,
) -> Result<BTreeMap<String, String>, Failure> {
    if let Some(name) = &a.control {
        return Ok(ids.iter().map(|x| (x.clone(), name.clone())).collect());
    }
    let id = client.cap_snapshot(ids).await?;
    let task = client.cap_wait(&id, Duration::from_secs(a.timeout)).await?;
    let mut out = BTreeMap::new();
    let mut problems = Vec::new();
    for c in &task.components {
        match c.power_cap_limits.as_slice() {
            [one] if c.error.is_empty() => {
                out.insert(c.xname.clone(), one.name.clone());
            }
            [] => problems.push(format!("{}: {}", c.xname, c.error)),
            many => problems.push(format!(
                "{} has {} controls ({}): name one with --control",
                c.xname,
                many.len(),
                many.iter()
                    .map(|k| k.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )),
        }
    }
    if problems.is_empty() {
        Ok(out)
    } else {
        Err(Failure::Request(format!(
            "cannot tell which control to set: {}",
            problems.join("; ")
        )))
    }
}

/// Runs a `chami power cap` verb over `client`.
pub async fn run_on(client: &Client, cmd: &CapCommand) -> Result<(), Failure> {
    match cmd {
        CapCommand::Get(a) => {
            let ids = output::targets(&a.targets)?;
            let id = client.cap_snapshot(&ids).await?;
            let task = client.cap_wait(&id, Duration::from_secs(a.timeout)).await?;
            report(&task, a.common.output)
        }
        CapCommand::Set(a) => {
            if a.watts < 0 {
                return Err(Failure::Usage(format!(
                    "--watts {}: a limit is 0 (none) or more watts",
                    a.watts
                )));
            }
            let ids = output::targets(&a.targets)?;
            let names = controls_for(client, &ids, a).await?;
            let req = PatchRequest {
                components: names
                    .into_iter()
                    .map(|(xname, name)| ComponentParam {
                        xname,
                        controls: vec![ControlParam {
                            name,
                            value: a.watts,
                        }],
                    })
                    .collect(),
            };
            let id = client.cap_patch(&req).await?;
            let task = client.cap_wait(&id, Duration::from_secs(a.timeout)).await?;
            report(&task, a.common.output)
        }
        CapCommand::List(c) => {
            let list = client.cap_tasks().await?;
            let rows: Vec<Value> = list
                .iter()
                .map(|t| serde_json::to_value(t).unwrap_or(Value::Null))
                .collect();
            let cols = [
                ("TASK", "taskID"),
                ("TYPE", "type"),
                ("STATUS", "taskStatus"),
                ("TOTAL", "taskCounts.total"),
                ("FAILED", "taskCounts.failed"),
                ("CREATED", "taskCreateTime"),
            ];
            output::print(output::format_or_default(c.output), &rows, &cols, "taskID")
        }
        CapCommand::Show(a) => {
            let task = client.cap_task(&a.id).await?;
            report(&task, a.common.output)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::power_cap::{CapComponent, CapControl, CapCounts, CapKind, CapTaskStatus};

    #[test]
    fn a_task_prints_a_row_per_control_and_per_failure() {
        let task = CapTask {
            task_id: "t".into(),
            kind: CapKind::Snapshot,
            task_create_time: String::new(),
            automatic_expiration_time: String::new(),
            task_status: CapTaskStatus::Completed,
            task_counts: CapCounts::default(),
            components: vec![
                CapComponent {
                    xname: "x1c0s0b0n0".into(),
                    power_cap_limits: vec![CapControl {
                        name: "Node Power Limit".into(),
                        current_value: Some(500),
                        maximum_value: Some(850),
                        minimum_value: Some(350),
                    }],
                    ..CapComponent::default()
                },
                CapComponent {
                    xname: "x1c0s0b0n1".into(),
                    error: "Missing RfFQDN".into(),
                    ..CapComponent::default()
                },
            ],
        };
        let r = rows(&task);
        assert_eq!(r.len(), 2);
        assert_eq!(r[0]["watts"], 500);
        assert_eq!(r[0]["min"], 350);
        assert_eq!(r[1]["error"], "Missing RfFQDN");
        assert!(r[1]["watts"].is_null());
    }
}
