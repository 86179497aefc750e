//! A node's power limit in its detail: read with the detail (a PCS snapshot of the node), set
//! with `W` (watts typed on the status line; Enter sends, Esc cancels, 0 lifts the limit).

use ratatui::crossterm::event::{KeyCode, KeyEvent};
use ratatui::text::{Line, Span};

use super::state::{App, Input, View};
use super::theme::Theme;
use super::update::Command;
use crate::client::ClientError;
use crate::model::power_cap::CapComponent;

/// A node's limits as its BMC reported them, or why not.
#[derive(Debug, Clone, PartialEq)]
pub enum CapRead {
    /// The BMC is being asked.
    Reading,
    /// Its answer.
    Read(CapComponent),
    /// The request failed.
    Failed(String),
}

fn say(app: &mut App, text: impl Into<String>, error: bool) {
    app.message = Some((text.into(), error));
    app.dirty = true;
}

/// Starts typing a limit for the node the detail shows: it needs the node's one control.
pub fn begin(app: &mut App) -> Vec<Command> {
    let View::Detail { xname, .. } = app.view() else {
        say(app, "open a node's detail to set its power limit", true);
        return Vec::new();
    };
    let xname = xname.clone();
    let control = match app.cap_reads.get(&xname) {
        Some(CapRead::Read(c)) => match c.power_cap_limits.as_slice() {
            [one] => one.name.clone(),
            [] => {
                let why = if c.error.is_empty() {
                    "no power controls"
                } else {
                    &c.error
                };
                say(app, format!("{xname} cannot be capped: {why}"), true);
                return Vec::new();
            }
            many => {
                say(
                    app,
                    format!(
                        "{xname} has {} controls: set one with `chami power cap set --control`",
                        many.len()
                    ),
                    true,
                );
                return Vec::new();
            }
        },
        _ => {
            say(
                app,
                "its power limits are not read yet (ctrl-r reads them again)",
                true,
            );
            return Vec::new();
        }
    };
    app.input = Input::Cap {
        xname,
        control,
        text: String::new(),
    };
    app.dirty = true;
    Vec::new()
}

/// A key while typing a limit.
pub fn key(
    app: &mut App,
    xname: String,
    control: String,
    mut text: String,
    k: KeyEvent,
) -> Vec<Command> {
    match k.code {
        KeyCode::Esc => {
            app.input = Input::None;
            say(app, "cancelled: nothing was changed", false);
        }
        KeyCode::Backspace => {
            text.pop();
            app.input = Input::Cap {
                xname,
                control,
                text,
            };
        }
        KeyCode::Char(c) if c.is_ascii_digit() && text.len() < 7 => {
            text.push(c);
            app.input = Input::Cap {
                xname,
                control,
                text,
            };
        }
        KeyCode::Enter => {
            let Ok(watts) = text.parse::<i64>() else {
                say(
                    app,
                    "type the limit in watts (0 lifts it), then enter",
                    true,
                );
                app.input = Input::Cap {
                    xname,
                    control,
                    text,
                };
                return Vec::new();
            };
            app.input = Input::None;
            say(
                app,
                format!("setting the power limit of {xname}: working..."),
                false,
            );
            return vec![Command::SetCap {
                xname,
                control,
                watts,
            }];
        }
        _ => {
            app.input = Input::Cap {
                xname,
                control,
                text,
            }
        }
    }
    app.dirty = true;
    Vec::new()
}

/// A read arrived.
pub fn read(app: &mut App, xname: String, result: Result<CapComponent, ClientError>) {
    let r = match result {
        Ok(c) => CapRead::Read(c),
        Err(e) => CapRead::Failed(e.to_string()),
    };
    app.cap_reads.insert(xname, r);
    app.dirty = true;
}

/// A write was answered: say so, and read the node's limits again.
pub fn set(
    app: &mut App,
    xname: String,
    result: Result<CapComponent, ClientError>,
) -> Vec<Command> {
    match result {
        Ok(c) if c.error.is_empty() => {
            let watts = c.power_cap_limits.first().and_then(|k| k.current_value);
            let text = match watts {
                Some(0) | None => format!("power limit of {xname} lifted"),
                Some(w) => format!("power limit of {xname} set to {w} W"),
            };
            say(app, text, false);
        }
        Ok(c) => say(app, format!("{xname}: {}", c.error), true),
        Err(e) => say(app, format!("{xname}: {e}"), true),
    }
    app.cap_reads.insert(xname.clone(), CapRead::Reading);
    vec![Command::FetchCap(xname)]
}

/// The detail's power-limit lines.
pub fn lines(lines: &mut Vec<Line<'static>>, theme: &Theme, read: Option<&CapRead>, may_set: bool) {
    match read {
        None | Some(CapRead::Reading) => {
            lines.push(Line::styled("  asking the BMC…", theme.dim()));
        }
        Some(CapRead::Failed(e)) => {
            lines.push(Line::styled(format!("  cannot read: {e}"), theme.error()));
        }
        Some(CapRead::Read(c)) => {
            if !c.error.is_empty() {
                lines.push(Line::styled(format!("  {}", c.error), theme.dim()));
            }
            for k in &c.power_cap_limits {
                let now = match k.current_value {
                    Some(0) | None => "no limit".to_string(),
                    Some(w) => format!("{w} W"),
                };
                let range = match (k.minimum_value, k.maximum_value) {
                    (Some(lo), Some(hi)) => format!("  (takes {lo}–{hi} W)"),
                    (None, Some(hi)) => format!("  (up to {hi} W)"),
                    (Some(lo), None) => format!("  (from {lo} W)"),
                    (None, None) => String::new(),
                };
                let label = format!("{} ", k.name);
                lines.push(Line::from(vec![
                    Span::styled(format!("  {label:<18}"), theme.dim()),
                    Span::raw(now),
                    Span::styled(range, theme.dim()),
                ]));
            }
            if may_set && c.power_cap_limits.len() == 1 {
                lines.push(Line::styled("  W sets it", theme.dim()));
            }
        }
    }
}
