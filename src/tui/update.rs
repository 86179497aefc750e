//! `update(state, message) -> commands`: every change to the console's state happens here,
//! without I/O, so it is tested directly. Commands are carried out by the event loop.

use std::time::Instant;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::filter::Filter;
use super::keymap::Action;
use super::state::{App, Column, Conn, DetailData, Input, ListData, ListKind, View};
use crate::client::{ClientError, NodeDetail};
use crate::model::component::Component;
use crate::model::group::Membership;

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
    /// A node's detail arrived.
    Detail {
        xname: String,
        result: Result<Box<NodeDetail>, ClientError>,
    },
}

/// I/O the event loop should do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Fetch components and memberships.
    FetchInventory,
    /// Fetch everything about one node.
    FetchDetail(String),
    /// Fetch a list.
    FetchList(ListKind),
    /// Put text on the clipboard (OSC 52).
    Copy(String),
}

/// The `:` commands and the views they open; `None` means the view is not built yet.
pub const COMMANDS: &[(&str, &[&str], Option<&str>)] = &[
    ("nodes", &["n", "no", "inventory", "components"], None),
    ("groups", &["g", "group"], None),
    ("partitions", &["p", "partition"], None),
    ("endpoints", &["e", "ep", "redfish", "bmcs"], None),
    (
        "power",
        &["pw"],
        Some("comes with the power issue (4) and console actions (8)"),
    ),
    (
        "boot",
        &["b", "bss"],
        Some("comes with the boot issue (5) and console actions (8)"),
    ),
    (
        "tenants",
        &["t", "tenant"],
        Some("comes with the tenants issue (6)"),
    ),
    (
        "audit",
        &["events"],
        Some("comes with console actions (issue 8)"),
    ),
    ("help", &["h"], None),
    ("quit", &["q", "q!", "exit"], None),
];

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
        Msg::Detail { xname, result } => {
            let data = match result {
                Ok(d) => DetailData::Loaded(d),
                Err(e) => DetailData::Failed(e.to_string()),
            };
            app.details.insert(xname, data);
            app.dirty = true;
            Vec::new()
        }
    }
}

fn tick(app: &mut App, now: Instant) -> Vec<Command> {
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
    match app.input.clone() {
        Input::Filter(text) => filter_key(app, text, k),
        Input::Command(text) => command_key(app, text, k),
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
        .filter(|(name, aliases, _)| {
            name.starts_with(prefix) || aliases.iter().any(|a| a.starts_with(prefix))
        })
        .map(|(name, _, _)| *name)
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
    let found = COMMANDS
        .iter()
        .find(|(name, aliases, _)| *name == text || aliases.contains(&text));
    match found {
        Some(("quit", _, _)) => app.quit = true,
        Some(("help", _, _)) => app.help = true,
        Some(("nodes", _, _)) => {
            app.views.truncate(1);
            app.message = None;
        }
        Some((name, _, None)) if list_kind(name).is_some() => {
            if let Some(kind) = list_kind(name) {
                return open_list(app, kind);
            }
        }
        Some((name, _, Some(why))) => say(app, format!("the {name} view {why}"), false),
        Some(_) => {}
        None => say(
            app,
            format!("unknown command ':{text}' (tab completes; :help lists keys)"),
            true,
        ),
    }
    Vec::new()
}

fn list_kind(name: &str) -> Option<ListKind> {
    [ListKind::Groups, ListKind::Partitions, ListKind::Endpoints]
        .into_iter()
        .find(|k| k.name() == name)
}

fn open_list(app: &mut App, kind: ListKind) -> Vec<Command> {
    app.views.truncate(1);
    app.views.push(View::List { kind, cursor: 0 });
    app.message = None;
    vec![Command::FetchList(kind)]
}

fn act(app: &mut App, action: Action) -> Vec<Command> {
    if app.help && !matches!(action, Action::Help | Action::Back | Action::Quit) {
        return Vec::new();
    }
    match action {
        Action::Quit => app.quit = true,
        Action::Help => app.help = !app.help,
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
        Action::Sort => {
            if *app.view() == View::Inventory {
                app.input = Input::SortPending;
            }
        }
        Action::Refresh => {
            if let View::List { kind, .. } = app.view() {
                return vec![Command::FetchList(*kind)];
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
                View::List { .. } => None,
            };
            if let Some(x) = x {
                say(app, format!("copied {x}"), false);
                return vec![Command::Copy(x)];
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
                let key = match app.lists.get(&kind) {
                    Some(Ok(list)) => list.rows.get(cursor).map(|(k, _)| k.clone()),
                    _ => None,
                };
                if let Some(key) = key {
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
                return vec![Command::FetchDetail(x)];
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
    fn navigation_detail_help_and_commands() {
        let mut app = app_with(4);
        let cmds = press(&mut app, KeyCode::Enter);
        assert_eq!(cmds, [Command::FetchDetail("x1000c0s0b0n0".into())]);
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
        press(&mut app, KeyCode::Enter);
        assert!(app
            .message
            .as_ref()
            .unwrap()
            .0
            .contains("power view comes with"));
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
}
