//! The boot-parameters editor: kernel, initrd, params and cloud-init as YAML, validated as the
//! operator types; `ctrl-s` shows the diff against the stored version and applies it with
//! `If-Match` (`If-None-Match: *` when it creates). A 412 shows the newer version and lets the operator
//! rebase onto it, take it, or cancel: nothing is overwritten silently. Pure state changes;
//! the event loop does the calls.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::{Modifier, Style};
use tui_textarea::TextArea;

use super::state::{App, ListKind, Live, View};
use super::update::Command;
use crate::client::boot::BootBase;
use crate::client::ClientError;
use crate::edit::{at_line, parse, to_text};
use crate::model::boot::{BootData, BootParams, BootVersion};
use crate::model::hostlist;

/// Where the editor is.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// Reading the stored version.
    Loading,
    /// The operator types.
    Editing,
    /// The diff against the stored version, waiting for `y`.
    Review,
    /// The write is in flight.
    Saving,
    /// The write was refused because the entries changed; this is the newer version.
    Conflict(Box<BootBase>),
    /// The entry's earlier versions (newest first), one under the cursor; `None` while they
    /// load.
    History(Option<Vec<BootVersion>>, usize),
}

/// An open editor over some names (nodes, a group, a role, `Default`).
#[derive(Debug, Clone)]
pub struct Editor {
    /// The names written.
    pub targets: Vec<String>,
    /// The version edited, as loaded.
    pub base: BootBase,
    /// `base` as YAML: what the diff is against.
    pub base_text: String,
    /// The text being edited.
    pub area: TextArea<'static>,
    /// The first problem in the text: its line (0-based) and why.
    pub problem: Option<(usize, String)>,
    pub stage: Stage,
    /// `esc` was pressed once with unsaved changes; a second one discards them.
    pub discard_armed: bool,
    /// Opened with `E`: the text goes to `$EDITOR` once loaded.
    pub external: bool,
    /// The preview pane (`ctrl-p`): a node and the iPXE script it gets now, once loaded.
    pub preview: Option<(String, Option<Result<String, String>>)>,
}

impl Editor {
    fn new(targets: Vec<String>) -> Editor {
        Editor {
            targets,
            base: BootBase {
                params: BootParams::default(),
                etag: None,
                existing: 0,
                source: String::new(),
            },
            base_text: String::new(),
            area: TextArea::default(),
            problem: None,
            stage: Stage::Loading,
            discard_armed: false,
            external: false,
            preview: None,
        }
    }

    /// The names as a hostlist (xnames compress; labels stay as they are).
    pub fn title(&self) -> String {
        hostlist::compress(&self.targets)
    }

    /// The text as typed.
    pub fn text(&self) -> String {
        let mut t = self.area.lines().join("\n");
        t.push('\n');
        t
    }

    /// Whether the text differs from the stored version.
    pub fn changed(&self) -> bool {
        self.text().trim_end() != self.base_text.trim_end()
    }

    /// Whether applying creates entries (none of the names has one) rather than replacing.
    pub fn creates(&self) -> bool {
        self.base.existing == 0
    }

    fn set_text(&mut self, text: &str) {
        self.area = text_area(text);
        self.check();
    }

    fn check(&mut self) {
        self.problem = parse(&self.text(), &self.base.params).err();
    }

    fn take_base(&mut self, base: BootBase) {
        self.base_text = to_text(&BootData::of(&base.params));
        self.base = base;
    }
}

/// A text area over `text` as the editors show it: line numbers, two-space tabs.
pub fn text_area(text: &str) -> TextArea<'static> {
    let mut area = TextArea::new(text.lines().map(str::to_string).collect());
    area.set_tab_length(2);
    area.set_line_number_style(Style::default().add_modifier(Modifier::DIM));
    area.set_cursor_line_style(Style::default());
    area
}

/// The YAML of a version from the history (`None` for a delete).
pub fn version_text(v: &BootVersion) -> Option<String> {
    v.data.as_ref().map(to_text)
}

/// A node that boots from `name`: the node itself, else a node in that group or role (or
/// any node for `Default`), from the inventory the console holds.
pub fn node_booting_from(app: &App, name: &str) -> Option<String> {
    if let Ok(x) = name.parse::<crate::model::xname::Xname>() {
        return Some(x.to_string());
    }
    let nodes = app.rows.iter().filter(|r| r.kind == "Node");
    let mut nodes = nodes.filter(|r| {
        name == "Default" || r.groups.iter().any(|g| g == name) || r.role.eq_ignore_ascii_case(name)
    });
    nodes.next().map(|r| r.xname.to_string())
}

/// The preview's script arrived.
pub fn previewed(app: &mut App, node: &str, result: Result<String, ClientError>) {
    if let Some(ed) = app.editor.as_mut() {
        if let Some((n, slot)) = ed.preview.as_mut() {
            if n == node {
                *slot = Some(result.map_err(|e| e.to_string()));
            }
        }
    }
}

/// `ctrl-p`: shows or hides the script a node booting from the first target gets now.
fn toggle_preview(app: &mut App, ed: &mut Editor) -> Vec<Command> {
    if ed.preview.take().is_some() {
        return Vec::new();
    }
    match node_booting_from(app, &ed.targets[0]) {
        Some(node) => {
            ed.preview = Some((node.clone(), None));
            vec![Command::FetchBootScript(node)]
        }
        None => {
            app.message = Some((
                format!(
                    "no node in the inventory boots from {} to preview",
                    ed.targets[0]
                ),
                true,
            ));
            Vec::new()
        }
    }
}

/// The history arrived.
pub fn history(app: &mut App, name: &str, result: Result<Vec<BootVersion>, ClientError>) {
    let Some(ed) = app
        .editor
        .as_mut()
        .filter(|e| e.targets.len() == 1 && e.targets[0] == name)
    else {
        return;
    };
    if !matches!(ed.stage, Stage::History(None, _)) {
        return;
    }
    match result {
        Ok(v) if v.is_empty() => {
            ed.stage = Stage::Editing;
            app.message = Some((format!("{name} has no history yet"), false));
        }
        Ok(v) => ed.stage = Stage::History(Some(v), 0),
        Err(e) => {
            ed.stage = Stage::Editing;
            app.message = Some((format!("cannot read the history: {e}"), true));
        }
    }
}

/// `(sign, line)` for each line of the diff from `old` to `new`: `-` removed, `+` added,
/// ` ` kept.
pub fn diff(old: &str, new: &str) -> Vec<(char, String)> {
    similar::TextDiff::from_lines(old, new)
        .iter_all_changes()
        .map(|c| {
            let sign = match c.tag() {
                similar::ChangeTag::Delete => '-',
                similar::ChangeTag::Insert => '+',
                similar::ChangeTag::Equal => ' ',
            };
            (sign, c.value().trim_end_matches('\n').to_string())
        })
        .collect()
}

/// `e` (or `E`, for `$EDITOR`): opens the editor over these names and asks for their stored
/// version.
pub fn open(app: &mut App, targets: Vec<String>, external: bool) -> Vec<Command> {
    if app.read_only {
        app.message = Some(("read-only console: boot edits are off".into(), true));
        return Vec::new();
    }
    if targets.is_empty() {
        app.message = Some(("nothing to edit: no row under the cursor".into(), true));
        return Vec::new();
    }
    let mut ed = Editor::new(targets.clone());
    ed.external = external;
    app.editor = Some(Box::new(ed));
    app.message = None;
    vec![Command::LoadBoot {
        targets,
        conflict: false,
    }]
}

/// The stored version arrived (for a fresh editor, or after a refused write).
pub fn loaded(
    app: &mut App,
    targets: &[String],
    conflict: bool,
    result: Result<BootBase, ClientError>,
) -> Vec<Command> {
    let Some(ed) = app.editor.as_mut().filter(|e| e.targets == targets) else {
        return Vec::new();
    };
    match (result, conflict) {
        (Ok(base), false) => {
            ed.take_base(base);
            let text = ed.base_text.clone();
            ed.set_text(&text);
            ed.stage = Stage::Editing;
            if ed.external {
                return vec![Command::EditExternally(text)];
            }
        }
        (Ok(base), true) => {
            ed.stage = Stage::Conflict(Box::new(base));
            app.message = Some((
                "not applied: changed by someone else since you opened it".into(),
                true,
            ));
        }
        (Err(e), false) => {
            app.editor = None;
            app.message = Some((format!("cannot read the boot parameters: {e}"), true));
        }
        (Err(e), true) => {
            ed.stage = Stage::Editing;
            app.message = Some((
                format!("the write was refused as stale and the newer version cannot be read: {e}; your text is kept"),
                true,
            ));
        }
    }
    Vec::new()
}

/// `$EDITOR` returned. Valid changed text goes straight to the diff; a problem stays in the
/// built-in editor with its line shown; a failed editor changes nothing.
pub fn edited_externally(app: &mut App, result: Result<String, String>) {
    let Some(ed) = app.editor.as_mut() else {
        return;
    };
    ed.external = false;
    match result {
        Ok(text) => {
            ed.set_text(&text);
            ed.stage = Stage::Editing;
            match &ed.problem {
                Some(problem) => app.message = Some((at_line(problem), true)),
                None if ed.changed() => ed.stage = Stage::Review,
                None => app.message = Some(("nothing changed".into(), false)),
            }
        }
        Err(why) => app.message = Some((why, true)),
    }
}

/// The write's answer.
pub fn saved(app: &mut App, result: Result<(), ClientError>) -> Vec<Command> {
    let Some(ed) = app.editor.as_mut() else {
        return Vec::new();
    };
    match result {
        Ok(()) => {
            let what = ed.title();
            app.editor = None;
            app.message = Some((format!("boot parameters for {what} applied"), false));
            // With live updates the change arrives as an event; without, read the list again.
            let listed = matches!(
                app.view(),
                View::List {
                    kind: ListKind::Boot,
                    ..
                }
            );
            if listed && app.live != Live::Up {
                return vec![Command::FetchList(ListKind::Boot)];
            }
            Vec::new()
        }
        // Someone changed (or created) the entries since they were read.
        Err(ClientError::Api { status: 412, .. }) => {
            ed.stage = Stage::Loading;
            app.message = Some((
                "changed by someone else since you opened it: reading the newer version".into(),
                true,
            ));
            vec![Command::LoadBoot {
                targets: ed.targets.clone(),
                conflict: true,
            }]
        }
        Err(e) => {
            ed.stage = Stage::Editing;
            app.message = Some((format!("not applied: {e}; your text is kept"), true));
            Vec::new()
        }
    }
}

/// What a key did to text being edited (the boot editor and the tenant form share this).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Typed {
    /// ctrl-s on valid, changed text: show the diff.
    Review,
    /// esc with nothing to lose (or pressed twice): close.
    Close,
    /// The text changed: check it again.
    Edited,
    /// Nothing to do (a message may say why).
    Nothing,
}

/// Keys on text being edited: ctrl-s reviews valid changed text (else says why not), esc
/// closes, twice when there are unsaved changes, anything else goes to the text area.
pub fn typing_key(
    app: &mut App,
    k: KeyEvent,
    area: &mut TextArea<'static>,
    problem: &Option<(usize, String)>,
    changed: bool,
    discard_armed: &mut bool,
) -> Typed {
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    match k.code {
        KeyCode::Char('s') if ctrl => match problem {
            Some(problem) => app.message = Some((at_line(problem), true)),
            None if !changed => app.message = Some(("nothing changed".into(), false)),
            None => {
                app.message = None;
                return Typed::Review;
            }
        },
        KeyCode::Esc => {
            if !changed || *discard_armed {
                return Typed::Close;
            }
            *discard_armed = true;
            app.message = Some((
                "unsaved changes: esc again discards them, ctrl-s reviews and applies".into(),
                true,
            ));
        }
        _ => {
            *discard_armed = false;
            if area.input(k) {
                return Typed::Edited;
            }
        }
    }
    Typed::Nothing
}

/// Keys while the editor is open.
pub fn key(app: &mut App, k: KeyEvent) -> Vec<Command> {
    let Some(mut ed) = app.editor.take() else {
        return Vec::new();
    };
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    let mut out = Vec::new();
    let mut close = false;
    let previewable = matches!(ed.stage, Stage::Editing | Stage::Review);
    if ctrl && k.code == KeyCode::Char('p') && previewable {
        let cmds = toggle_preview(app, &mut ed);
        app.editor = Some(ed);
        return cmds;
    }
    match ed.stage.clone() {
        // esc abandons a first read; while a refused write's newer version loads, the text
        // waits for it (the conflict screen offers cancel).
        Stage::Loading | Stage::Saving => {
            close = k.code == KeyCode::Esc && ed.stage == Stage::Loading && !ed.changed()
        }
        Stage::Editing => match k.code {
            // ctrl-o: the entry's history, to bring an earlier version back into the text.
            KeyCode::Char('o') if ctrl => {
                if ed.targets.len() != 1 || ed.creates() {
                    app.message = Some((
                        "history is kept per entry: open one stored entry (from :boot)".into(),
                        true,
                    ));
                } else {
                    ed.stage = Stage::History(None, 0);
                    out.push(Command::FetchBootHistory(ed.targets[0].clone()));
                }
            }
            _ => {
                let changed = ed.changed();
                match typing_key(
                    app,
                    k,
                    &mut ed.area,
                    &ed.problem,
                    changed,
                    &mut ed.discard_armed,
                ) {
                    Typed::Review => ed.stage = Stage::Review,
                    Typed::Close => close = true,
                    Typed::Edited => ed.check(),
                    Typed::Nothing => {}
                }
            }
        },
        Stage::Review => match k.code {
            KeyCode::Char('y') | KeyCode::Enter => match parse(&ed.text(), &ed.base.params) {
                Ok(params) => {
                    ed.stage = Stage::Saving;
                    app.message = None;
                    out.push(Command::SaveBoot {
                        targets: ed.targets.clone(),
                        params: Box::new(params),
                        etag: ed.base.etag.clone(),
                        create: ed.creates(),
                    });
                }
                Err(problem) => {
                    ed.stage = Stage::Editing;
                    app.message = Some((at_line(&problem), true));
                }
            },
            KeyCode::Esc | KeyCode::Char('n') => ed.stage = Stage::Editing,
            _ => {}
        },
        // Still loading: esc goes back to the text (which may hold unsaved changes).
        Stage::History(None, _) => {
            if k.code == KeyCode::Esc {
                ed.stage = Stage::Editing;
            }
        }
        Stage::History(Some(versions), cursor) => match k.code {
            KeyCode::Up | KeyCode::Char('k') => {
                ed.stage = Stage::History(Some(versions), cursor.saturating_sub(1));
            }
            KeyCode::Down | KeyCode::Char('j') => {
                let last = versions.len().saturating_sub(1);
                ed.stage = Stage::History(Some(versions), (cursor + 1).min(last));
            }
            // The version becomes the text; nothing is written until ctrl-s and y.
            KeyCode::Enter => match versions.get(cursor).and_then(version_text) {
                Some(text) => {
                    let v = versions[cursor].version;
                    ed.set_text(&text);
                    ed.stage = Stage::Editing;
                    app.message = Some((
                        format!("version {v} is in the editor: ctrl-s reviews and applies it"),
                        false,
                    ));
                }
                None => {
                    app.message = Some((
                        "that version is a delete: nothing to bring back".into(),
                        true,
                    ));
                }
            },
            KeyCode::Esc | KeyCode::Char('q') => ed.stage = Stage::Editing,
            _ => {}
        },
        Stage::Conflict(theirs) => match k.code {
            // Rebase: keep the text, review it against the newer version, write over that.
            KeyCode::Char('r') => {
                ed.take_base(*theirs);
                ed.check();
                ed.stage = if ed.changed() {
                    Stage::Review
                } else {
                    Stage::Editing
                };
                app.message = Some((
                    "rebased onto the newer version: review and apply".into(),
                    false,
                ));
            }
            // Take theirs: the text becomes the newer version.
            KeyCode::Char('t') => {
                ed.take_base(*theirs);
                let text = ed.base_text.clone();
                ed.set_text(&text);
                ed.stage = Stage::Editing;
                app.message = Some((
                    "your changes were dropped for the newer version".into(),
                    false,
                ));
            }
            KeyCode::Esc | KeyCode::Char('q') => {
                close = true;
                app.message = Some(("cancelled: nothing was written".into(), false));
            }
            _ => {}
        },
    }
    if !close {
        app.editor = Some(ed);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::keymap::Keymap;
    use crate::tui::update::{update, Msg};

    fn app() -> App {
        App::new(
            "https://core",
            ("t".into(), vec![]),
            false,
            Keymap::default(),
        )
    }

    fn press(app: &mut App, code: KeyCode) -> Vec<Command> {
        update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
    }

    fn ctrl_s(app: &mut App) -> Vec<Command> {
        update(
            app,
            Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)),
        )
    }

    fn base(params: &str, etag: &str) -> BootBase {
        BootBase {
            params: BootParams {
                kernel: "http://s/k".into(),
                params: params.into(),
                ..BootParams::default()
            },
            etag: Some(etag.into()),
            existing: 1,
            source: "compute".into(),
        }
    }

    fn loaded_msg(conflict: bool, b: BootBase) -> Msg {
        Msg::BootLoaded {
            targets: vec!["compute".into()],
            conflict,
            result: Ok(Box::new(b)),
        }
    }

    /// Opens the editor on `compute` and appends " quiet" to the params line.
    fn edited() -> App {
        let mut a = app();
        let cmds = open(&mut a, vec!["compute".into()], false);
        assert_eq!(
            cmds,
            vec![Command::LoadBoot {
                targets: vec!["compute".into()],
                conflict: false
            }]
        );
        update(&mut a, loaded_msg(false, base("console=ttyS0", "\"v1\"")));
        let ed = a.editor.as_ref().expect("open");
        assert_eq!(ed.stage, Stage::Editing);
        assert!(!ed.changed());
        // kernel, initrd (empty), params: the params line is the third.
        press(&mut a, KeyCode::Down);
        press(&mut a, KeyCode::Down);
        press(&mut a, KeyCode::End);
        for c in " quiet".chars() {
            press(&mut a, KeyCode::Char(c));
        }
        a
    }

    #[test]
    fn edit_review_apply_with_if_match() {
        let mut a = edited();
        assert!(a.editor.as_ref().unwrap().changed());
        assert!(ctrl_s(&mut a).is_empty());
        assert_eq!(a.editor.as_ref().unwrap().stage, Stage::Review);
        // esc goes back to editing with the text kept; ctrl-s again.
        press(&mut a, KeyCode::Esc);
        assert_eq!(a.editor.as_ref().unwrap().stage, Stage::Editing);
        ctrl_s(&mut a);
        let cmds = press(&mut a, KeyCode::Char('y'));
        let [Command::SaveBoot {
            targets,
            params,
            etag,
            create,
        }] = cmds.as_slice()
        else {
            panic!("{cmds:?}")
        };
        assert_eq!(targets, &["compute".to_string()]);
        assert_eq!(params.params, "console=ttyS0 quiet");
        assert_eq!(etag.as_deref(), Some("\"v1\""));
        assert!(!create);
        assert_eq!(a.editor.as_ref().unwrap().stage, Stage::Saving);
        update(&mut a, Msg::BootSaved(Ok(())));
        assert!(a.editor.is_none());
        assert_eq!(
            a.message,
            Some(("boot parameters for compute applied".into(), false))
        );
    }

    #[test]
    fn a_412_shows_theirs_and_rebase_applies_over_the_newer_version() {
        let mut a = edited();
        ctrl_s(&mut a);
        press(&mut a, KeyCode::Char('y'));
        let cmds = update(
            &mut a,
            Msg::BootSaved(Err(ClientError::Api {
                status: 412,
                detail: "changed".into(),
            })),
        );
        assert_eq!(
            cmds,
            vec![Command::LoadBoot {
                targets: vec!["compute".into()],
                conflict: true
            }]
        );
        // esc while the newer version loads does not throw the text away.
        press(&mut a, KeyCode::Esc);
        assert!(a.editor.is_some());
        update(&mut a, loaded_msg(true, base("console=ttyS1", "\"v2\"")));
        let ed = a.editor.as_ref().unwrap();
        assert!(matches!(ed.stage, Stage::Conflict(_)));
        // The operator's text is untouched by the conflict.
        assert!(ed.text().contains("params: console=ttyS0 quiet"));
        press(&mut a, KeyCode::Char('r'));
        let ed = a.editor.as_ref().unwrap();
        assert_eq!(ed.stage, Stage::Review);
        assert_eq!(
            diff(&ed.base_text, &ed.text())
                .into_iter()
                .filter(|(s, _)| *s != ' ')
                .collect::<Vec<_>>(),
            vec![
                ('-', "params: console=ttyS1".to_string()),
                ('+', "params: console=ttyS0 quiet".to_string())
            ]
        );
        let cmds = press(&mut a, KeyCode::Char('y'));
        assert!(
            matches!(cmds.as_slice(), [Command::SaveBoot { etag: Some(t), .. }] if t == "\"v2\""),
            "{cmds:?}"
        );
    }

    #[test]
    fn a_conflict_can_take_theirs_or_cancel_without_writing() {
        let mut a = edited();
        ctrl_s(&mut a);
        press(&mut a, KeyCode::Char('y'));
        update(
            &mut a,
            Msg::BootSaved(Err(ClientError::Api {
                status: 412,
                detail: "changed".into(),
            })),
        );
        update(&mut a, loaded_msg(true, base("console=ttyS1", "\"v2\"")));
        let mut cancelled = a.clone();
        press(&mut a, KeyCode::Char('t'));
        let ed = a.editor.as_ref().unwrap();
        assert_eq!(ed.stage, Stage::Editing);
        assert!(ed.text().contains("params: console=ttyS1\n"));
        assert!(!ed.changed());
        assert_eq!(ed.base.etag.as_deref(), Some("\"v2\""));
        assert!(press(&mut cancelled, KeyCode::Esc).is_empty());
        assert!(cancelled.editor.is_none());
    }

    #[test]
    fn invalid_text_cannot_be_applied_and_unsaved_text_needs_two_escapes() {
        let mut a = edited();
        for c in " && reboot".chars() {
            press(&mut a, KeyCode::Char(c));
        }
        let ed = a.editor.as_ref().unwrap();
        let (line, why) = ed.problem.clone().expect("a problem");
        assert_eq!(line, 2);
        assert!(why.contains("'&&'"), "{why}");
        assert!(ctrl_s(&mut a).is_empty());
        assert_eq!(a.editor.as_ref().unwrap().stage, Stage::Editing);
        assert!(a.message.as_ref().unwrap().0.starts_with("line 3: "));
        press(&mut a, KeyCode::Esc);
        assert!(a.editor.is_some(), "one esc keeps unsaved text");
        press(&mut a, KeyCode::Esc);
        assert!(a.editor.is_none());
    }

    #[test]
    fn other_failures_keep_the_text_and_read_only_cannot_open() {
        let mut a = edited();
        ctrl_s(&mut a);
        press(&mut a, KeyCode::Char('y'));
        update(
            &mut a,
            Msg::BootSaved(Err(ClientError::Api {
                status: 403,
                detail: "no".into(),
            })),
        );
        let ed = a.editor.as_ref().unwrap();
        assert_eq!(ed.stage, Stage::Editing);
        assert!(ed.text().contains("quiet"));
        let mut ro = App::new(
            "https://core",
            ("t".into(), vec![]),
            true,
            Keymap::default(),
        );
        assert!(open(&mut ro, vec!["compute".into()], false).is_empty());
        assert!(ro.editor.is_none());
    }

    #[test]
    fn history_brings_a_version_back_into_the_text_without_writing() {
        use crate::model::boot::BootOp;
        let mut a = edited();
        let cmds = update(
            &mut a,
            Msg::Key(KeyEvent::new(KeyCode::Char('o'), KeyModifiers::CONTROL)),
        );
        assert_eq!(cmds, vec![Command::FetchBootHistory("compute".into())]);
        // esc while it loads keeps the editor and its unsaved text.
        let mut waiting = a.clone();
        press(&mut waiting, KeyCode::Esc);
        let ed = waiting.editor.as_ref().expect("still open");
        assert_eq!(ed.stage, Stage::Editing);
        assert!(ed.changed());
        let version = |n: u64, params: &str, data: bool| BootVersion {
            name: "compute".into(),
            version: n,
            op: BootOp::Replace,
            time: "2026-12-01T10:00:00Z".into(),
            by: "alice".into(),
            data: data.then(|| BootData {
                kernel: "http://s/k".into(),
                params: params.into(),
                ..BootData::default()
            }),
        };
        update(
            &mut a,
            Msg::BootHistory {
                name: "compute".into(),
                result: Ok(vec![
                    version(3, "", false),
                    version(2, "console=ttyS0", true),
                    version(1, "console=ttyS9", true),
                ]),
            },
        );
        assert!(matches!(
            a.editor.as_ref().unwrap().stage,
            Stage::History(Some(_), 0)
        ));
        // A delete has nothing to bring back.
        assert!(press(&mut a, KeyCode::Enter).is_empty());
        assert!(a.message.as_ref().unwrap().1);
        press(&mut a, KeyCode::Down);
        press(&mut a, KeyCode::Down);
        press(&mut a, KeyCode::Down);
        assert!(
            press(&mut a, KeyCode::Enter).is_empty(),
            "nothing written yet"
        );
        let ed = a.editor.as_ref().unwrap();
        assert_eq!(ed.stage, Stage::Editing);
        assert!(
            ed.text().contains("params: console=ttyS9\n"),
            "{}",
            ed.text()
        );
        assert!(ed.changed());
        ctrl_s(&mut a);
        let cmds = press(&mut a, KeyCode::Char('y'));
        assert!(
            matches!(cmds.as_slice(), [Command::SaveBoot { params, etag: Some(t), .. }]
                if params.params == "console=ttyS9" && t == "\"v1\""),
            "{cmds:?}"
        );
    }

    #[test]
    fn e_in_capitals_hands_the_text_to_the_external_editor() {
        let mut a = app();
        open(&mut a, vec!["compute".into()], true);
        let cmds = update(&mut a, loaded_msg(false, base("console=ttyS0", "\"v1\"")));
        let [Command::EditExternally(text)] = cmds.as_slice() else {
            panic!("{cmds:?}")
        };
        assert!(text.contains("params: console=ttyS0\n"), "{text}");
        // The editor failed: nothing changes, the built-in editor stays open.
        let mut failed = a.clone();
        update(
            &mut failed,
            Msg::EditedExternally(Err("vi exited with 1".into())),
        );
        let ed = failed.editor.as_ref().unwrap();
        assert_eq!(ed.stage, Stage::Editing);
        assert!(!ed.changed());
        // Invalid text stays in the built-in editor with its line.
        let mut bad = a.clone();
        update(
            &mut bad,
            Msg::EditedExternally(Ok(text.replace("ttyS0", "ttyS0 && x"))),
        );
        let ed = bad.editor.as_ref().unwrap();
        assert_eq!(ed.stage, Stage::Editing);
        assert!(ed.problem.is_some());
        // A valid change goes to the diff; y applies it with the ETag.
        update(
            &mut a,
            Msg::EditedExternally(Ok(text.replace("ttyS0", "ttyS0 quiet"))),
        );
        assert_eq!(a.editor.as_ref().unwrap().stage, Stage::Review);
        let cmds = press(&mut a, KeyCode::Char('y'));
        assert!(
            matches!(cmds.as_slice(), [Command::SaveBoot { params, etag: Some(t), .. }]
                if params.params == "console=ttyS0 quiet" && t == "\"v1\""),
            "{cmds:?}"
        );
    }

    #[test]
    fn ctrl_p_previews_the_script_of_a_node_booting_from_the_entry() {
        use crate::model::component::Component;
        use crate::model::enums::{Role, State};
        use crate::model::group::Membership;
        let mut a = app();
        let mut c = Component::new("x1000c0s0b0n1".parse().unwrap(), State::Ready);
        c.role = Some(Role::Compute);
        let members = vec![Membership {
            id: "x1000c0s0b0n1".parse().unwrap(),
            group_labels: vec!["compute".into()],
            partition_name: String::new(),
        }];
        update(
            &mut a,
            Msg::Inventory {
                result: Ok((vec![c], members)),
                at: "10:00:00".into(),
            },
        );
        assert_eq!(
            node_booting_from(&a, "compute").as_deref(),
            Some("x1000c0s0b0n1")
        );
        assert_eq!(
            node_booting_from(&a, "Compute").as_deref(),
            Some("x1000c0s0b0n1")
        );
        assert_eq!(
            node_booting_from(&a, "x3000c0s0b0n0").as_deref(),
            Some("x3000c0s0b0n0")
        );
        assert_eq!(node_booting_from(&a, "Unknown-x86_64"), None);
        open(&mut a, vec!["compute".into()], false);
        update(&mut a, loaded_msg(false, base("console=ttyS0", "\"v1\"")));
        let p = KeyEvent::new(KeyCode::Char('p'), KeyModifiers::CONTROL);
        let cmds = update(&mut a, Msg::Key(p));
        assert_eq!(cmds, vec![Command::FetchBootScript("x1000c0s0b0n1".into())]);
        update(
            &mut a,
            Msg::BootScript {
                node: "x1000c0s0b0n1".into(),
                result: Ok("#!ipxe\nkernel http://s/k".into()),
            },
        );
        let ed = a.editor.as_ref().unwrap();
        assert_eq!(
            ed.preview,
            Some((
                "x1000c0s0b0n1".into(),
                Some(Ok("#!ipxe\nkernel http://s/k".into()))
            ))
        );
        // The text was not touched by ctrl-p; a second one hides the pane.
        assert!(!ed.changed());
        assert!(update(&mut a, Msg::Key(p)).is_empty());
        assert_eq!(a.editor.as_ref().unwrap().preview, None);
    }

    #[test]
    fn nodes_without_an_entry_are_created() {
        let mut a = app();
        open(
            &mut a,
            vec!["x1000c0s0b0n0".into(), "x1000c0s0b0n1".into()],
            false,
        );
        update(
            &mut a,
            Msg::BootLoaded {
                targets: vec!["x1000c0s0b0n0".into(), "x1000c0s0b0n1".into()],
                conflict: false,
                result: Ok(Box::new(BootBase {
                    etag: None,
                    existing: 0,
                    source: "inherited from compute".into(),
                    ..base("console=ttyS0", "")
                })),
            },
        );
        assert_eq!(a.editor.as_ref().unwrap().title(), "x1000c0s0b0n[0-1]");
        press(&mut a, KeyCode::Char('#'));
        ctrl_s(&mut a);
        let cmds = press(&mut a, KeyCode::Char('y'));
        assert!(
            matches!(
                cmds.as_slice(),
                [Command::SaveBoot {
                    create: true,
                    etag: None,
                    ..
                }]
            ),
            "{cmds:?}"
        );
        // A 412 on create is someone else creating first: a conflict, not a failure.
        let cmds = update(
            &mut a,
            Msg::BootSaved(Err(ClientError::Api {
                status: 412,
                detail: "exists".into(),
            })),
        );
        assert!(matches!(
            cmds.as_slice(),
            [Command::LoadBoot { conflict: true, .. }]
        ));
    }

    #[test]
    fn diff_marks_changed_lines() {
        let d = diff("a\nb\nc\n", "a\nB\nc\n");
        assert_eq!(
            d,
            [(' ', "a"), ('-', "b"), ('+', "B"), (' ', "c")]
                .map(|(s, l)| (s, l.to_string()))
                .to_vec()
        );
    }
}
