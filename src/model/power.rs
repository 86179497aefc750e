//! Power transitions (PCS): operations, task and transition states, the wire shapes of
//! `/power-control/v1`, and which transitions a component supports from its Redfish reset types.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A power operation, with PCS's spelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
pub enum Operation {
    /// Power on.
    #[serde(rename = "On")]
    On,
    /// Graceful shutdown, then ForceOff at the deadline.
    #[serde(rename = "Off")]
    Off,
    /// Graceful restart (ForceRestart where GracefulRestart is not offered).
    #[serde(rename = "Soft-Restart")]
    SoftRestart,
    /// Off (graceful, then forced), then on.
    #[serde(rename = "Hard-Restart")]
    HardRestart,
    /// Off if on, then on.
    #[serde(rename = "Init")]
    Init,
    /// ForceOff.
    #[serde(rename = "Force-Off")]
    ForceOff,
    /// Graceful shutdown only.
    #[serde(rename = "Soft-Off")]
    SoftOff,
}

impl Operation {
    /// Every operation, in PCS's order.
    pub const ALL: [Operation; 7] = [
        Operation::On,
        Operation::Off,
        Operation::SoftRestart,
        Operation::HardRestart,
        Operation::Init,
        Operation::ForceOff,
        Operation::SoftOff,
    ];

    /// PCS's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Operation::On => "On",
            Operation::Off => "Off",
            Operation::SoftRestart => "Soft-Restart",
            Operation::HardRestart => "Hard-Restart",
            Operation::Init => "Init",
            Operation::ForceOff => "Force-Off",
            Operation::SoftOff => "Soft-Off",
        }
    }

    /// Reads an operation in any case, as PCS does; the error is PCS's text.
    pub fn parse(raw: &str) -> Result<Operation, String> {
        Operation::ALL
            .into_iter()
            .find(|o| o.as_str().eq_ignore_ascii_case(raw))
            .ok_or_else(|| format!("invalid Operation type {raw}"))
    }
}

impl std::fmt::Display for Operation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a transition is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TransitionStatus {
    /// Accepted, not started.
    New,
    /// Running.
    InProgress,
    /// Finished, whatever the tasks' outcomes.
    Completed,
    /// Stopped by an abort.
    Aborted,
    /// Abort asked for; the worker stops at its next step.
    AbortSignaled,
}

impl TransitionStatus {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TransitionStatus::New => "new",
            TransitionStatus::InProgress => "in-progress",
            TransitionStatus::Completed => "completed",
            TransitionStatus::Aborted => "aborted",
            TransitionStatus::AbortSignaled => "abort-signaled",
        }
    }

    /// Reads the wire spelling.
    pub fn parse(s: &str) -> Option<TransitionStatus> {
        [
            TransitionStatus::New,
            TransitionStatus::InProgress,
            TransitionStatus::Completed,
            TransitionStatus::Aborted,
            TransitionStatus::AbortSignaled,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }

    /// Whether it has ended.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            TransitionStatus::Completed | TransitionStatus::Aborted
        )
    }
}

/// Why a transition cannot start: `(xname, transition ID)` of nodes other running transitions
/// hold.
pub fn held_message(held: &[(String, String)]) -> String {
    let named: Vec<String> = held
        .iter()
        .map(|(x, id)| format!("{x} (transition {id})"))
        .collect();
    format!(
        "components are locked by running transitions: {}; abort those or wait for them",
        named.join(", ")
    )
}

/// Where one node's task is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum TaskStatus {
    /// Not started.
    New,
    /// Running.
    InProgress,
    /// Failed; `error` says why.
    Failed,
    /// Done.
    Succeeded,
    /// The component cannot do this operation.
    Unsupported,
}

impl TaskStatus {
    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            TaskStatus::New => "new",
            TaskStatus::InProgress => "in-progress",
            TaskStatus::Failed => "failed",
            TaskStatus::Succeeded => "succeeded",
            TaskStatus::Unsupported => "unsupported",
        }
    }

    /// Reads the wire spelling.
    pub fn parse(s: &str) -> Option<TaskStatus> {
        [
            TaskStatus::New,
            TaskStatus::InProgress,
            TaskStatus::Failed,
            TaskStatus::Succeeded,
            TaskStatus::Unsupported,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }

    /// Whether it has ended.
    pub fn is_final(self) -> bool {
        !matches!(self, TaskStatus::New | TaskStatus::InProgress)
    }
}

/// One node's part of a transition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Task {
    /// The component.
    pub xname: String,
    /// Where it is.
    #[serde(rename = "taskStatus")]
    pub status: TaskStatus,
    /// What it is doing or did, in PCS's words.
    #[serde(rename = "taskStatusDescription")]
    pub description: String,
    /// Why it failed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub error: String,
}

/// How far a node's step got with its BMC: recorded before every reset is sent, so a core
/// taking the transition over knows what the node was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// About to be sent (it may have reached the BMC or not).
    Sending,
    /// The BMC accepted it.
    Answered,
    /// The node reached the step's power state.
    Confirmed,
}

impl Phase {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Sending => "sending",
            Phase::Answered => "answered",
            Phase::Confirmed => "confirmed",
        }
    }

    fn parse(s: &str) -> Option<Phase> {
        [Phase::Sending, Phase::Answered, Phase::Confirmed]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// One node's record of its plan and the step it is at, kept beside its task.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// The node.
    pub xname: String,
    /// The plan's actions in order (`gracefulshutdown`, `on`, ...).
    pub plan: Vec<String>,
    /// Which of them this record is about.
    pub index: usize,
    /// The action sent at that step (a `forceoff` after a graceful shutdown ran out of time).
    pub action: String,
    /// How far it got.
    pub phase: Phase,
}

impl Step {
    /// The stored text: `plan|index|action|phase`, the plan comma-separated.
    pub fn encode(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.plan.join(","),
            self.index,
            self.action,
            self.phase.as_str()
        )
    }

    /// Reads [`Step::encode`]'s text back; `None` when it is not one.
    pub fn decode(xname: &str, text: &str) -> Option<Step> {
        let mut parts = text.split('|');
        let plan: Vec<String> = parts.next()?.split(',').map(str::to_string).collect();
        let index: usize = parts.next()?.parse().ok()?;
        let action = parts.next()?.to_string();
        let phase = Phase::parse(parts.next()?)?;
        if parts.next().is_some() || index >= plan.len() || action.is_empty() {
            return None;
        }
        Some(Step {
            xname: xname.to_string(),
            plan,
            index,
            action,
            phase,
        })
    }
}

/// Tasks by status, under PCS's keys. It is also written with `in_progress` and
/// `un_supported`, the keys ochami-rs reads; PCS's clients (and this one's reading) ignore
/// keys they do not know.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub struct TaskCounts {
    /// All tasks.
    pub total: u64,
    /// Not started.
    pub new: u64,
    /// Running.
    #[serde(rename = "in-progress")]
    pub in_progress: u64,
    /// Failed.
    pub failed: u64,
    /// Succeeded.
    pub succeeded: u64,
    /// Unsupported.
    #[serde(rename = "un-supported")]
    pub unsupported: u64,
}

impl Serialize for TaskCounts {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut m = s.serialize_struct("TaskCounts", 8)?;
        m.serialize_field("total", &self.total)?;
        m.serialize_field("new", &self.new)?;
        m.serialize_field("in-progress", &self.in_progress)?;
        m.serialize_field("failed", &self.failed)?;
        m.serialize_field("succeeded", &self.succeeded)?;
        m.serialize_field("un-supported", &self.unsupported)?;
        m.serialize_field("in_progress", &self.in_progress)?;
        m.serialize_field("un_supported", &self.unsupported)?;
        m.end()
    }
}

impl TaskCounts {
    /// Counts of these tasks.
    pub fn of(tasks: &[Task]) -> TaskCounts {
        let mut c = TaskCounts::default();
        for t in tasks {
            c.add(t.status, 1);
        }
        c
    }

    /// Counts `n` more tasks in `status`.
    pub fn add(&mut self, status: TaskStatus, n: u64) {
        self.total += n;
        match status {
            TaskStatus::New => self.new += n,
            TaskStatus::InProgress => self.in_progress += n,
            TaskStatus::Failed => self.failed += n,
            TaskStatus::Succeeded => self.succeeded += n,
            TaskStatus::Unsupported => self.unsupported += n,
        }
    }
}

/// A transition as GET returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Transition {
    /// Its ID (UUID).
    #[serde(rename = "transitionID")]
    pub id: String,
    /// What it does.
    pub operation: Operation,
    /// When it was accepted (RFC 3339).
    #[serde(rename = "createTime")]
    pub created: String,
    /// When its record goes away (RFC 3339).
    #[serde(rename = "automaticExpirationTime")]
    pub expires: String,
    /// Where it is.
    #[serde(rename = "transitionStatus")]
    pub status: TransitionStatus,
    /// Tasks by status.
    #[serde(rename = "taskCounts")]
    pub counts: TaskCounts,
    /// Per-node tasks (left out of lists).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tasks: Option<Vec<Task>>,
    /// Minutes each step may take before it fails (or falls back to ForceOff).
    #[serde(skip)]
    pub deadline_minutes: i64,
    /// Who asked.
    #[serde(skip)]
    pub by: String,
}

/// One location in a POST.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct Location {
    /// The component.
    #[serde(default)]
    pub xname: String,
    /// A reservation key held by the caller (accepted; chami locks nodes itself).
    #[serde(rename = "deputyKey", default)]
    pub deputy_key: Option<String>,
}

/// The body of `POST /transitions`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct TransitionCreate {
    /// One of On, Off, Soft-Off, Soft-Restart, Hard-Restart, Init, Force-Off (any case).
    #[serde(default)]
    pub operation: String,
    /// Minutes each step may take (default 5; 0: do not wait for confirmation).
    #[serde(rename = "taskDeadlineMinutes", default)]
    pub task_deadline_minutes: Option<i64>,
    /// The components.
    #[serde(default)]
    pub location: Vec<Location>,
}

/// Which transitions a component supports, from its Redfish `ResetType` allowable values, in
/// PCS's order.
pub fn supported_transitions(allowable: &[String]) -> Vec<Operation> {
    let mut out: Vec<Operation> = Vec::new();
    let mut add = |o: Operation| {
        if !out.contains(&o) {
            out.push(o);
        }
    };
    for v in allowable {
        match v.to_ascii_lowercase().as_str() {
            "forceoff" => add(Operation::ForceOff),
            "forcerestart" | "gracefulrestart" => add(Operation::SoftRestart),
            "off" | "gracefulshutdown" => {
                add(Operation::SoftOff);
                add(Operation::Off);
            }
            "on" => add(Operation::On),
            _ => {}
        }
    }
    if out.contains(&Operation::On) && out.contains(&Operation::Off) {
        out.push(Operation::Init);
        out.push(Operation::HardRestart);
        if !out.contains(&Operation::SoftRestart) {
            out.push(Operation::SoftRestart);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn power_status_names_serialize_as_their_schema_lists_them() {
        use utoipa::PartialSchema;
        let listed = |schema: utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>| {
            serde_json::to_value(schema).unwrap()["enum"].clone()
        };
        let names = [
            PowerStateName::On,
            PowerStateName::Off,
            PowerStateName::Undefined,
            PowerStateName::NotFound,
        ];
        let wire: Vec<serde_json::Value> = names
            .iter()
            .map(|n| serde_json::to_value(n).unwrap())
            .collect();
        assert_eq!(
            listed(PowerStateName::schema()),
            serde_json::Value::from(wire)
        );
        assert_eq!(serde_json::to_value(PowerStateName::NotFound).unwrap(), "");
        let states = [
            ManagementState::Available,
            ManagementState::Unavailable,
            ManagementState::NotFound,
        ];
        let wire: Vec<serde_json::Value> = states
            .iter()
            .map(|n| serde_json::to_value(n).unwrap())
            .collect();
        assert_eq!(
            listed(ManagementState::schema()),
            serde_json::Value::from(wire)
        );
    }

    use super::*;

    #[test]
    fn steps_read_back_as_written_and_nothing_else_passes() {
        let s = Step {
            xname: "x1000c0s0b0n0".into(),
            plan: vec!["gracefulshutdown".into(), "on".into()],
            index: 1,
            action: "on".into(),
            phase: Phase::Answered,
        };
        assert_eq!(s.encode(), "gracefulshutdown,on|1|on|answered");
        assert_eq!(Step::decode("x1000c0s0b0n0", &s.encode()), Some(s));
        for bad in [
            "",
            "on|0|on",
            "on|1|on|sending",
            "on|0|on|sent",
            "on|x|on|sending",
            "on|0||sending",
            "on|0|on|sending|more",
        ] {
            assert_eq!(Step::decode("x", bad), None, "{bad:?}");
        }
    }

    #[test]
    fn operations_parse_in_any_case_with_pcs_errors() {
        assert_eq!(Operation::parse("hard-restart"), Ok(Operation::HardRestart));
        assert_eq!(Operation::parse("ON"), Ok(Operation::On));
        assert_eq!(
            Operation::parse("reboot").unwrap_err(),
            "invalid Operation type reboot"
        );
        assert_eq!(Operation::parse("").unwrap_err(), "invalid Operation type ");
    }

    #[test]
    fn supported_transitions_follow_pcs() {
        let v: Vec<String> = [
            "On",
            "ForceOff",
            "GracefulShutdown",
            "GracefulRestart",
            "ForceRestart",
            "Nmi",
            "PushPowerButton",
        ]
        .map(String::from)
        .to_vec();
        let names: Vec<&str> = supported_transitions(&v)
            .iter()
            .map(|o| o.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "On",
                "Force-Off",
                "Soft-Off",
                "Off",
                "Soft-Restart",
                "Init",
                "Hard-Restart"
            ]
        );
        assert!(supported_transitions(&[]).is_empty());
    }

    #[test]
    fn counts_use_pcs_keys() {
        let t = |s| Task {
            xname: "x".into(),
            status: s,
            description: String::new(),
            error: String::new(),
        };
        let c = TaskCounts::of(&[t(TaskStatus::Failed), t(TaskStatus::Unsupported)]);
        let v = serde_json::to_value(&c).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"total": 2, "new": 0, "in-progress": 0, "failed": 1,
                               "succeeded": 0, "un-supported": 1,
                               "in_progress": 0, "un_supported": 1})
        );
        // Read back as written: the ochami-rs spellings are extra keys, not duplicates.
        assert_eq!(serde_json::from_value::<TaskCounts>(v).unwrap(), c);
    }
}

/// A node's power as PCS's power-status names it; empty for a node not found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PowerStateName {
    /// On (or powering off).
    On,
    /// Off (or powering on).
    Off,
    /// The BMC did not say, or could not be asked.
    Undefined,
    /// Not a node with a BMC that chami knows.
    #[serde(rename = "")]
    NotFound,
}

impl PowerStateName {
    /// The wire name (`on`, `off`, `undefined`, or empty).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::On => "on",
            Self::Off => "off",
            Self::Undefined => "undefined",
            Self::NotFound => "",
        }
    }
}

/// Whether a node's BMC answered, as PCS's power-status names it; empty for a node not found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ManagementState {
    /// The BMC answered.
    Available,
    /// The BMC could not be reached or refused.
    Unavailable,
    /// Not a node with a BMC that chami knows.
    #[serde(rename = "")]
    NotFound,
}

impl ManagementState {
    /// The wire name (`available`, `unavailable`, or empty).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Available => "available",
            Self::Unavailable => "unavailable",
            Self::NotFound => "",
        }
    }
}

/// A string schema of these values (utoipa's derive drops an empty variant name).
fn string_enum(
    description: &str,
    values: &[&str],
) -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .description(Some(description))
        .enum_values(Some(values.iter().copied()))
        .into()
}

impl utoipa::PartialSchema for PowerStateName {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let all = [Self::On, Self::Off, Self::Undefined, Self::NotFound];
        string_enum(
            "A node's power as PCS's power-status names it; empty for a node not found.",
            &all.map(Self::as_str),
        )
    }
}
impl ToSchema for PowerStateName {}

impl utoipa::PartialSchema for ManagementState {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        let all = [Self::Available, Self::Unavailable, Self::NotFound];
        string_enum(
            "Whether a node's BMC answered; empty for a node not found.",
            &all.map(Self::as_str),
        )
    }
}
impl ToSchema for ManagementState {}

/// One node's entry in PCS's `power-status` answer, read live from its BMC.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PowerStatus {
    /// The node.
    pub xname: String,
    /// Its power.
    pub power_state: PowerStateName,
    /// Whether its BMC answered.
    pub management_state: ManagementState,
    /// Why the state is not known; empty when it is.
    pub error: String,
    /// The operations its BMC offers (`On`, `Soft-Off`, ...).
    pub supported_power_transitions: Vec<String>,
    /// When it was read (RFC 3339); empty for a node not found.
    pub last_updated: String,
}

/// One step a dry run says a node would take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlannedStep {
    /// The step (`on`, `gracefulshutdown`, `forceoff`, `gracefulrestart`).
    pub action: String,
    /// The Redfish ResetType it would send, if the BMC offers one.
    pub reset_type: Option<String>,
}

/// What a dry run (`POST /transitions?dryRun=true`) says one node would do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PlannedTask {
    /// The node.
    pub xname: String,
    /// Its power as read (`On`, `Off`, ...), when it could be read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub power_state: Option<String>,
    /// The steps it would take; none when it would do nothing or fail.
    pub would_do: Vec<PlannedStep>,
    /// The task status it would end in without a step (`succeeded`, `failed`,
    /// `unsupported`); absent when it has steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub task_status: Option<String>,
    /// Why it would do nothing, or fail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Why it would fail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The BMC it would be reached through, when it has steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bmc: Option<String>,
    /// Where its reset would be posted, when it has steps.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reset_target: Option<String>,
}
