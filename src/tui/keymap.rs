//! Keys as data: each action has a name (used in `keys.toml`), a help text, and its keys. The
//! help overlay and the hint bar are generated from this table, so they never disagree with
//! what the keys do.

use std::fmt;

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// Something the operator can ask for with a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Quit,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Open,
    Back,
    Filter,
    Command,
    Sort,
    Mark,
    MarkRange,
    MarkAll,
    InvertMarks,
    Copy,
    Refresh,
    Help,
    Power,
    PowerCap,
    Abort,
    Retry,
    Edit,
    EditExternally,
    AddMembers,
    RemoveMembers,
    NewTenant,
    Delete,
    AssignTenant,
    Discover,
}

/// Who may use an action: anyone, an operator (power, boot), or an admin only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    Anyone,
    Operator,
    Admin,
}

/// Every action: name, help text, default keys, whether the hint bar shows it.
const ACTIONS: &[(Action, &str, &str, &[&str], bool)] = &[
    (Action::Quit, "quit", "quit", &["q", "ctrl-c"], true),
    (Action::Up, "up", "cursor up", &["up", "k"], false),
    (Action::Down, "down", "cursor down", &["down", "j"], false),
    (
        Action::PageUp,
        "page-up",
        "page up",
        &["pgup", "ctrl-b"],
        false,
    ),
    (
        Action::PageDown,
        "page-down",
        "page down",
        &["pgdn", "ctrl-f"],
        false,
    ),
    (Action::Top, "top", "first row", &["home", "g"], false),
    (Action::Bottom, "bottom", "last row", &["end", "G"], false),
    (Action::Open, "open", "open node detail", &["enter"], true),
    (Action::Back, "back", "back / clear marks", &["esc"], true),
    (Action::Filter, "filter", "filter rows", &["/"], true),
    (
        Action::Command,
        "command",
        "command line (:nodes, :q ...)",
        &[":"],
        true,
    ),
    (
        Action::Sort,
        "sort",
        "sort: then a column key (x t s f e r u n a g)",
        &["s"],
        true,
    ),
    (Action::Mark, "mark", "mark / unmark row", &["space"], true),
    (
        Action::MarkRange,
        "mark-range",
        "mark range from last mark",
        &["V"],
        false,
    ),
    (
        Action::MarkAll,
        "mark-all",
        "mark all filtered rows",
        &["ctrl-a"],
        false,
    ),
    (
        Action::InvertMarks,
        "invert-marks",
        "invert marks (filtered rows)",
        &["ctrl-i", "*"],
        false,
    ),
    (Action::Copy, "copy", "copy xname (OSC 52)", &["y"], false),
    (
        Action::Refresh,
        "refresh",
        "refresh now",
        &["ctrl-r"],
        false,
    ),
    (Action::Help, "help", "help", &["?"], true),
    (
        Action::Power,
        "power",
        "power: on/off/restart the marked nodes (or the cursor's)",
        &["p"],
        true,
    ),
    (
        Action::PowerCap,
        "power-cap",
        "set the power limit of the node shown (in its detail)",
        &["W"],
        false,
    ),
    (
        Action::Edit,
        "edit",
        "edit boot parameters (marks, cursor or :boot row)",
        &["e"],
        true,
    ),
    (
        Action::EditExternally,
        "edit-external",
        "edit boot parameters in $EDITOR",
        &["E"],
        false,
    ),
    (
        Action::AddMembers,
        "add-members",
        "add the marked nodes to the group or partition under the cursor",
        &["+"],
        false,
    ),
    (
        Action::RemoveMembers,
        "remove-members",
        "remove the marked nodes from the group or partition under the cursor",
        &["-"],
        false,
    ),
    (
        Action::AssignTenant,
        "tenant",
        "assign the marked nodes to a tenant, or release them",
        &["t"],
        false,
    ),
    (
        Action::Discover,
        "discover",
        "discover the Redfish endpoint under the cursor (in :endpoints)",
        &["D"],
        false,
    ),
    (
        Action::NewTenant,
        "new-tenant",
        "new tenant (in :tenants; e edits, enter shows its nodes)",
        &["n"],
        false,
    ),
    (
        Action::Delete,
        "delete",
        "delete the tenant under the cursor",
        &["ctrl-d"],
        false,
    ),
    (
        Action::Abort,
        "abort",
        "abort the transition shown",
        &["a"],
        false,
    ),
    (
        Action::Retry,
        "retry",
        "retry the failed nodes of the transition shown",
        &["r"],
        false,
    ),
];

/// A key with modifiers, as written in `keys.toml` (`q`, `ctrl-c`, `space`, `G`, `pgdn`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    code: KeyCode,
    ctrl: bool,
}

impl Key {
    /// Parses a key name.
    pub fn parse(s: &str) -> Result<Key, String> {
        let (ctrl, rest) = match s.strip_prefix("ctrl-") {
            Some(r) => (true, r),
            None => (false, s),
        };
        let code = match rest {
            "space" => KeyCode::Char(' '),
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backspace" => KeyCode::Backspace,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pgup" => KeyCode::PageUp,
            "pgdn" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            one if one.chars().count() == 1 => KeyCode::Char(one.chars().next().unwrap_or(' ')),
            other => return Err(format!("unknown key '{other}'")),
        };
        // Terminals send ctrl-i as Tab.
        if ctrl && code == KeyCode::Char('i') {
            return Ok(Key {
                code: KeyCode::Tab,
                ctrl: false,
            });
        }
        Ok(Key { code, ctrl })
    }

    /// The key of a terminal event.
    pub fn of(ev: &KeyEvent) -> Key {
        let ctrl = ev.modifiers.contains(KeyModifiers::CONTROL);
        let code = match ev.code {
            KeyCode::Char(c) if ctrl => KeyCode::Char(c.to_ascii_lowercase()),
            other => other,
        };
        Key { code, ctrl }
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        match self.code {
            KeyCode::Char(' ') => f.write_str("space"),
            KeyCode::Char(c) => write!(f, "{c}"),
            KeyCode::Enter => f.write_str("enter"),
            KeyCode::Esc => f.write_str("esc"),
            KeyCode::Tab => f.write_str("tab"),
            KeyCode::Up => f.write_str("↑"),
            KeyCode::Down => f.write_str("↓"),
            KeyCode::PageUp => f.write_str("pgup"),
            KeyCode::PageDown => f.write_str("pgdn"),
            KeyCode::Home => f.write_str("home"),
            KeyCode::End => f.write_str("end"),
            other => write!(f, "{other:?}"),
        }
    }
}

/// One binding: the action's keys and texts.
#[derive(Debug, Clone, PartialEq)]
pub struct Binding {
    pub action: Action,
    pub name: &'static str,
    pub help: &'static str,
    pub keys: Vec<Key>,
    pub hint: bool,
}

/// The live keymap.
#[derive(Debug, Clone, PartialEq)]
pub struct Keymap {
    pub bindings: Vec<Binding>,
}

impl Default for Keymap {
    fn default() -> Self {
        Keymap {
            bindings: ACTIONS
                .iter()
                .map(|(action, name, help, keys, hint)| Binding {
                    action: *action,
                    name,
                    help,
                    keys: keys.iter().filter_map(|k| Key::parse(k).ok()).collect(),
                    hint: *hint,
                })
                .collect(),
        }
    }
}

impl Action {
    /// Who may use it; anything but `Anyone` changes the core (hidden in a read-only
    /// console).
    pub fn needs(self) -> Need {
        match self {
            Action::Power
            | Action::PowerCap
            | Action::Abort
            | Action::Retry
            | Action::Edit
            | Action::EditExternally => Need::Operator,
            Action::AddMembers
            | Action::RemoveMembers
            | Action::NewTenant
            | Action::Delete
            | Action::AssignTenant
            | Action::Discover => Need::Admin,
            _ => Need::Anyone,
        }
    }
}

impl Keymap {
    /// The action a key asks for.
    pub fn action(&self, ev: &KeyEvent) -> Option<Action> {
        let key = Key::of(ev);
        self.bindings
            .iter()
            .find(|b| b.keys.contains(&key))
            .map(|b| b.action)
    }

    /// The keys of an action, as text (`q/ctrl-c`).
    pub fn keys_of(&self, action: Action) -> String {
        self.bindings
            .iter()
            .find(|b| b.action == action)
            .map(|b| {
                b.keys
                    .iter()
                    .map(Key::to_string)
                    .collect::<Vec<_>>()
                    .join("/")
            })
            .unwrap_or_default()
    }

    /// Applies overrides from a `keys.toml` text (`action = "key"` or `["k1", "k2"]`, under
    /// `[keys]`). An error names the line at fault; nothing is applied then.
    pub fn with_overrides(&self, text: &str) -> Result<Keymap, String> {
        let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].lines().count().max(1));
            match line {
                Some(l) => format!("line {l}: {}", e.message()),
                None => e.message().to_string(),
            }
        })?;
        let line_of = |needle: &str| {
            text.lines()
                .position(|l| l.trim_start().starts_with(needle))
                .map(|i| i + 1)
                .unwrap_or(0)
        };
        let mut out = self.clone();
        let keys = match doc.get("keys") {
            None => return Ok(out),
            Some(toml::Value::Table(t)) => t,
            Some(_) => return Err(format!("line {}: [keys] must be a table", line_of("keys"))),
        };
        for (name, value) in keys {
            let line = line_of(name);
            let binding = out
                .bindings
                .iter_mut()
                .find(|b| b.name == name)
                .ok_or_else(|| format!("line {line}: unknown action '{name}'"))?;
            let names: Vec<&str> = match value {
                toml::Value::String(s) => vec![s.as_str()],
                toml::Value::Array(a) => a.iter().filter_map(|v| v.as_str()).collect(),
                _ => {
                    return Err(format!(
                        "line {line}: '{name}' needs a key or a list of keys"
                    ))
                }
            };
            binding.keys = names
                .iter()
                .map(|k| Key::parse(k).map_err(|e| format!("line {line}: {e}")))
                .collect::<Result<_, _>>()?;
        }
        // A key bound to two actions would make one unreachable.
        for (i, a) in out.bindings.iter().enumerate() {
            for b in &out.bindings[i + 1..] {
                if let Some(k) = a.keys.iter().find(|k| b.keys.contains(k)) {
                    return Err(format!(
                        "key '{k}' is bound to both '{}' and '{}'",
                        a.name, b.name
                    ));
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn defaults_resolve() {
        let k = Keymap::default();
        assert_eq!(
            k.action(&ev(KeyCode::Char('q'), KeyModifiers::NONE)),
            Some(Action::Quit)
        );
        assert_eq!(
            k.action(&ev(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
        assert_eq!(
            k.action(&ev(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Action::Bottom)
        );
        assert_eq!(
            k.action(&ev(KeyCode::Tab, KeyModifiers::NONE)),
            Some(Action::InvertMarks)
        );
        assert_eq!(k.action(&ev(KeyCode::Char('z'), KeyModifiers::NONE)), None);
        assert_eq!(k.keys_of(Action::Quit), "q/ctrl-c");
    }

    #[test]
    fn overrides_apply_or_name_the_line() {
        let k = Keymap::default()
            .with_overrides("[keys]\nquit = \"x\"\nhelp = [\"h\", \"?\"]\n")
            .unwrap();
        assert_eq!(
            k.action(&ev(KeyCode::Char('x'), KeyModifiers::NONE)),
            Some(Action::Quit)
        );
        assert_eq!(k.action(&ev(KeyCode::Char('q'), KeyModifiers::NONE)), None);
        assert_eq!(
            k.action(&ev(KeyCode::Char('h'), KeyModifiers::NONE)),
            Some(Action::Help)
        );

        let e = Keymap::default()
            .with_overrides("[keys]\nquit = \"q\"\nexplode = \"e\"\n")
            .unwrap_err();
        assert_eq!(e, "line 3: unknown action 'explode'");
        let e = Keymap::default()
            .with_overrides("[keys]\n\nquit = \"hyper-q\"\n")
            .unwrap_err();
        assert!(e.starts_with("line 3: unknown key"), "{e}");
        let e = Keymap::default().with_overrides("[keys\n").unwrap_err();
        assert!(e.starts_with("line 1"), "{e}");
        let e = Keymap::default()
            .with_overrides("[keys]\nhelp = \"q\"\n")
            .unwrap_err();
        assert!(e.contains("bound to both"), "{e}");
    }
}
