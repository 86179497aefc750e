//! Bulk power from the console: the operation menu, the confirm dialog (focus starts on
//! Cancel; above a threshold the operator types the count; `d` previews per node), and the
//! transition view (`a` aborts, `r` retries the failed nodes). Pure state changes; the event
//! loop does the calls.

use ratatui::crossterm::event::{KeyCode, KeyEvent};

use super::state::{App, View};
use super::update::Command;
use crate::client::power::Planned;
use crate::model::hostlist;
use crate::model::power::{TaskStatus, Transition};

/// PCS's operations, in menu order, with the key that picks each.
pub const OPERATIONS: &[(&str, char)] = &[
    ("On", 'o'),
    ("Off", 'f'),
    ("Soft-Off", 's'),
    ("Soft-Restart", 'r'),
    ("Hard-Restart", 'h'),
    ("Init", 'i'),
    ("Force-Off", 'F'),
];

/// Above this many targets the operator types the count to confirm (`--confirm-over`).
pub const CONFIRM_OVER: usize = 64;

/// Which button has the focus.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Focus {
    Cancel,
    Apply,
}

/// The dry run's answer, while the dialog is open.
#[derive(Debug, Clone, PartialEq)]
pub enum Preview {
    None,
    Loading,
    Loaded(Vec<Planned>),
    Failed(String),
}

/// A confirm dialog for one operation over some nodes.
#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub operation: String,
    pub targets: Vec<String>,
    pub focus: Focus,
    /// What the operator typed, when the count must be typed.
    pub typed: String,
    pub preview: Preview,
    /// Lines of the preview scrolled past.
    pub scroll: usize,
}

impl Confirm {
    /// The targets as a hostlist.
    pub fn hostlist(&self) -> String {
        hostlist::compress(&self.targets)
    }

    /// Whether the count must be typed before Apply works.
    pub fn needs_count(&self, over: usize) -> bool {
        self.targets.len() > over
    }

    /// Whether Apply would start the transition now.
    pub fn armed(&self, over: usize) -> bool {
        !self.needs_count(over) || self.typed.trim() == self.targets.len().to_string()
    }
}

/// An open dialog.
#[derive(Debug, Clone, PartialEq)]
pub enum Dialog {
    /// Choosing an operation for these nodes.
    Menu { targets: Vec<String>, cursor: usize },
    /// Confirming one.
    Confirm(Confirm),
}

/// A transition as the console knows it.
#[derive(Debug, Clone, PartialEq)]
pub enum TransitionData {
    Loading,
    Loaded(Box<Transition>),
    Failed(String),
}

/// Orders a transition's tasks for the view: failures first, with their reasons; then what
/// is still running; then the rest; by xname within each.
pub fn sort_tasks(tasks: &mut [crate::model::power::Task]) {
    let rank = |s: TaskStatus| match s {
        TaskStatus::Failed => 0,
        TaskStatus::InProgress => 1,
        TaskStatus::New => 2,
        TaskStatus::Unsupported => 3,
        TaskStatus::Succeeded => 4,
    };
    tasks.sort_by(|a, b| {
        rank(a.status)
            .cmp(&rank(b.status))
            .then(a.xname.cmp(&b.xname))
    });
}

/// The nodes a bulk action applies to: the marked ones, else the cursor's.
pub fn targets(app: &App) -> Vec<String> {
    if app.marks.is_empty() {
        app.cursor.iter().cloned().collect()
    } else {
        app.marks.iter().cloned().collect()
    }
}

/// `p`: the operation menu over the marked nodes (or the cursor's).
pub fn open_menu(app: &mut App) {
    if app.read_only {
        app.message = Some(("read-only console: power actions are off".into(), true));
        return;
    }
    let targets = targets(app);
    if targets.is_empty() {
        app.message = Some(("no node under the cursor or marked".into(), true));
        return;
    }
    app.dialog = Some(Dialog::Menu { targets, cursor: 0 });
}

/// The confirm dialog for `operation` on `targets`.
pub fn confirm(app: &mut App, operation: &str, targets: Vec<String>) {
    app.dialog = Some(Dialog::Confirm(Confirm {
        operation: operation.to_string(),
        targets,
        focus: Focus::Cancel,
        typed: String::new(),
        preview: Preview::None,
        scroll: 0,
    }));
}

/// A key while a dialog is open.
pub fn dialog_key(app: &mut App, k: KeyEvent) -> Vec<Command> {
    let Some(dialog) = app.dialog.clone() else {
        return Vec::new();
    };
    match dialog {
        Dialog::Menu { targets, cursor } => menu_key(app, targets, cursor, k),
        Dialog::Confirm(c) => confirm_key(app, c, k),
    }
}

fn menu_key(app: &mut App, targets: Vec<String>, cursor: usize, k: KeyEvent) -> Vec<Command> {
    let last = OPERATIONS.len() - 1;
    let pick = match k.code {
        KeyCode::Esc | KeyCode::Char('q') => {
            app.dialog = None;
            return Vec::new();
        }
        KeyCode::Up | KeyCode::Char('k') => {
            app.dialog = Some(Dialog::Menu {
                targets,
                cursor: cursor.saturating_sub(1),
            });
            return Vec::new();
        }
        KeyCode::Down | KeyCode::Char('j') => {
            app.dialog = Some(Dialog::Menu {
                targets,
                cursor: (cursor + 1).min(last),
            });
            return Vec::new();
        }
        KeyCode::Enter => Some(cursor),
        KeyCode::Char(c) => OPERATIONS.iter().position(|(_, key)| *key == c),
        _ => None,
    };
    if let Some(i) = pick {
        confirm(app, OPERATIONS[i].0, targets);
    }
    Vec::new()
}

fn confirm_key(app: &mut App, mut c: Confirm, k: KeyEvent) -> Vec<Command> {
    let over = app.confirm_over;
    match k.code {
        KeyCode::Esc => {
            app.dialog = None;
            return Vec::new();
        }
        KeyCode::Tab | KeyCode::BackTab | KeyCode::Left | KeyCode::Right => {
            c.focus = match c.focus {
                Focus::Cancel => Focus::Apply,
                Focus::Apply => Focus::Cancel,
            };
        }
        KeyCode::Up => c.scroll = c.scroll.saturating_sub(1),
        KeyCode::Down => c.scroll += 1,
        KeyCode::Enter => match c.focus {
            Focus::Cancel => {
                app.dialog = None;
                return Vec::new();
            }
            Focus::Apply if c.armed(over) => {
                app.dialog = None;
                app.message = Some((
                    format!("starting {} on {} node(s)…", c.operation, c.targets.len()),
                    false,
                ));
                return vec![Command::StartTransition {
                    operation: c.operation,
                    targets: c.targets,
                }];
            }
            Focus::Apply => {
                app.message = Some((
                    format!("type {} to confirm this many nodes", c.targets.len()),
                    true,
                ));
            }
        },
        KeyCode::Backspace if c.needs_count(over) => {
            c.typed.pop();
        }
        KeyCode::Char(d) if d.is_ascii_digit() && c.needs_count(over) => c.typed.push(d),
        KeyCode::Char('d') => {
            c.preview = Preview::Loading;
            c.scroll = 0;
            let cmd = Command::PreviewTransition {
                operation: c.operation.clone(),
                targets: c.targets.clone(),
            };
            app.dialog = Some(Dialog::Confirm(c));
            return vec![cmd];
        }
        _ => {}
    }
    app.dialog = Some(Dialog::Confirm(c));
    Vec::new()
}

/// The dry run's answer, if its dialog is still open.
pub fn previewed(app: &mut App, result: Result<Vec<Planned>, String>) {
    if let Some(Dialog::Confirm(c)) = &mut app.dialog {
        c.preview = match result {
            Ok(mut p) => {
                // Nodes that would fail first, as in the transition view.
                p.sort_by_key(|x| x.error.is_empty());
                Preview::Loaded(p)
            }
            Err(e) => Preview::Failed(e),
        };
    }
}

/// A transition started: its view opens and follows it.
pub fn started(app: &mut App, result: Result<String, String>) -> Vec<Command> {
    match result {
        Ok(id) => {
            app.message = None;
            app.marks.clear();
            open_transition(app, id)
        }
        Err(e) => {
            app.message = Some((format!("the transition was refused: {e}"), true));
            Vec::new()
        }
    }
}

/// Opens the view of transition `id`.
pub fn open_transition(app: &mut App, id: String) -> Vec<Command> {
    app.views.truncate(1);
    app.views.push(View::Transition {
        id: id.clone(),
        scroll: 0,
    });
    app.transitions
        .entry(id.clone())
        .or_insert(TransitionData::Loading);
    vec![Command::FetchTransition(id)]
}

/// The failed nodes of a transition, failures first in the view's order.
pub fn failed(t: &Transition) -> Vec<String> {
    t.tasks
        .iter()
        .flatten()
        .filter(|k| k.status == TaskStatus::Failed)
        .map(|k| k.xname.clone())
        .collect()
}

/// `a` in the transition view.
pub fn abort(app: &mut App, id: &str) -> Vec<Command> {
    if app.read_only {
        return Vec::new();
    }
    match app.transitions.get(id) {
        Some(TransitionData::Loaded(t)) if t.status.is_final() => {
            app.message = Some((format!("transition {} has already ended", short(id)), true));
            Vec::new()
        }
        _ => {
            app.message = Some((format!("aborting {}…", short(id)), false));
            vec![Command::AbortTransition(id.to_string())]
        }
    }
}

/// `r` in the transition view: the same operation on the failed nodes only, confirmed again.
pub fn retry_failed(app: &mut App, id: &str) {
    if app.read_only {
        return;
    }
    let Some(TransitionData::Loaded(t)) = app.transitions.get(id) else {
        return;
    };
    let nodes = failed(t);
    if nodes.is_empty() {
        app.message = Some(("no node failed: nothing to retry".into(), false));
        return;
    }
    let op = t.operation.to_string();
    confirm(app, &op, nodes);
}

/// The first eight characters of an ID, for messages.
pub fn short(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::component::Component;
    use crate::model::enums::State;
    use crate::model::power::{Operation, Task, TaskCounts, TransitionStatus};
    use crate::tui::keymap::Keymap;
    use crate::tui::update::{update, Msg};
    use ratatui::crossterm::event::KeyModifiers;

    fn console(n: usize) -> App {
        let mut app = App::new(
            "https://core",
            ("t".into(), vec![]),
            false,
            Keymap::default(),
        );
        let comps: Vec<Component> = (0..n)
            .map(|i| Component::new(format!("x1000c0s{i}b0n0").parse().unwrap(), State::Ready))
            .collect();
        app.set_inventory(&comps, &[]);
        app
    }

    fn press(app: &mut App, code: KeyCode) -> Vec<Command> {
        update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    fn ch(app: &mut App, c: char) -> Vec<Command> {
        press(app, KeyCode::Char(c))
    }

    fn transition(id: &str, tasks: &[(&str, TaskStatus, &str)]) -> Box<Transition> {
        let tasks: Vec<Task> = tasks
            .iter()
            .map(|(x, s, e)| Task {
                xname: x.to_string(),
                status: *s,
                description: String::new(),
                error: e.to_string(),
            })
            .collect();
        Box::new(Transition {
            id: id.into(),
            operation: Operation::HardRestart,
            created: "2026-12-01T10:00:00Z".into(),
            expires: String::new(),
            status: TransitionStatus::Completed,
            counts: TaskCounts::of(&tasks),
            tasks: Some(tasks),
            deadline_minutes: 0,
            by: String::new(),
        })
    }

    #[test]
    fn menu_then_confirm_starts_on_cancel_and_applies_on_the_marked_nodes() {
        let mut app = console(3);
        ch(&mut app, ' ');
        ch(&mut app, ' ');
        ch(&mut app, 'p');
        let Some(Dialog::Menu { targets, .. }) = &app.dialog else {
            panic!("{:?}", app.dialog)
        };
        assert_eq!(targets, &["x1000c0s0b0n0", "x1000c0s1b0n0"]);
        ch(&mut app, 'h');
        let Some(Dialog::Confirm(c)) = &app.dialog else {
            panic!("{:?}", app.dialog)
        };
        assert_eq!(
            (c.operation.as_str(), c.focus),
            ("Hard-Restart", Focus::Cancel)
        );
        assert_eq!(c.hostlist(), "x1000c0s[0-1]b0n0");
        // Enter on the focused Cancel closes it and starts nothing.
        assert!(press(&mut app, KeyCode::Enter).is_empty());
        assert!(app.dialog.is_none());
        ch(&mut app, 'p');
        press(&mut app, KeyCode::Down);
        press(&mut app, KeyCode::Enter);
        press(&mut app, KeyCode::Tab);
        let cmds = press(&mut app, KeyCode::Enter);
        assert_eq!(
            cmds,
            [Command::StartTransition {
                operation: "Off".into(),
                targets: vec!["x1000c0s0b0n0".into(), "x1000c0s1b0n0".into()],
            }]
        );
        // Started: the marks clear and the transition view opens, fetching it.
        let cmds = update(&mut app, Msg::Started(Ok("0123456789".into())));
        assert_eq!(cmds, [Command::FetchTransition("0123456789".into())]);
        assert!(app.marks.is_empty());
        assert_eq!(app.view().crumb(), "power 01234567");
    }

    #[test]
    fn above_the_threshold_the_count_must_be_typed() {
        let mut app = console(5);
        app.confirm_over = 3;
        update(
            &mut app,
            Msg::Key(KeyEvent::new(KeyCode::Char('a'), KeyModifiers::CONTROL)),
        );
        ch(&mut app, 'p');
        ch(&mut app, 'o');
        press(&mut app, KeyCode::Tab);
        assert!(press(&mut app, KeyCode::Enter).is_empty(), "not armed yet");
        assert!(app.message.as_ref().unwrap().0.contains("type 5"));
        ch(&mut app, '4');
        assert!(press(&mut app, KeyCode::Enter).is_empty(), "4 is not 5");
        press(&mut app, KeyCode::Backspace);
        ch(&mut app, '5');
        let cmds = press(&mut app, KeyCode::Enter);
        assert!(
            matches!(&cmds[..], [Command::StartTransition { targets, .. }] if targets.len() == 5)
        );
        // At or under the threshold no typing is asked.
        let mut small = console(3);
        small.confirm_over = 3;
        ch(&mut small, 'p');
        ch(&mut small, 'o');
        press(&mut small, KeyCode::Tab);
        assert_eq!(press(&mut small, KeyCode::Enter).len(), 1);
    }

    #[test]
    fn dry_run_preview_fills_the_dialog() {
        let mut app = console(1);
        ch(&mut app, 'p');
        ch(&mut app, 'F');
        let cmds = ch(&mut app, 'd');
        assert_eq!(
            cmds,
            [Command::PreviewTransition {
                operation: "Force-Off".into(),
                targets: vec!["x1000c0s0b0n0".into()],
            }]
        );
        let plan = vec![Planned {
            xname: "x1000c0s0b0n0".into(),
            steps: vec!["ForceOff".into()],
            status: "new".into(),
            description: String::new(),
            error: String::new(),
        }];
        update(&mut app, Msg::Previewed(Ok(plan.clone())));
        let Some(Dialog::Confirm(c)) = &app.dialog else {
            panic!()
        };
        assert_eq!(c.preview, Preview::Loaded(plan));
    }

    #[test]
    fn abort_and_retry_failed_from_the_transition_view() {
        let mut app = console(3);
        power_started(&mut app, "t1");
        let t = transition(
            "t1",
            &[
                ("x1000c0s0b0n0", TaskStatus::Succeeded, ""),
                ("x1000c0s1b0n0", TaskStatus::Failed, "BMC timed out"),
                ("x1000c0s2b0n0", TaskStatus::Failed, "no such system"),
            ],
        );
        update(
            &mut app,
            Msg::Transition {
                id: "t1".into(),
                result: Ok(t),
            },
        );
        // Ended: abort says so and sends nothing.
        assert!(ch(&mut app, 'a').is_empty());
        assert!(app.message.as_ref().unwrap().0.contains("already ended"));
        // Retry: the same operation on the two failed nodes, confirmed again.
        ch(&mut app, 'r');
        let Some(Dialog::Confirm(c)) = &app.dialog else {
            panic!("{:?}", app.dialog)
        };
        assert_eq!(c.operation, "Hard-Restart");
        assert_eq!(c.targets, ["x1000c0s1b0n0", "x1000c0s2b0n0"]);
        press(&mut app, KeyCode::Esc);
        // A running transition can be aborted.
        if let Some(TransitionData::Loaded(t)) = app.transitions.get_mut("t1") {
            t.status = TransitionStatus::InProgress;
        }
        assert_eq!(ch(&mut app, 'a'), [Command::AbortTransition("t1".into())]);
        // Read-only consoles do neither, and have no power menu.
        app.read_only = true;
        assert!(ch(&mut app, 'a').is_empty());
        ch(&mut app, 'r');
        assert!(app.dialog.is_none());
        press(&mut app, KeyCode::Esc);
        ch(&mut app, 'p');
        assert!(app.dialog.is_none());
    }

    fn power_started(app: &mut App, id: &str) {
        let cmds = update(app, Msg::Started(Ok(id.into())));
        assert_eq!(cmds, [Command::FetchTransition(id.into())]);
    }

    #[test]
    fn transition_events_refetch_the_open_transition() {
        let mut app = console(1);
        power_started(&mut app, "t1");
        update(
            &mut app,
            Msg::Transition {
                id: "t1".into(),
                result: Ok(transition("t1", &[])),
            },
        );
        app.live = crate::tui::state::Live::Up;
        app.last_fetch = Some(std::time::Instant::now());
        update(
            &mut app,
            Msg::Event(crate::client::events::Frame {
                id: Some(3),
                event: "transition_changed".into(),
                data: serde_json::json!({"id": "t1"}),
            }),
        );
        let cmds = update(&mut app, Msg::Tick(std::time::Instant::now()));
        assert_eq!(cmds, [Command::FetchTransition("t1".into())]);
    }
}
