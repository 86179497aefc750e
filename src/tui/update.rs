//! `update(state, message) -> commands`: every change to the console's state happens here,
//! without I/O, so it is tested directly. Commands are carried out by the event loop.

use std::time::{Duration, Instant};

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::boot;
use super::filter::Filter;
use super::keymap::Action;
use super::power::{self, TransitionData};
use super::state::{
    App, Column, Conn, DetailData, Input, ListData, ListKind, Live, PowerRead, View, LIVE_REFRESH,
    POLL, RESUBSCRIBE,
};
use super::tenant;
use crate::client::boot::BootBase;
use crate::client::events::Frame;
use crate::client::power::Planned;
use crate::client::{ClientError, NodeDetail};
use crate::model::boot::{BootParams, BootVersion};
use crate::model::component::Component;
use crate::model::group::Membership;
use crate::model::power::Transition;
use crate::model::tenant::{Tenant, TenantSpec};

/// Something that happened: a key, a tick, or an answer from the core.
#[derive(Debug)]
pub enum Msg {
    /// A key was pressed.
    Key(KeyEvent),
    /// Time passed.
    Tick(Instant),
    /// The terminal changed size.
    Resize,
    /// The inventory fetch finished (`at`: the local time, for "stale since").
    Inventory {
        result: Result<(Vec<Component>, Vec<Membership>), ClientError>,
        at: String,
    },
    /// A list (groups, partitions, endpoints) arrived.
    List {
        kind: ListKind,
        result: Result<ListData, ClientError>,
    },
    /// The tenants arrived (for `:tenants` and the `t` picker).
    Tenants(Result<Vec<Tenant>, ClientError>),
    /// A tenant arrived for the form (again, after a refused write, when `conflict`).
    TenantLoaded {
        name: String,
        conflict: bool,
        result: Result<Box<(Tenant, Option<String>)>, ClientError>,
    },
    /// A tenant write was answered.
    TenantSaved(Result<(), ClientError>),
    /// A join, release or delete was answered: per tenant touched, done or why not.
    TenantsChanged {
        what: String,
        result: Result<crate::client::tenants::PerTenant, ClientError>,
    },
    /// A node's detail arrived.
    Detail {
        xname: String,
        result: Result<Box<NodeDetail>, ClientError>,
    },
    /// A node's power state as its BMC reported it.
    Power {
        xname: String,
        result: Result<serde_json::Value, ClientError>,
    },
    /// A node's power limits as its BMC reported them.
    Cap {
        xname: String,
        result: Result<crate::model::power_cap::CapComponent, ClientError>,
    },
    /// A power-limit write was answered.
    CapSet {
        xname: String,
        result: Result<crate::model::power_cap::CapComponent, ClientError>,
    },
    /// Components named by events, fetched again.
    Components(Result<Vec<Component>, ClientError>),
    /// Stored boot parameters arrived for the editor.
    BootLoaded {
        targets: Vec<String>,
        conflict: bool,
        result: Result<Box<BootBase>, ClientError>,
    },
    /// A boot-parameters write was answered.
    BootSaved(Result<(), ClientError>),
    /// A node's iPXE script arrived for the preview.
    BootScript {
        node: String,
        result: Result<String, ClientError>,
    },
    /// `$EDITOR` returned: the file's text, or why it failed.
    EditedExternally(Result<String, String>),
    /// The core answered a request to discover an endpoint.
    DiscoveryStarted {
        id: String,
        result: Result<(), ClientError>,
    },
    /// `DiscoveryStatus/0`, read while a discovery the console started runs.
    DiscoveryStatus(Result<serde_json::Value, ClientError>),
    /// Member changes were answered, one result per node.
    MembersChanged {
        what: String,
        results: Vec<(String, Result<(), ClientError>)>,
    },
    /// An entry's history arrived.
    BootHistory {
        name: String,
        result: Result<Vec<BootVersion>, ClientError>,
    },
    /// A dry run's answer.
    Previewed(Result<Vec<Planned>, ClientError>),
    /// A transition was started (its ID) or refused.
    Started(Result<String, ClientError>),
    /// A transition arrived.
    Transition {
        id: String,
        result: Result<Box<Transition>, ClientError>,
    },
    /// An abort was accepted or refused.
    Aborted {
        id: String,
        result: Result<(), ClientError>,
    },
    /// The event stream opened.
    StreamUp,
    /// An event arrived.
    Event(Frame),
    /// The event stream dropped (`at`: the local time; `now`: when).
    StreamDown {
        reason: String,
        at: String,
        now: Instant,
    },
}

/// I/O the event loop should do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Fetch components and memberships.
    FetchInventory,
    /// Fetch everything about one node.
    FetchDetail(String),
    /// Read a node's power state from its BMC (through PCS).
    FetchPower(String),
    /// Read a node's power limits from its BMC (a PCS snapshot).
    FetchCap(String),
    /// Set one control of a node to `watts` (0 lifts it).
    SetCap {
        xname: String,
        control: String,
        watts: i64,
    },
    /// Fetch a list.
    FetchList(ListKind),
    /// Fetch the audit view with this query (`outcome=denied&subject=bob`).
    FetchAudit(String),
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    /// Open the event stream, resuming after an event when given.
    Subscribe(Option<u64>),
    /// Fetch these components again.
    FetchComponents(Vec<String>),
    /// Ask what an operation would do.
    PreviewTransition {
        operation: String,
        targets: Vec<String>,
    },
    /// Start an operation.
    StartTransition {
        operation: String,
        targets: Vec<String>,
    },
    /// Fetch a transition with its tasks.
    FetchTransition(String),
    /// Abort a transition.
    AbortTransition(String),
    /// Read the stored boot parameters of these names (again, after a refused write, when
    /// `conflict`).
    LoadBoot {
        targets: Vec<String>,
        conflict: bool,
    },
    /// Fetch an entry's history.
    FetchBootHistory(String),
    /// Start discovery of one Redfish endpoint.
    Discover(String),
    /// Read `DiscoveryStatus/0`.
    FetchDiscoveryStatus,
    /// Add nodes to (or remove them from) a group or partition, one call per node.
    ChangeMembers {
        partition: bool,
        name: String,
        add: bool,
        ids: Vec<String>,
    },
    /// Read a tenant for the form (again, after a refused write, when `conflict`).
    LoadTenant { name: String, conflict: bool },
    /// Write a tenant's spec: with `If-Match` when `etag` is given, else create only.
    SaveTenant {
        spec: Box<TenantSpec>,
        etag: Option<String>,
    },
    /// Delete a tenant.
    DeleteTenant(String),
    /// Add nodes (xname, Role) to a tenant.
    JoinTenant {
        name: String,
        nodes: Vec<(String, String)>,
    },
    /// Take nodes out of the tenants that hold them.
    ReleaseFromTenants(Vec<String>),
    /// Fetch the iPXE script a node gets now.
    FetchBootScript(String),
    /// Hand this text to `$EDITOR` (the event loop suspends the screen meanwhile).
    EditExternally(String),
    /// Write boot parameters.
    SaveBoot {
        targets: Vec<String>,
        params: Box<BootParams>,
        etag: Option<String>,
        create: bool,
    },
}

/// The `:` commands and their aliases.
pub const COMMANDS: &[(&str, &[&str])] = &[
    ("nodes", &["n", "no", "inventory", "components"]),
    ("groups", &["g", "group"]),
    ("partitions", &["p", "partition"]),
    ("endpoints", &["e", "ep", "redfish", "bmcs"]),
    ("power", &["pw", "transitions"]),
    ("boot", &["b", "bss"]),
    ("tenants", &["t", "tenant"]),
    ("audit", &["log"]),
    ("help", &["h"]),
    ("quit", &["q", "q!", "exit"]),
];

/// Reads a node's detail and its power state (shown as being read meanwhile).
fn fetch_detail(app: &mut App, xname: String) -> Vec<Command> {
    app.power_reads.insert(xname.clone(), PowerRead::Reading);
    app.cap_reads
        .insert(xname.clone(), super::cap::CapRead::Reading);
    vec![
        Command::FetchDetail(xname.clone()),
        Command::FetchPower(xname.clone()),
        Command::FetchCap(xname),
    ]
}

/// Applies one message.
pub fn update(app: &mut App, msg: Msg) -> Vec<Command> {
    match msg {
        Msg::Key(k) => key(app, k),
        Msg::Tick(now) => tick(app, now),
        Msg::Resize => {
            app.dirty = true;
            Vec::new()
        }
        Msg::Inventory { result, at } => {
            app.fetching = false;
            match result {
                Ok((comps, members)) => {
                    app.set_inventory(&comps, &members);
                    app.conn = Conn::Connected;
                    app.last_fresh = Some(at);
                }
                Err(e) => {
                    app.conn = Conn::Stale {
                        since: app.last_fresh.clone(),
                        error: e.to_string(),
                    };
                }
            }
            app.dirty = true;
            Vec::new()
        }
        Msg::List { kind, result } => {
            app.lists.insert(kind, result.map_err(|e| e.to_string()));
            app.dirty = true;
            Vec::new()
        }
        Msg::Tenants(result) => {
            let listed = result.as_ref().map(|t| ListData::tenants(t));
            app.lists
                .insert(ListKind::Tenants, listed.map_err(|e| e.to_string()));
            match result {
                Ok(t) => app.tenant_list = Some(t),
                Err(e) if app.picker.is_some() => {
                    app.picker = None;
                    say(app, format!("cannot read the tenants: {e}"), true);
                }
                Err(_) => {}
            }
            app.dirty = true;
            Vec::new()
        }
        Msg::TenantLoaded {
            name,
            conflict,
            result,
        } => {
            tenant::loaded(app, &name, conflict, result);
            app.dirty = true;
            Vec::new()
        }
        Msg::TenantSaved(result) => {
            app.dirty = true;
            tenant::saved(app, result)
        }
        Msg::TenantsChanged { what, result } => {
            app.dirty = true;
            tenant::done(app, &what, result)
        }
        Msg::Detail { xname, result } => {
            let data = match result {
                Ok(d) => DetailData::Loaded(d),
                Err(e) => DetailData::Failed(e.to_string()),
            };
            app.details.insert(xname, data);
            app.dirty = true;
            Vec::new()
        }
        Msg::Power { xname, result } => {
            let read = match result {
                Ok(v) => PowerRead::Read(v),
                Err(e) => PowerRead::Failed(e.to_string()),
            };
            app.power_reads.insert(xname, read);
            app.dirty = true;
            Vec::new()
        }
        Msg::Cap { xname, result } => {
            super::cap::read(app, xname, result);
            Vec::new()
        }
        Msg::CapSet { xname, result } => super::cap::set(app, xname, result),
        Msg::Components(result) => {
            app.fetching_some = false;
            match result {
                Ok(comps) => app.update_components(&comps),
                // Read everything again at the next tick instead.
                Err(_) => app.last_fetch = None,
            }
            Vec::new()
        }
        Msg::BootLoaded {
            targets,
            conflict,
            result,
        } => {
            app.dirty = true;
            boot::loaded(app, &targets, conflict, result.map(|b| *b))
        }
        Msg::BootScript { node, result } => {
            boot::previewed(app, &node, result);
            app.dirty = true;
            Vec::new()
        }
        Msg::EditedExternally(result) => {
            boot::edited_externally(app, result);
            app.dirty = true;
            Vec::new()
        }
        Msg::DiscoveryStarted { id, result } => match result {
            Ok(()) => {
                say(app, format!("discovering {id}…"), false);
                app.discovery = Some((id, None));
                // The DISCOVERY column shows DiscoveryStarted at once.
                match app.view() {
                    View::List { kind, .. } => vec![fetch_list(app, *kind)],
                    _ => Vec::new(),
                }
            }
            Err(e) => {
                say(app, format!("cannot discover {id}: {e}"), true);
                Vec::new()
            }
        },
        Msg::DiscoveryStatus(result) => discovery_status(app, result),
        Msg::MembersChanged { what, results } => {
            let failed: Vec<String> = results
                .iter()
                .filter_map(|(x, r)| r.as_ref().err().map(|e| format!("{x}: {e}")))
                .collect();
            let ok = results.len() - failed.len();
            match failed.first() {
                None => say(app, format!("{what}: {ok} done"), false),
                Some(first) => say(
                    app,
                    format!(
                        "{what}: {ok} done, {} failed (first: {first})",
                        failed.len()
                    ),
                    true,
                ),
            }
            // Memberships moved: read the inventory and the list again.
            app.last_fetch = None;
            if let View::List { kind, .. } = app.view() {
                return vec![fetch_list(app, *kind)];
            }
            Vec::new()
        }
        Msg::BootHistory { name, result } => {
            boot::history(app, &name, result);
            app.dirty = true;
            Vec::new()
        }
        Msg::BootSaved(result) => {
            app.dirty = true;
            boot::saved(app, result)
        }
        Msg::Previewed(result) => {
            power::previewed(app, result.map_err(|e| e.to_string()));
            app.dirty = true;
            Vec::new()
        }
        Msg::Started(result) => {
            app.dirty = true;
            power::started(app, result.map_err(|e| e.to_string()))
        }
        Msg::Transition { id, result } => {
            app.fetching_transition = false;
            let data = match result {
                Ok(mut t) => {
                    // Sorted once here, not at every frame.
                    if let Some(tasks) = t.tasks.as_mut() {
                        power::sort_tasks(tasks);
                    }
                    TransitionData::Loaded(t)
                }
                Err(e) => TransitionData::Failed(e.to_string()),
            };
            app.transitions.insert(id, data);
            app.dirty = true;
            Vec::new()
        }
        Msg::Aborted { id, result } => {
            let text = match result {
                Ok(()) => (format!("abort of {} accepted", power::short(&id)), false),
                Err(e) => (format!("abort refused: {e}"), true),
            };
            app.message = Some(text);
            app.transitions_due.insert(id);
            app.dirty = true;
            Vec::new()
        }
        Msg::StreamUp => {
            app.live = Live::Up;
            app.refresh = LIVE_REFRESH;
            app.dirty = true;
            Vec::new()
        }
        Msg::Event(f) => event(app, f),
        Msg::StreamDown { reason, at, now } => {
            app.live = Live::Down {
                since: at,
                reason,
                retry: now + RESUBSCRIBE,
            };
            app.refresh = POLL;
            app.dirty = true;
            Vec::new()
        }
    }
}

/// Applies one event from the core: rows change in place; anything that moves memberships,
/// or a gap in the stream, reads the whole inventory again.
fn event(app: &mut App, f: Frame) -> Vec<Command> {
    if let Some(id) = f.id {
        app.last_event = Some(id);
    }
    match f.event.as_str() {
        "components_changed" | "component_states_changed" => {
            app.pending.extend(f.ids());
        }
        "components_deleted" if f.data["all"] == true => app.last_fetch = None,
        "components_deleted" => {
            let ids = f.ids();
            for id in &ids {
                app.pending.remove(id);
            }
            app.remove_components(&ids);
        }
        "group_changed" | "partition_changed" | "reset" => {
            app.last_fetch = None;
        }
        "audited" | "tenant_changed" | "boot_changed" => {
            let kind = if f.event == "audited" {
                ListKind::Audit
            } else if f.event == "boot_changed" {
                ListKind::Boot
            } else {
                app.last_fetch = None;
                app.tenant_list = None;
                ListKind::Tenants
            };
            // The open `t` picker needs the tenants too.
            let picking = kind == ListKind::Tenants && app.picker.is_some();
            if picking || matches!(app.view(), View::List { kind: k, .. } if *k == kind) {
                return vec![fetch_list(app, kind)];
            }
        }
        "transition_changed" => {
            let id = f.data["id"].as_str().unwrap_or_default().to_string();
            if app.transitions.contains_key(&id) {
                app.transitions_due.insert(id);
            }
            if let View::List {
                kind: ListKind::Transitions,
                ..
            } = app.view()
            {
                return vec![Command::FetchList(ListKind::Transitions)];
            }
        }
        // A fresh subscription may have missed changes; a resumed one has them replayed.
        "ready" if !app.resumed && app.last_fresh.is_some() => app.last_fetch = None,
        _ => {}
    }
    Vec::new()
}

fn tick(app: &mut App, now: Instant) -> Vec<Command> {
    let mut out = Vec::new();
    let subscribe = match &app.live {
        Live::Off => true,
        Live::Down { retry, .. } => now >= *retry,
        Live::Connecting | Live::Up => false,
    };
    if subscribe {
        app.live = Live::Connecting;
        app.resumed = app.last_event.is_some();
        out.push(Command::Subscribe(app.last_event));
    }
    // Without the event stream, the transition on screen is read again each tick.
    if let View::Transition { id, .. } = app.view() {
        let running = !matches!(app.transitions.get(id),
            Some(TransitionData::Loaded(t)) if t.status.is_final());
        if app.live != Live::Up && running {
            let id = id.clone();
            app.transitions_due.insert(id);
        }
    }
    if !app.fetching_transition {
        if let Some(id) = app.transitions_due.pop_first() {
            app.fetching_transition = true;
            out.push(Command::FetchTransition(id));
        }
    }
    if !app.pending.is_empty() && !app.fetching_some {
        app.fetching_some = true;
        out.push(Command::FetchComponents(
            std::mem::take(&mut app.pending).into_iter().collect(),
        ));
    }
    // A discovery the console started is followed until the core says it is complete.
    if let Some((_, due)) = &mut app.discovery {
        if due.is_none_or(|d| now >= d) {
            *due = Some(now + DISCOVERY_POLL);
            out.push(Command::FetchDiscoveryStatus);
        }
    }
    out.extend(refresh(app, now));
    out
}

/// How often a running discovery's status is read.
const DISCOVERY_POLL: Duration = Duration::from_secs(1);

/// `D` in `:endpoints`: discovers the endpoint under the cursor.
fn discover(app: &mut App) -> Vec<Command> {
    let View::List {
        kind: ListKind::Endpoints,
        cursor,
    } = app.view().clone()
    else {
        say(
            app,
            "discovery works on :endpoints (the row under the cursor)",
            true,
        );
        return Vec::new();
    };
    if app.read_only {
        say(app, "read-only console: discovery is off", true);
        return Vec::new();
    }
    if let Some((running, _)) = &app.discovery {
        say(
            app,
            format!("discovery of {running} is still running"),
            true,
        );
        return Vec::new();
    }
    match list_key(app, ListKind::Endpoints, cursor) {
        Some(id) => vec![Command::Discover(id)],
        None => Vec::new(),
    }
}

/// A status read of the discovery the console follows: when complete, says how it went for
/// that endpoint and reads the endpoints again.
fn discovery_status(app: &mut App, result: Result<serde_json::Value, ClientError>) -> Vec<Command> {
    let Some((id, _)) = app.discovery.clone() else {
        return Vec::new();
    };
    let status = match result {
        Ok(s) => s,
        Err(e) => {
            // The next tick asks again; the reason stays on screen meanwhile.
            say(
                app,
                format!("discovery of {id}: cannot read its status: {e}"),
                true,
            );
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    if let View::List {
        kind: ListKind::Endpoints,
        ..
    } = app.view()
    {
        out.push(fetch_list(app, ListKind::Endpoints));
    }
    if status["Status"] != "Complete" {
        return out;
    }
    app.discovery = None;
    let detail = &status["Details"][id.as_str()];
    let outcome = detail["LastDiscoveryStatus"].as_str().unwrap_or("unknown");
    match detail["Error"].as_str().filter(|e| !e.is_empty()) {
        None if outcome == "DiscoverOK" => say(app, format!("discovery of {id}: {outcome}"), false),
        None => say(app, format!("discovery of {id}: {outcome}"), true),
        Some(e) => say(app, format!("discovery of {id}: {outcome}: {e}"), true),
    }
    // What discovery found is new inventory.
    app.last_fetch = None;
    out
}

fn refresh(app: &mut App, now: Instant) -> Vec<Command> {
    let due = app
        .last_fetch
        .is_none_or(|t| now.duration_since(t) >= app.refresh);
    if due && !app.fetching {
        app.fetching = true;
        app.last_fetch = Some(now);
        return vec![Command::FetchInventory];
    }
    Vec::new()
}

fn say(app: &mut App, text: impl Into<String>, error: bool) {
    app.message = Some((text.into(), error));
    app.dirty = true;
}

fn key(app: &mut App, k: KeyEvent) -> Vec<Command> {
    app.dirty = true;
    // ctrl-c always quits, whatever is being typed.
    if k.code == KeyCode::Char('c') && k.modifiers.contains(KeyModifiers::CONTROL) {
        app.quit = true;
        return Vec::new();
    }
    if app.dialog.is_some() {
        return power::dialog_key(app, k);
    }
    if app.editor.is_some() {
        return boot::key(app, k);
    }
    if app.tenant_form.is_some() {
        return tenant::form_key(app, k);
    }
    if app.picker.is_some() {
        return tenant::picker_key(app, k);
    }
    match app.input.clone() {
        Input::Filter(text) => filter_key(app, text, k),
        Input::Command(text) => command_key(app, text, k),
        Input::Cap {
            xname,
            control,
            text,
        } => super::cap::key(app, xname, control, text, k),
        Input::Confirm { prompt, command } => {
            app.input = Input::None;
            if k.code == KeyCode::Char('y') {
                // The answer can take a while for many nodes: say it is under way.
                let doing = prompt.trim_end_matches("? y/N");
                say(app, format!("{doing}: working..."), false);
                return vec![*command];
            }
            say(app, "cancelled: nothing was changed", false);
            Vec::new()
        }
        Input::SortPending => {
            app.input = Input::None;
            if let KeyCode::Char(c) = k.code {
                match Column::from_key(c) {
                    Some(col) => sort_by(app, col),
                    None => say(app, format!("no column for '{c}'"), true),
                }
            }
            Vec::new()
        }
        Input::None => {
            let Some(action) = app.keymap.action(&k) else {
                // A shifted column letter sorts directly when nothing else uses it.
                if let KeyCode::Char(c) = k.code {
                    if c.is_ascii_uppercase() {
                        if let Some(col) = Column::from_key(c) {
                            sort_by(app, col);
                        }
                    }
                }
                return Vec::new();
            };
            act(app, action)
        }
    }
}

fn sort_by(app: &mut App, col: Column) {
    app.sort = if app.sort.0 == col {
        (col, !app.sort.1)
    } else {
        (col, false)
    };
    app.recompute();
}

fn apply_filter(app: &mut App, text: &str) -> bool {
    match Filter::parse(text) {
        Ok(f) => {
            app.filter = f;
            app.filter_text = text.to_string();
            app.message = None;
            app.recompute();
            true
        }
        Err(e) => {
            say(app, e, true);
            false
        }
    }
}

fn filter_key(app: &mut App, mut text: String, k: KeyEvent) -> Vec<Command> {
    match k.code {
        KeyCode::Esc => {
            // Typing is abandoned; the filter applied before `/` comes back.
            let old = app.filter_before.take().unwrap_or_default();
            apply_filter(app, &old);
            app.input = Input::None;
        }
        KeyCode::Enter => {
            app.filter_before = None;
            app.input = Input::None;
        }
        KeyCode::Backspace => {
            text.pop();
            apply_filter(app, &text);
            app.input = Input::Filter(text);
        }
        KeyCode::Char(c) => {
            text.push(c);
            // Incremental: each keystroke applies when it parses; a half-typed word that does
            // not parse yet keeps the last good filter.
            apply_filter(app, &text);
            app.input = Input::Filter(text);
        }
        _ => {}
    }
    Vec::new()
}

/// Names and aliases of `:` commands that start with `prefix`.
pub fn complete(prefix: &str) -> Vec<&'static str> {
    COMMANDS
        .iter()
        .filter(|(name, aliases)| {
            name.starts_with(prefix) || aliases.iter().any(|a| a.starts_with(prefix))
        })
        .map(|(name, _)| *name)
        .collect()
}

fn command_key(app: &mut App, mut text: String, k: KeyEvent) -> Vec<Command> {
    match k.code {
        KeyCode::Esc => app.input = Input::None,
        KeyCode::Backspace => {
            text.pop();
            app.input = Input::Command(text);
        }
        KeyCode::Tab => {
            let found = complete(text.trim());
            match found.as_slice() {
                [one] => app.input = Input::Command(one.to_string()),
                [] => say(
                    app,
                    format!("no command starts with '{}'", text.trim()),
                    true,
                ),
                many => say(app, many.join("  "), false),
            }
        }
        KeyCode::Enter => {
            app.input = Input::None;
            return run_command(app, text.trim());
        }
        KeyCode::Char(c) => {
            text.push(c);
            app.input = Input::Command(text);
        }
        _ => {}
    }
    Vec::new()
}

fn run_command(app: &mut App, text: &str) -> Vec<Command> {
    if text.is_empty() {
        return Vec::new();
    }
    // `:audit outcome=denied subject=bob` carries the audit view's filters.
    let (text, args) = text.split_once(' ').unwrap_or((text, ""));
    if matches!(text, "audit" | "log") {
        app.audit_query = args.split_whitespace().collect::<Vec<_>>().join("&");
    }
    let found = COMMANDS
        .iter()
        .find(|(name, aliases)| *name == text || aliases.contains(&text));
    match found {
        Some(("quit", _)) => app.quit = true,
        Some(("help", _)) => app.help = true,
        Some(("nodes", _)) => {
            app.views.truncate(1);
            app.message = None;
        }
        Some((name, _)) => {
            if let Some(kind) = list_kind(name) {
                return open_list(app, kind);
            }
        }
        None => say(
            app,
            format!("unknown command ':{text}' (tab completes; :help lists keys)"),
            true,
        ),
    }
    Vec::new()
}

fn list_kind(name: &str) -> Option<ListKind> {
    [
        ListKind::Groups,
        ListKind::Partitions,
        ListKind::Endpoints,
        ListKind::Transitions,
        ListKind::Tenants,
        ListKind::Audit,
        ListKind::Boot,
    ]
    .into_iter()
    .find(|k| k.name() == name)
}

fn open_list(app: &mut App, kind: ListKind) -> Vec<Command> {
    app.views.truncate(1);
    app.views.push(View::List { kind, cursor: 0 });
    app.message = None;
    vec![fetch_list(app, kind)]
}

/// The command that loads a list view.
fn fetch_list(app: &App, kind: ListKind) -> Command {
    match kind {
        ListKind::Audit => Command::FetchAudit(app.audit_query.clone()),
        other => Command::FetchList(other),
    }
}

/// `+`/`-` in `:groups` or `:partitions`: asks to add the marked nodes to the set under the
/// cursor, or remove them from it.
fn members(app: &mut App, add: bool) -> Vec<Command> {
    let View::List { kind, cursor } = app.view().clone() else {
        return Vec::new();
    };
    let partition = match kind {
        ListKind::Groups => false,
        ListKind::Partitions => true,
        _ => return Vec::new(),
    };
    if app.read_only {
        say(app, "read-only console: membership changes are off", true);
        return Vec::new();
    }
    let Some(key) = list_key(app, kind, cursor) else {
        return Vec::new();
    };
    let name = key
        .split_once('=')
        .map_or(key.as_str(), |(_, n)| n)
        .to_string();
    if app.marks.is_empty() {
        say(
            app,
            "mark nodes in the inventory first (space, V, ctrl-a), then come back",
            true,
        );
        return Vec::new();
    }
    let ids: Vec<String> = app.marks.iter().cloned().collect();
    let set = if partition { "partition" } else { "group" };
    let prompt = format!(
        "{} {} node(s) {} {set} {name}: {}? y/N",
        if add { "add" } else { "remove" },
        ids.len(),
        if add { "to" } else { "from" },
        crate::model::hostlist::compress(&ids)
    );
    app.input = Input::Confirm {
        prompt,
        command: Box::new(Command::ChangeMembers {
            partition,
            name,
            add,
            ids,
        }),
    };
    Vec::new()
}

/// The name of the tenant under the cursor of `:tenants`.
fn tenant_at(app: &App, cursor: usize) -> Option<String> {
    match app.lists.get(&ListKind::Tenants) {
        Some(Ok(list)) => list
            .rows
            .get(cursor)
            .and_then(|(_, cells)| cells.first().cloned()),
        _ => None,
    }
}

/// The key of a list's row.
fn list_key(app: &App, kind: ListKind, cursor: usize) -> Option<String> {
    match app.lists.get(&kind) {
        Some(Ok(list)) => list.rows.get(cursor).map(|(k, _)| k.clone()),
        _ => None,
    }
}

fn act(app: &mut App, action: Action) -> Vec<Command> {
    if app.help {
        // The help takes the scrolling keys; nothing else acts behind it.
        let s = &mut app.help_scroll;
        match action {
            Action::Up => *s = s.saturating_sub(1),
            Action::Down => *s = s.saturating_add(1).min(app.help_max_scroll),
            Action::PageUp => *s = s.saturating_sub(10),
            Action::PageDown => *s = s.saturating_add(10).min(app.help_max_scroll),
            Action::Top => *s = 0,
            Action::Bottom => *s = app.help_max_scroll,
            _ => {}
        }
        if !matches!(action, Action::Help | Action::Back | Action::Quit) {
            return Vec::new();
        }
    }
    if !app.read_only && !app.may(action) {
        let role = match action.needs() {
            super::keymap::Need::Admin => "admin",
            _ => "operator or admin",
        };
        say(app, format!("that needs the {role} role"), true);
        return Vec::new();
    }
    match action {
        Action::Quit => app.quit = true,
        Action::Help => {
            app.help = !app.help;
            app.help_scroll = 0;
        }
        Action::Back => {
            if app.help {
                app.help = false;
            } else if app.views.len() > 1 {
                app.views.pop();
            } else if !app.marks.is_empty() {
                app.marks.clear();
                app.anchor = None;
            } else if !app.filter.is_empty() {
                apply_filter(app, "");
            }
            app.message = None;
        }
        Action::Filter => {
            if *app.view() == View::Inventory {
                app.filter_before = Some(app.filter_text.clone());
                app.input = Input::Filter(app.filter_text.clone());
            }
        }
        Action::Command => app.input = Input::Command(String::new()),
        Action::PowerCap => return super::cap::begin(app),
        Action::Sort => {
            if *app.view() == View::Inventory {
                app.input = Input::SortPending;
            }
        }
        Action::Refresh => {
            if let View::List { kind, .. } = app.view() {
                return vec![fetch_list(app, *kind)];
            }
            if let View::Detail { xname, .. } = app.view() {
                // The loaded detail stays on screen until the new one arrives.
                let x = xname.clone();
                return fetch_detail(app, x);
            }
            if !app.fetching {
                app.fetching = true;
                return vec![Command::FetchInventory];
            }
        }
        Action::Copy => {
            let x = match app.view() {
                View::Detail { xname, .. } => Some(xname.clone()),
                View::Inventory => app.cursor.clone(),
                View::List { .. } | View::Transition { .. } => None,
            };
            if let Some(x) = x {
                say(app, format!("copied {x}"), false);
                return vec![Command::Copy(x)];
            }
        }
        Action::Power => match app.view().clone() {
            View::Inventory => power::open_menu(app),
            View::Detail { xname, .. } if !app.read_only => {
                app.dialog = Some(power::Dialog::Menu {
                    targets: vec![xname],
                    cursor: 0,
                });
            }
            _ => {}
        },
        Action::Edit | Action::EditExternally => {
            if let View::List {
                kind: ListKind::Tenants,
                cursor,
            } = app.view().clone()
            {
                return match tenant_at(app, cursor) {
                    Some(name) => tenant::edit_tenant(app, name),
                    None => Vec::new(),
                };
            }
            let targets = match app.view().clone() {
                View::Inventory => power::targets(app),
                View::Detail { xname, .. } => vec![xname],
                View::List {
                    kind: ListKind::Boot,
                    cursor,
                } => list_key(app, ListKind::Boot, cursor).into_iter().collect(),
                _ => return Vec::new(),
            };
            return boot::open(app, targets, action == Action::EditExternally);
        }
        Action::Abort => {
            if let View::Transition { id, .. } = app.view().clone() {
                return power::abort(app, &id);
            }
        }
        Action::AddMembers | Action::RemoveMembers => {
            return members(app, action == Action::AddMembers);
        }
        Action::NewTenant => {
            if matches!(
                app.view(),
                View::List {
                    kind: ListKind::Tenants,
                    ..
                }
            ) {
                return tenant::new_tenant(app);
            }
        }
        Action::Delete => {
            if let View::List {
                kind: ListKind::Tenants,
                cursor,
            } = app.view().clone()
            {
                let row = match app.lists.get(&ListKind::Tenants) {
                    Some(Ok(list)) => list.rows.get(cursor).cloned(),
                    _ => None,
                };
                // The row's key is the tenant's nodes as a hostlist; its cells start with
                // the name, the state and the count.
                if let Some((nodes, cells)) = row {
                    let count = cells.get(2).cloned().unwrap_or_default();
                    let name = cells.first().cloned().unwrap_or_default();
                    return tenant::delete(app, name, &count, &nodes);
                }
            }
        }
        Action::Discover => return discover(app),
        Action::AssignTenant => {
            let targets = match app.view().clone() {
                View::Inventory => power::targets(app),
                View::Detail { xname, .. } => vec![xname],
                _ => return Vec::new(),
            };
            return tenant::open_picker(app, targets);
        }
        Action::Retry => {
            if let View::Transition { id, .. } = app.view().clone() {
                power::retry_failed(app, &id);
            }
        }
        Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom => move_cursor(app, action),
        Action::Open => {
            if let View::List { kind, cursor } = app.view().clone() {
                let key = list_key(app, kind, cursor);
                if let Some(key) = key {
                    if kind == ListKind::Transitions {
                        return power::open_transition(app, key);
                    }
                    if kind == ListKind::Boot {
                        return boot::open(app, vec![key], false);
                    }
                    if key.is_empty() {
                        say(app, "this row names no node to filter by", false);
                        return Vec::new();
                    }
                    app.views.truncate(1);
                    app.pinned = None;
                    apply_filter(app, &key);
                }
                return Vec::new();
            }
            if let Some(x) = app
                .cursor
                .clone()
                .filter(|_| *app.view() == View::Inventory)
            {
                app.views.push(View::Detail {
                    xname: x.clone(),
                    scroll: 0,
                });
                app.details.insert(x.clone(), DetailData::Loading);
                return fetch_detail(app, x);
            }
        }
        Action::Mark => {
            if let Some(x) = app.cursor.clone() {
                if !app.marks.remove(&x) {
                    app.marks.insert(x.clone());
                }
                app.anchor = Some(x);
                move_cursor(app, Action::Down);
            }
        }
        Action::MarkRange => {
            let (Some(a), Some(c)) = (app.anchor.clone(), app.cursor_index()) else {
                return Vec::new();
            };
            if let Some(ai) = app
                .visible
                .iter()
                .position(|&i| app.rows[i].xname.as_str() == a)
            {
                let (lo, hi) = (ai.min(c), ai.max(c));
                for &i in &app.visible[lo..=hi] {
                    app.marks.insert(app.rows[i].xname.to_string());
                }
            }
        }
        Action::MarkAll => {
            for &i in &app.visible {
                app.marks.insert(app.rows[i].xname.to_string());
            }
        }
        Action::InvertMarks => {
            for &i in &app.visible {
                let x = app.rows[i].xname.as_str();
                if !app.marks.remove(x) {
                    app.marks.insert(x.to_string());
                }
            }
        }
    }
    Vec::new()
}

fn move_cursor(app: &mut App, action: Action) {
    if let Some(View::List { kind, cursor }) = app.views.last().cloned() {
        let n = match app.lists.get(&kind) {
            Some(Ok(l)) => l.rows.len(),
            _ => 0,
        };
        let last = n.saturating_sub(1);
        let page = app.page.max(1);
        let to = match action {
            Action::Up => cursor.saturating_sub(1),
            Action::Down => (cursor + 1).min(last),
            Action::PageUp => cursor.saturating_sub(page),
            Action::PageDown => (cursor + page).min(last),
            Action::Top => 0,
            _ => last,
        };
        if let Some(View::List { cursor, .. }) = app.views.last_mut() {
            *cursor = to;
        }
        return;
    }
    if let Some(View::Transition { id, scroll }) = app.views.last_mut() {
        let n = match app.transitions.get(id.as_str()) {
            Some(TransitionData::Loaded(t)) => t.tasks.as_ref().map_or(0, Vec::len),
            _ => 0,
        };
        let last = n.saturating_sub(1);
        let page = app.page.max(1);
        *scroll = match action {
            Action::Up => scroll.saturating_sub(1),
            Action::Down => (*scroll + 1).min(last),
            Action::PageUp => scroll.saturating_sub(page),
            Action::PageDown => (*scroll + page).min(last),
            Action::Top => 0,
            _ => last,
        };
        return;
    }
    let max = app.detail_max_scroll;
    let page = app.page.max(1) as u16;
    if let Some(View::Detail { scroll, .. }) = app.views.last_mut() {
        *scroll = match action {
            Action::Up => scroll.saturating_sub(1),
            Action::Down => scroll.saturating_add(1),
            Action::PageUp => scroll.saturating_sub(page),
            Action::PageDown => scroll.saturating_add(page),
            Action::Top => 0,
            _ => max,
        }
        .min(max);
        return;
    }
    if app.visible.is_empty() {
        return;
    }
    let last = app.visible.len() - 1;
    let at = app.cursor_index().unwrap_or(0);
    let page = app.page.max(1);
    let to = match action {
        Action::Up => at.saturating_sub(1),
        Action::Down => (at + 1).min(last),
        Action::PageUp => at.saturating_sub(page),
        Action::PageDown => (at + page).min(last),
        Action::Top => 0,
        _ => last,
    };
    app.cursor = Some(app.rows[app.visible[to]].xname.to_string());
    app.pinned = app.cursor.clone();
    app.scroll_to_cursor();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::component::Component;
    use crate::model::enums::{Role, State};
    use crate::model::group::Membership;
    use crate::tui::keymap::Keymap;
    use serde_json::json;

    fn inventory(n: usize) -> Msg {
        let comps: Vec<Component> = (0..n)
            .map(|i| {
                let mut c = Component::new(
                    format!("x1000c0s{}b0n{}", i / 2, i % 2).parse().unwrap(),
                    if i % 3 == 0 { State::Off } else { State::Ready },
                );
                c.role = Some(if i == 0 {
                    Role::Management
                } else {
                    Role::Compute
                });
                c.nid = Some(i as i64 + 1);
                c
            })
            .collect();
        let members = vec![Membership {
            id: "x1000c0s0b0n1".parse().unwrap(),
            group_labels: vec!["blue".into()],
            partition_name: "p1".into(),
        }];
        Msg::Inventory {
            result: Ok((comps, members)),
            at: "10:00:00".into(),
        }
    }

    fn app_with(n: usize) -> App {
        let mut app = App::new(
            "https://core",
            ("t".into(), vec![]),
            false,
            Keymap::default(),
        );
        update(&mut app, inventory(n));
        app
    }

    fn press(app: &mut App, code: KeyCode) -> Vec<Command> {
        update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    fn ctrl(app: &mut App, c: char) -> Vec<Command> {
        update(
            app,
            Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
        )
    }

    fn typed(app: &mut App, text: &str) {
        for c in text.chars() {
            press(app, KeyCode::Char(c));
        }
    }

    fn shown(app: &App) -> Vec<&str> {
        app.visible
            .iter()
            .map(|&i| app.rows[i].xname.as_str())
            .collect()
    }

    #[test]
    fn marks_toggle_range_all_invert_clear() {
        let mut app = app_with(10);
        assert_eq!(app.cursor.as_deref(), Some("x1000c0s0b0n0"));
        press(&mut app, KeyCode::Char(' '));
        assert!(app.marks.contains("x1000c0s0b0n0"));
        assert_eq!(
            app.cursor.as_deref(),
            Some("x1000c0s0b0n1"),
            "space moves down"
        );
        press(&mut app, KeyCode::Down);
        press(&mut app, KeyCode::Down);
        press(&mut app, KeyCode::Char('V'));
        assert_eq!(app.marks.len(), 4, "{:?}", app.marks);
        ctrl(&mut app, 'a');
        assert_eq!(app.marks.len(), 10);
        press(&mut app, KeyCode::Tab); // ctrl-i
        assert!(app.marks.is_empty());
        press(&mut app, KeyCode::Char(' '));
        press(&mut app, KeyCode::Esc);
        assert!(app.marks.is_empty(), "esc clears marks");
    }

    #[test]
    fn filter_is_incremental_and_esc_restores() {
        let mut app = app_with(10);
        press(&mut app, KeyCode::Char('/'));
        typed(&mut app, "state=off");
        assert_eq!(shown(&app).len(), 4);
        press(&mut app, KeyCode::Enter);
        assert_eq!(app.input, Input::None);
        // Editing then esc brings the committed filter back.
        press(&mut app, KeyCode::Char('/'));
        typed(&mut app, " role=management");
        assert_eq!(shown(&app), ["x1000c0s0b0n0"]);
        press(&mut app, KeyCode::Esc);
        assert_eq!(app.filter_text, "state=off");
        assert_eq!(shown(&app).len(), 4);
        // A word that does not parse is reported; esc goes back to the committed filter.
        press(&mut app, KeyCode::Char('/'));
        typed(&mut app, " colour=red");
        let (text, is_error) = app.message.clone().unwrap();
        assert!(
            is_error && text.contains("unknown field 'colour'"),
            "{text}"
        );
        press(&mut app, KeyCode::Esc);
        assert_eq!(shown(&app).len(), 4);
        // Hostlists and groups.
        press(&mut app, KeyCode::Char('/'));
        for _ in 0..40 {
            press(&mut app, KeyCode::Backspace);
        }
        typed(&mut app, "x1000c0s[0-1]b0n1");
        assert_eq!(shown(&app), ["x1000c0s0b0n1", "x1000c0s1b0n1"]);
        for _ in 0..40 {
            press(&mut app, KeyCode::Backspace);
        }
        typed(&mut app, "group=blue");
        assert_eq!(shown(&app), ["x1000c0s0b0n1"]);
        press(&mut app, KeyCode::Esc);
    }

    #[test]
    fn cursor_and_marks_survive_refresh_sort_and_filter() {
        let mut app = app_with(10);
        for _ in 0..5 {
            press(&mut app, KeyCode::Down);
        }
        let here = app.cursor.clone().unwrap();
        assert_eq!(here, "x1000c0s2b0n1");
        press(&mut app, KeyCode::Char(' '));
        press(&mut app, KeyCode::Up);
        assert_eq!(app.cursor.as_deref(), Some(here.as_str()));

        press(&mut app, KeyCode::Char('s'));
        press(&mut app, KeyCode::Char('s'));
        assert_eq!(app.sort, (Column::State, false));
        assert_eq!(shown(&app)[0], "x1000c0s0b0n0", "Off sorts before Ready");
        assert_eq!(app.cursor.as_deref(), Some(here.as_str()));
        press(&mut app, KeyCode::Char('S'));
        assert_eq!(
            app.sort,
            (Column::State, true),
            "shift-letter toggles direction"
        );
        assert_eq!(app.cursor.as_deref(), Some(here.as_str()));

        press(&mut app, KeyCode::Char('/'));
        typed(&mut app, "state=ready");
        press(&mut app, KeyCode::Enter);
        assert_eq!(app.cursor.as_deref(), Some(here.as_str()));

        // A refresh with more components keeps filter, sort, cursor and marks.
        update(&mut app, inventory(12));
        assert_eq!(app.rows.len(), 12);
        assert_eq!(shown(&app).len(), 8, "12 minus the four Off");
        assert_eq!(app.sort, (Column::State, true));
        assert_eq!(app.cursor.as_deref(), Some(here.as_str()));
        assert!(app.marks.contains(&here));
        assert_eq!(app.marks.len(), 1);
    }

    #[test]
    fn a_power_limit_is_typed_in_the_detail_and_sent() {
        use crate::model::power_cap::{CapComponent, CapControl};
        let mut app = app_with(2);
        let x = "x1000c0s0b0n0".to_string();
        // Not in a detail: nothing to cap.
        assert!(press(&mut app, KeyCode::Char('W')).is_empty());
        assert!(app.message.as_ref().unwrap().1);
        press(&mut app, KeyCode::Enter);
        // Not read yet: refused, said why.
        assert!(press(&mut app, KeyCode::Char('W')).is_empty());
        assert!(app.message.as_ref().unwrap().0.contains("not read yet"));
        let read = CapComponent {
            xname: x.clone(),
            power_cap_limits: vec![CapControl {
                name: "Node Power Limit".into(),
                current_value: Some(0),
                maximum_value: Some(850),
                minimum_value: Some(350),
            }],
            ..CapComponent::default()
        };
        update(
            &mut app,
            Msg::Cap {
                xname: x.clone(),
                result: Ok(read.clone()),
            },
        );
        press(&mut app, KeyCode::Char('W'));
        for c in ['5', 'x', '0', '0'] {
            press(&mut app, KeyCode::Char(c));
        }
        assert_eq!(
            app.input,
            Input::Cap {
                xname: x.clone(),
                control: "Node Power Limit".into(),
                text: "500".into()
            }
        );
        assert_eq!(
            press(&mut app, KeyCode::Enter),
            [Command::SetCap {
                xname: x.clone(),
                control: "Node Power Limit".into(),
                watts: 500
            }]
        );
        assert_eq!(app.input, Input::None);
        // The answer is said, and the limits read again.
        let mut done = read.clone();
        done.power_cap_limits[0].current_value = Some(500);
        let cmds = update(
            &mut app,
            Msg::CapSet {
                xname: x.clone(),
                result: Ok(done),
            },
        );
        assert_eq!(cmds, [Command::FetchCap(x.clone())]);
        assert_eq!(
            app.message,
            Some((format!("power limit of {x} set to 500 W"), false))
        );
        // A refusal from the core is shown as an error; Esc abandons typing.
        let mut refused = read.clone();
        refused.error = "Control (Node Power Limit) value (100) is less than minimum (350)".into();
        update(
            &mut app,
            Msg::CapSet {
                xname: x.clone(),
                result: Ok(refused),
            },
        );
        assert!(app
            .message
            .as_ref()
            .unwrap()
            .0
            .contains("less than minimum"));
        update(
            &mut app,
            Msg::Cap {
                xname: x.clone(),
                result: Ok(read),
            },
        );
        press(&mut app, KeyCode::Char('W'));
        press(&mut app, KeyCode::Char('7'));
        assert!(press(&mut app, KeyCode::Esc).is_empty());
        assert_eq!(app.input, Input::None);
    }

    #[test]
    fn navigation_detail_help_and_commands() {
        let mut app = app_with(4);
        let cmds = press(&mut app, KeyCode::Enter);
        assert_eq!(
            cmds,
            [
                Command::FetchDetail("x1000c0s0b0n0".into()),
                Command::FetchPower("x1000c0s0b0n0".into()),
                Command::FetchCap("x1000c0s0b0n0".into())
            ]
        );
        assert_eq!(app.power_reads["x1000c0s0b0n0"], PowerRead::Reading);
        let read = serde_json::json!({"xname": "x1000c0s0b0n0", "powerState": "on"});
        update(
            &mut app,
            Msg::Power {
                xname: "x1000c0s0b0n0".into(),
                result: Ok(read.clone()),
            },
        );
        assert_eq!(app.power_reads["x1000c0s0b0n0"], PowerRead::Read(read));
        // Refreshing the detail reads both again.
        assert_eq!(
            ctrl(&mut app, 'r'),
            [
                Command::FetchDetail("x1000c0s0b0n0".into()),
                Command::FetchPower("x1000c0s0b0n0".into()),
                Command::FetchCap("x1000c0s0b0n0".into())
            ]
        );
        assert_eq!(app.power_reads["x1000c0s0b0n0"], PowerRead::Reading);
        assert!(matches!(app.view(), View::Detail { .. }));
        assert_eq!(
            press(&mut app, KeyCode::Char('y')),
            [Command::Copy("x1000c0s0b0n0".into())]
        );
        // Scrolling the detail stops at its last line.
        app.detail_max_scroll = 5;
        press(&mut app, KeyCode::End);
        let scroll = |app: &App| match app.view() {
            View::Detail { scroll, .. } => *scroll,
            other => panic!("{other:?}"),
        };
        assert_eq!(scroll(&app), 5);
        press(&mut app, KeyCode::Down);
        assert_eq!(scroll(&app), 5);
        press(&mut app, KeyCode::Up);
        assert_eq!(scroll(&app), 4);
        press(&mut app, KeyCode::Esc);
        assert_eq!(*app.view(), View::Inventory);
        press(&mut app, KeyCode::Char('?'));
        assert!(app.help);
        press(&mut app, KeyCode::Down);
        assert_eq!(
            app.cursor.as_deref(),
            Some("x1000c0s0b0n0"),
            "help swallows keys"
        );
        press(&mut app, KeyCode::Esc);
        assert!(!app.help);
        press(&mut app, KeyCode::Char(':'));
        typed(&mut app, "pow");
        press(&mut app, KeyCode::Tab);
        assert_eq!(app.input, Input::Command("power".into()));
        let cmds = press(&mut app, KeyCode::Enter);
        assert_eq!(cmds, [Command::FetchList(ListKind::Transitions)]);
        assert_eq!(app.view().crumb(), "power");
        press(&mut app, KeyCode::Char(':'));
        typed(&mut app, "boot");
        let cmds = press(&mut app, KeyCode::Enter);
        assert_eq!(cmds, [Command::FetchList(ListKind::Boot)]);
        assert_eq!(app.view().crumb(), "boot");
        press(&mut app, KeyCode::Char(':'));
        typed(&mut app, "bogus");
        press(&mut app, KeyCode::Enter);
        assert!(
            app.message.as_ref().unwrap().1,
            "unknown command is an error"
        );
        press(&mut app, KeyCode::Char(':'));
        typed(&mut app, "q");
        press(&mut app, KeyCode::Enter);
        assert!(app.quit);
    }

    #[test]
    fn list_views_open_move_and_filter_the_inventory() {
        use crate::model::group::{Group, Members};
        let mut app = app_with(10);
        press(&mut app, KeyCode::Char(':'));
        typed(&mut app, "g");
        let cmds = press(&mut app, KeyCode::Enter);
        assert_eq!(cmds, [Command::FetchList(ListKind::Groups)]);
        assert_eq!(app.view().crumb(), "groups");
        let group = |label: &str| Group {
            label: label.into(),
            description: String::new(),
            tags: vec![],
            exclusive_group: String::new(),
            members: Members::default(),
        };
        update(
            &mut app,
            Msg::List {
                kind: ListKind::Groups,
                result: Ok(ListData::groups(&[group("blue"), group("red")])),
            },
        );
        press(&mut app, KeyCode::Down);
        press(&mut app, KeyCode::Down);
        assert_eq!(
            app.view(),
            &View::List {
                kind: ListKind::Groups,
                cursor: 1
            },
            "stops at the last row"
        );
        assert_eq!(
            update(
                &mut app,
                Msg::Key(KeyEvent::new(KeyCode::Char('r'), KeyModifiers::CONTROL))
            ),
            [Command::FetchList(ListKind::Groups)]
        );
        press(&mut app, KeyCode::Up);
        press(&mut app, KeyCode::Enter);
        assert_eq!(*app.view(), View::Inventory);
        assert_eq!(app.filter_text, "group=blue");
        assert_eq!(shown(&app), ["x1000c0s0b0n1"]);
        // A failed load is kept as its reason.
        press(&mut app, KeyCode::Char(':'));
        typed(&mut app, "endpoints");
        press(&mut app, KeyCode::Enter);
        update(
            &mut app,
            Msg::List {
                kind: ListKind::Endpoints,
                result: Err(ClientError::Api {
                    status: 403,
                    detail: "no".into(),
                }),
            },
        );
        assert!(matches!(app.lists.get(&ListKind::Endpoints), Some(Err(e)) if e.contains("403")));
        press(&mut app, KeyCode::Esc);
        assert_eq!(*app.view(), View::Inventory);
    }

    #[test]
    fn d_discovers_the_endpoint_under_the_cursor_and_follows_it_to_the_end() {
        let mut app = app_with(2);
        // Elsewhere D says where it works.
        assert!(press(&mut app, KeyCode::Char('D')).is_empty());
        assert!(app.message.as_ref().unwrap().0.contains(":endpoints"));
        press(&mut app, KeyCode::Char(':'));
        typed(&mut app, "endpoints");
        press(&mut app, KeyCode::Enter);
        let ep: crate::model::redfish::RedfishEndpoint = serde_json::from_value(json!({
            "ID": "x1000c0s0b0", "Type": "NodeBMC", "FQDN": "10.0.0.1", "Enabled": true,
            "DiscoveryInfo": {"LastDiscoveryStatus": "NotYetQueried"}
        }))
        .unwrap();
        update(
            &mut app,
            Msg::List {
                kind: ListKind::Endpoints,
                result: Ok(ListData::endpoints(&[ep])),
            },
        );
        let cmds = press(&mut app, KeyCode::Char('D'));
        assert_eq!(cmds, [Command::Discover("x1000c0s0b0".into())]);

        // Refused by the core: said, nothing followed.
        update(
            &mut app,
            Msg::DiscoveryStarted {
                id: "x1000c0s0b0".into(),
                result: Err(ClientError::Api {
                    status: 409,
                    detail: "a discovery is already running".into(),
                }),
            },
        );
        assert!(app.message.as_ref().unwrap().1);
        assert!(app.discovery.is_none());

        // Accepted: the list is read again, the status on the next tick and each second.
        let cmds = update(
            &mut app,
            Msg::DiscoveryStarted {
                id: "x1000c0s0b0".into(),
                result: Ok(()),
            },
        );
        assert_eq!(cmds, [Command::FetchList(ListKind::Endpoints)]);
        assert!(
            press(&mut app, KeyCode::Char('D')).is_empty(),
            "one at a time"
        );
        let t0 = Instant::now();
        assert!(update(&mut app, Msg::Tick(t0)).contains(&Command::FetchDiscoveryStatus));
        assert!(!update(&mut app, Msg::Tick(t0)).contains(&Command::FetchDiscoveryStatus));
        let running = json!({"Status": "InProgress", "Details": {}});
        let cmds = update(&mut app, Msg::DiscoveryStatus(Ok(running)));
        assert_eq!(cmds, [Command::FetchList(ListKind::Endpoints)]);
        assert!(app.discovery.is_some());
        let later = t0 + DISCOVERY_POLL;
        assert!(update(&mut app, Msg::Tick(later)).contains(&Command::FetchDiscoveryStatus));

        // Complete: how it went for that endpoint, and no more polling.
        let done = json!({"Status": "Complete", "Details": {"x1000c0s0b0": {
            "LastDiscoveryStatus": "HTTPsGetFailed", "Error": "connection refused"}}});
        update(&mut app, Msg::DiscoveryStatus(Ok(done)));
        assert!(app.discovery.is_none());
        assert_eq!(
            app.message.clone().unwrap(),
            (
                "discovery of x1000c0s0b0: HTTPsGetFailed: connection refused".to_string(),
                true
            )
        );
        let much_later = later + DISCOVERY_POLL * 2;
        assert!(!update(&mut app, Msg::Tick(much_later)).contains(&Command::FetchDiscoveryStatus));
    }

    #[test]
    fn plus_and_minus_change_members_of_the_set_under_the_cursor_after_y() {
        let mut app = app_with(6);
        // No marks: nothing to ask.
        press(&mut app, KeyCode::Char(':'));
        typed(&mut app, "groups");
        press(&mut app, KeyCode::Enter);
        let group: crate::model::group::Group =
            serde_json::from_value(json!({"label": "blue", "members": {"ids": []}})).unwrap();
        update(
            &mut app,
            Msg::List {
                kind: ListKind::Groups,
                result: Ok(ListData::groups(&[group])),
            },
        );
        assert!(press(&mut app, KeyCode::Char('+')).is_empty());
        assert!(app.message.as_ref().unwrap().0.contains("mark nodes"));
        assert_eq!(app.input, Input::None);
        // Mark two nodes, come back.
        press(&mut app, KeyCode::Esc);
        press(&mut app, KeyCode::Char(' '));
        press(&mut app, KeyCode::Char(' '));
        assert_eq!(app.marks.len(), 2);
        press(&mut app, KeyCode::Char(':'));
        typed(&mut app, "groups");
        press(&mut app, KeyCode::Enter);
        update(
            &mut app,
            Msg::List {
                kind: ListKind::Groups,
                result: Ok(ListData::groups(&[serde_json::from_value(
                    json!({"label": "blue", "members": {"ids": []}}),
                )
                .unwrap()])),
            },
        );
        press(&mut app, KeyCode::Char('+'));
        let Input::Confirm { prompt, .. } = &app.input else {
            panic!("{:?}", app.input)
        };
        assert_eq!(
            prompt,
            "add 2 node(s) to group blue: x1000c0s0b0n[0-1]? y/N"
        );
        // Anything but y cancels.
        assert!(press(&mut app, KeyCode::Char('n')).is_empty());
        assert_eq!(app.input, Input::None);
        press(&mut app, KeyCode::Char('+'));
        let cmds = press(&mut app, KeyCode::Char('y'));
        assert_eq!(
            cmds,
            [Command::ChangeMembers {
                partition: false,
                name: "blue".into(),
                add: true,
                ids: vec!["x1000c0s0b0n0".into(), "x1000c0s0b0n1".into()],
            }]
        );
        let cmds = update(
            &mut app,
            Msg::MembersChanged {
                what: "added to group blue".into(),
                results: vec![
                    ("x1000c0s0b0n0".into(), Ok(())),
                    (
                        "x1000c0s0b0n1".into(),
                        Err(ClientError::Api {
                            status: 409,
                            detail: "already a member".into(),
                        }),
                    ),
                ],
            },
        );
        assert_eq!(cmds, [Command::FetchList(ListKind::Groups)]);
        let (text, error) = app.message.clone().unwrap();
        assert!(error);
        assert_eq!(
            text,
            "added to group blue: 1 done, 1 failed (first: x1000c0s0b0n1: 409: already a member)"
        );
        // `-` in a read-only console does nothing.
        app.read_only = true;
        assert!(press(&mut app, KeyCode::Char('-')).is_empty());
        assert_eq!(app.input, Input::None);
    }

    #[test]
    fn ctrl_c_quits_even_while_typing() {
        let mut app = app_with(2);
        press(&mut app, KeyCode::Char('/'));
        typed(&mut app, "sta");
        ctrl(&mut app, 'c');
        assert!(app.quit);
    }

    #[test]
    fn refresh_ticks_and_staleness() {
        let mut app = app_with(2);
        let t0 = Instant::now();
        app.last_fetch = Some(t0);
        app.live = Live::Connecting;
        assert!(update(&mut app, Msg::Tick(t0)).is_empty());
        let later = t0 + app.refresh;
        assert_eq!(
            update(&mut app, Msg::Tick(later)),
            [Command::FetchInventory]
        );
        let even_later = later + app.refresh;
        assert!(
            update(&mut app, Msg::Tick(even_later)).is_empty(),
            "one in flight"
        );
        update(
            &mut app,
            Msg::Inventory {
                result: Err(ClientError::Unreachable {
                    url: "https://core".into(),
                    detail: "connection refused".into(),
                }),
                at: "10:00:05".into(),
            },
        );
        assert_eq!(app.rows.len(), 2, "old data stays");
        match &app.conn {
            Conn::Stale { since, error } => {
                assert_eq!(since.as_deref(), Some("10:00:00"));
                assert!(error.contains("connection refused"));
            }
            other => panic!("{other:?}"),
        }
    }

    fn frame(id: u64, event: &str, data: serde_json::Value) -> Msg {
        Msg::Event(Frame {
            id: Some(id),
            event: event.into(),
            data,
        })
    }

    #[test]
    fn events_update_rows_in_place_and_a_drop_falls_back_to_polling() {
        let mut app = app_with(4);
        let t0 = Instant::now();
        app.last_fetch = Some(t0);
        // The first tick subscribes.
        assert_eq!(update(&mut app, Msg::Tick(t0)), [Command::Subscribe(None)]);
        assert_eq!(app.live, Live::Connecting);
        update(&mut app, Msg::StreamUp);
        assert_eq!(app.refresh, LIVE_REFRESH, "polling slows to a safety net");
        update(&mut app, frame(7, "ready", json!({"seq": 7})));
        assert!(
            app.last_fetch.is_none(),
            "a fresh stream reads everything once"
        );
        app.last_fetch = Some(t0);
        // Named components are fetched together at the next tick, then changed in place.
        press(&mut app, KeyCode::Char(' '));
        update(
            &mut app,
            frame(
                8,
                "component_states_changed",
                json!({"ids": ["x1000c0s1b0n0"]}),
            ),
        );
        update(
            &mut app,
            frame(
                9,
                "components_changed",
                json!({"ids": ["x1000c0s1b0n1", "x1000c0s1b0n0"]}),
            ),
        );
        let cmds = update(&mut app, Msg::Tick(t0));
        assert_eq!(
            cmds,
            [Command::FetchComponents(vec![
                "x1000c0s1b0n0".into(),
                "x1000c0s1b0n1".into()
            ])]
        );
        assert!(
            update(&mut app, Msg::Tick(t0)).is_empty(),
            "one fetch at a time"
        );
        let mut c = Component::new("x1000c0s1b0n0".parse().unwrap(), State::Off);
        c.role = Some(Role::Application);
        let added = Component::new("x1000c0s9b0n0".parse().unwrap(), State::On);
        update(&mut app, Msg::Components(Ok(vec![c, added])));
        let row = app
            .rows
            .iter()
            .find(|r| r.xname.as_str() == "x1000c0s1b0n0")
            .unwrap();
        assert_eq!(
            (row.state.as_str(), row.role.as_str()),
            ("Off", "Application")
        );
        assert_eq!(app.rows.len(), 5);
        assert_eq!(app.rows.last().unwrap().xname.as_str(), "x1000c0s9b0n0");
        assert_eq!(app.marks.len(), 1, "marks survive");
        assert_eq!(
            app.cursor.as_deref(),
            Some("x1000c0s0b0n1"),
            "space moved it down"
        );
        // The blue group's member keeps its groups through an in-place update.
        update(
            &mut app,
            Msg::Components(Ok(vec![Component::new(
                "x1000c0s0b0n1".parse().unwrap(),
                State::On,
            )])),
        );
        let row = app
            .rows
            .iter()
            .find(|r| r.xname.as_str() == "x1000c0s0b0n1")
            .unwrap();
        assert_eq!(row.groups, ["blue"]);
        // Deletions drop rows and marks.
        update(
            &mut app,
            frame(
                10,
                "components_deleted",
                json!({"ids": ["x1000c0s0b0n0"], "all": false}),
            ),
        );
        assert_eq!(app.rows.len(), 4);
        assert!(app.marks.is_empty());
        // A membership change reads everything again.
        update(
            &mut app,
            frame(
                11,
                "group_changed",
                json!({"label": "blue", "deleted": false}),
            ),
        );
        assert!(app.last_fetch.is_none());
        app.last_fetch = Some(t0);

        // The stream drops: polling every 5 s, a notice, and a resumed subscription later.
        update(
            &mut app,
            Msg::StreamDown {
                reason: "connection reset".into(),
                at: "10:01:00Z".into(),
                now: t0,
            },
        );
        assert_eq!(app.refresh, POLL);
        let later = t0 + POLL;
        assert_eq!(
            update(&mut app, Msg::Tick(later)),
            [Command::Subscribe(Some(11)), Command::FetchInventory]
        );
        assert!(app.resumed);
        update(&mut app, frame(11, "ready", json!({"seq": 11})));
        assert_eq!(
            app.last_fetch,
            Some(later),
            "a resumed stream reads nothing extra"
        );
    }

    #[test]
    fn audit_and_tenant_views() {
        let mut app = app_with(4);
        press(&mut app, KeyCode::Char(':'));
        typed(&mut app, "audit outcome=denied subject=bob");
        let cmds = press(&mut app, KeyCode::Enter);
        assert_eq!(
            cmds,
            [Command::FetchAudit("outcome=denied&subject=bob".into())]
        );
        assert_eq!(app.view().crumb(), "audit");
        // A new audit entry on the bus reloads the open view with the same query.
        let cmds = update(&mut app, frame(5, "audited", json!({"entry": {}})));
        assert_eq!(
            cmds,
            [Command::FetchAudit("outcome=denied&subject=bob".into())]
        );
        press(&mut app, KeyCode::Char(':'));
        typed(&mut app, "tenants");
        assert_eq!(
            press(&mut app, KeyCode::Enter),
            [Command::FetchList(ListKind::Tenants)]
        );
        update(
            &mut app,
            Msg::List {
                kind: ListKind::Tenants,
                result: Ok(ListData {
                    titles: vec!["TENANT"],
                    rows: vec![(
                        "x1000c0s0b0n[0-1],x1000c0s1b0n1".into(),
                        vec!["blue".into()],
                    )],
                }),
            },
        );
        press(&mut app, KeyCode::Enter);
        assert_eq!(*app.view(), View::Inventory);
        assert_eq!(
            shown(&app),
            ["x1000c0s0b0n0", "x1000c0s0b0n1", "x1000c0s1b0n1"]
        );
    }
}
