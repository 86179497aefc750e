//! `chami power status|on|off|soft-off|soft-restart|hard-restart|init|force-off|wait|abort|list`,
//! and `chami power cap ...` (in `power_cap`).

use std::time::{Duration, Instant};

use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::args::Common;
use super::connect::{ConnectArgs, Connection};
use super::output::{self, Failure, Format};
use crate::client::Client;
use crate::model::power::Transition;

/// Options of an operation.
#[derive(Debug, Args)]
pub struct Act {
    /// Xnames or hostlists; `-` reads them from stdin.
    #[arg(required = true)]
    pub targets: Vec<String>,
    /// Print the transition's ID and return at once instead of following it.
    #[arg(long)]
    pub no_wait: bool,
    /// Longest wait for the transition to end, in seconds.
    #[arg(long, default_value_t = 900)]
    pub timeout: u64,
    #[command(flatten)]
    pub common: Common,
}

/// A transition ID plus options.
#[derive(Debug, Args)]
pub struct ById {
    /// The transition's ID.
    pub id: String,
    /// Longest wait, in seconds (wait only).
    #[arg(long, default_value_t = 900)]
    pub timeout: u64,
    #[command(flatten)]
    pub common: Common,
}

/// Options of `chami power status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Xnames or hostlists (`-`: stdin); every node when none.
    pub targets: Vec<String>,
    #[command(flatten)]
    pub common: Common,
}

/// `chami power ...`
#[derive(Debug, Subcommand)]
pub enum PowerCommand {
    /// Power state of nodes, read from their BMCs.
    Status(StatusArgs),
    /// Power on.
    On(Act),
    /// Power off (graceful, then forced when the deadline passes).
    Off(Act),
    /// Graceful shutdown only.
    SoftOff(Act),
    /// Graceful restart.
    SoftRestart(Act),
    /// Off, then on.
    HardRestart(Act),
    /// Off if on, then on.
    Init(Act),
    /// Immediate power off.
    ForceOff(Act),
    /// Follow a transition until it ends.
    Wait(ById),
    /// Abort a transition.
    Abort(ById),
    /// Every transition.
    List(Common),
    /// Node power limits: get, set, list, show.
    #[command(subcommand)]
    Cap(super::power_cap::CapCommand),
}

const TASKS: &[(&str, &str)] = &[
    ("XNAME", "xname"),
    ("STATUS", "taskStatus"),
    ("DESCRIPTION", "taskStatusDescription"),
    ("ERROR", "error"),
];

/// Follows transition `id` until it ends; prints its tasks; partial when some failed.
async fn follow(
    client: &Client,
    id: &str,
    timeout: u64,
    format: Option<Format>,
) -> Result<(), Failure> {
    let start = Instant::now();
    let t: Transition = loop {
        let t = client.transition(id).await?;
        if t.status.is_final() {
            break t;
        }
        if start.elapsed() > Duration::from_secs(timeout) {
            return Err(Failure::Request(format!(
                "transition {id} still running after {timeout} s; follow it with `chami power wait {id}`"
            )));
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let tasks: Vec<Value> = t
        .tasks
        .iter()
        .flatten()
        .map(|k| serde_json::to_value(k).unwrap_or(Value::Null))
        .collect();
    output::print(output::format_or_default(format), &tasks, TASKS, "xname")?;
    let failed: Vec<&Value> = tasks
        .iter()
        .filter(|k| k["taskStatus"] == "failed")
        .collect();
    if failed.is_empty() {
        return Ok(());
    }
    for k in &failed {
        eprintln!(
            "chami: {}: {}",
            k["xname"].as_str().unwrap_or_default(),
            k["error"].as_str().unwrap_or_default()
        );
    }
    eprintln!(
        "chami: {} of {} nodes failed ({} {})",
        failed.len(),
        tasks.len(),
        t.operation,
        t.id
    );
    Err(Failure::Partial)
}

fn operation(cmd: &PowerCommand) -> Option<(&'static str, &Act)> {
    Some(match cmd {
        PowerCommand::On(a) => ("On", a),
        PowerCommand::Off(a) => ("Off", a),
        PowerCommand::SoftOff(a) => ("Soft-Off", a),
        PowerCommand::SoftRestart(a) => ("Soft-Restart", a),
        PowerCommand::HardRestart(a) => ("Hard-Restart", a),
        PowerCommand::Init(a) => ("Init", a),
        PowerCommand::ForceOff(a) => ("Force-Off", a),
        _ => return None,
    })
}

async fn run_on(client: &Client, cmd: &PowerCommand) -> Result<(), Failure> {
    if let Some((op, a)) = operation(cmd) {
        let ids = output::targets(&a.targets)?;
        let id = client.start_transition(op, &ids).await?;
        if a.no_wait {
            let row = json!({"transitionID": id, "operation": op});
            let cols = [("TRANSITION", "transitionID"), ("OPERATION", "operation")];
            return output::print(
                output::format_or_default(a.common.output),
                &[row],
                &cols,
                "transitionID",
            );
        }
        return follow(client, &id, a.timeout, a.common.output).await;
    }
    match cmd {
        PowerCommand::Status(s) => {
            let ids = if s.targets.is_empty() {
                Vec::new()
            } else {
                output::targets(&s.targets)?
            };
            let rows = client.power_status_rows(&ids).await?;
            let cols = [
                ("XNAME", "xname"),
                ("POWER", "powerState"),
                ("MANAGEMENT", "managementState"),
                ("ERROR", "error"),
            ];
            output::print(
                output::format_or_default(s.common.output),
                &rows,
                &cols,
                "xname",
            )?;
            let bad: Vec<&Value> = rows
                .iter()
                .filter(|r| r["error"].as_str().is_some_and(|e| !e.is_empty()))
                .collect();
            if bad.is_empty() {
                return Ok(());
            }
            for r in bad {
                eprintln!(
                    "chami: {}: {}",
                    r["xname"].as_str().unwrap_or_default(),
                    r["error"].as_str().unwrap_or_default()
                );
            }
            Err(Failure::Partial)
        }
        PowerCommand::Wait(b) => follow(client, &b.id, b.timeout, b.common.output).await,
        PowerCommand::Cap(c) => super::power_cap::run_on(client, c).await,
        PowerCommand::Abort(b) => {
            client.abort_transition(&b.id).await?;
            eprintln!("chami: abort of {} accepted", b.id);
            Ok(())
        }
        PowerCommand::List(c) => {
            let list = client.transitions().await?;
            let rows: Vec<Value> = list
                .iter()
                .map(|t| serde_json::to_value(t).unwrap_or(Value::Null))
                .collect();
            let cols = [
                ("TRANSITION", "transitionID"),
                ("OPERATION", "operation"),
                ("STATUS", "transitionStatus"),
                ("TOTAL", "taskCounts.total"),
                ("FAILED", "taskCounts.failed"),
                ("CREATED", "createTime"),
            ];
            output::print(
                output::format_or_default(c.output),
                &rows,
                &cols,
                "transitionID",
            )
        }
        _ => Ok(()),
    }
}

fn connect_of(cmd: &PowerCommand) -> &ConnectArgs {
    if let Some((_, a)) = operation(cmd) {
        return &a.common.connect;
    }
    match cmd {
        PowerCommand::Status(s) => &s.common.connect,
        PowerCommand::Wait(b) | PowerCommand::Abort(b) => &b.common.connect,
        PowerCommand::List(c) => &c.connect,
        PowerCommand::Cap(c) => c.connect(),
        _ => unreachable!("operations answered above"),
    }
}

/// Runs a `chami power` verb.
pub async fn run(cmd: PowerCommand) -> Result<(), Failure> {
    if let Some((_, a)) = operation(&cmd).filter(|(_, a)| a.no_wait) {
        if a.common.connect.server.is_none() {
            return Err(Failure::Usage(
                "--no-wait needs --server: a core started for this command stops when it ends, \
                 and the transition with it"
                    .into(),
            ));
        }
    }
    Connection::with(connect_of(&cmd), "cli", async |c| run_on(c, &cmd).await).await
}
