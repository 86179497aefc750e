//! Drawing the boot-parameters editor: the text with line numbers and the first problem, the
//! diff before applying, and the newer version after a refused write.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Style;
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Paragraph};
use ratatui::Frame;

use super::boot::{diff, Editor, Stage};
use super::theme::Theme;
use crate::edit::{at_line, to_text};
use crate::model::boot::BootData;

/// The keys of the editor's stage, for the hint bar.
pub fn hints(ed: &Editor) -> &'static str {
    match ed.stage {
        Stage::Loading => " esc close",
        Stage::Editing => {
            " ctrl-s review and apply · ctrl-o history · ctrl-p iPXE preview · esc close · ctrl-z undo"
        }
        Stage::Review => " y apply · esc back to editing",
        Stage::Saving => " applying...",
        Stage::History(..) => {
            " up/down choose · enter puts it in the editor (nothing is written) · esc back"
        }
        Stage::Conflict(_) => {
            " r rebase your text onto the newer version · t take it instead · esc cancel"
        }
    }
}

pub fn diff_lines(old: &str, new: &str, theme: &Theme) -> Vec<Line<'static>> {
    diff(old, new)
        .into_iter()
        .map(|(sign, line)| {
            let style = match sign {
                '-' => Style::default().fg(theme.bad),
                '+' => Style::default().fg(theme.ok),
                _ => theme.dim(),
            };
            Line::styled(format!("{sign} {line}"), style)
        })
        .collect()
}

/// The line under text being edited: its first problem, or whether it changed.
pub fn status_line(
    problem: &Option<(usize, String)>,
    changed: bool,
    theme: &Theme,
) -> Line<'static> {
    match problem {
        Some(problem) => Line::styled(format!(" {}", at_line(problem)), theme.error()),
        None if changed => Line::styled(" valid · changed", theme.dim()),
        None => Line::styled(" valid · unchanged", theme.dim()),
    }
}

/// Draws the editor in `area` (the body, below the crumbs).
pub fn draw_editor(frame: &mut Frame, area: Rect, ed: &Editor, theme: &Theme) {
    let [head, main, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let n = ed.targets.len();
    let what = if ed.creates() {
        format!("new entry ({})", ed.base.source)
    } else if ed.base.existing < n {
        format!(
            "{} of {n} have an entry; no version check for the others",
            ed.base.existing
        )
    } else if ed.base.etag.is_some() {
        "stored entry, applied only if unchanged".to_string()
    } else {
        "stored entry".to_string()
    };
    frame.render_widget(
        Paragraph::new(Line::styled(
            format!(" boot parameters of {} · {what}", ed.title()),
            theme.accent(),
        )),
        head,
    );
    let block = |title: String| Block::default().borders(Borders::ALL).title(title);
    // With the preview on, the script takes the right half.
    let main = match &ed.preview {
        Some((node, script)) if matches!(ed.stage, Stage::Editing | Stage::Review) => {
            let [left, right] =
                Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)])
                    .areas(main);
            let body: Vec<Line> = match script {
                None => vec![Line::raw(" reading...")],
                Some(Ok(text)) => text.lines().map(|l| Line::raw(l.to_string())).collect(),
                Some(Err(e)) => vec![Line::styled(e.clone(), theme.error())],
            };
            frame.render_widget(
                Paragraph::new(body)
                    .wrap(ratatui::widgets::Wrap { trim: false })
                    .block(block(format!(" iPXE for {node} (stored) "))),
                right,
            );
            left
        }
        _ => main,
    };
    match &ed.stage {
        Stage::Loading => frame.render_widget(
            Paragraph::new(" reading the stored version...").block(block(" Edit ".into())),
            main,
        ),
        Stage::Editing => {
            let b = block(" Edit (YAML) ".into());
            let inner = b.inner(main);
            frame.render_widget(b, main);
            frame.render_widget(&ed.area, inner);
        }
        Stage::Review | Stage::Saving => frame.render_widget(
            Paragraph::new(diff_lines(&ed.base_text, &ed.text(), theme))
                .block(block(" Changes against the stored version ".into())),
            main,
        ),
        Stage::History(None, _) => frame.render_widget(
            Paragraph::new(" reading the history...").block(block(" History ".into())),
            main,
        ),
        Stage::History(Some(versions), cursor) => {
            let rows = (versions.len() as u16 + 2).min(main.height / 2).max(3);
            let [top, bottom] =
                Layout::vertical([Constraint::Length(rows), Constraint::Min(1)]).areas(main);
            let page = top.height.saturating_sub(2) as usize;
            let first = cursor.saturating_sub(page.saturating_sub(1));
            let lines: Vec<Line> = versions
                .iter()
                .enumerate()
                .skip(first)
                .take(page)
                .map(|(i, v)| {
                    let text = format!(
                        " v{:<5} {:<20} {:<9} {}",
                        v.version,
                        v.time.get(..19).unwrap_or(&v.time),
                        format!("{:?}", v.op).to_lowercase(),
                        v.by
                    );
                    if i == *cursor {
                        Line::styled(text, theme.cursor())
                    } else {
                        Line::raw(text)
                    }
                })
                .collect();
            frame.render_widget(
                Paragraph::new(lines).block(block(format!(" History of {} ", ed.title()))),
                top,
            );
            let chosen = versions.get(*cursor);
            let body = match chosen.and_then(super::boot::version_text) {
                Some(t) => diff_lines(&ed.base_text, &t, theme),
                None => vec![Line::raw(" a delete: nothing to bring back")],
            };
            let v = chosen.map_or(0, |v| v.version);
            frame.render_widget(
                Paragraph::new(body).block(block(format!(" Stored version -> v{v} "))),
                bottom,
            );
        }
        Stage::Conflict(theirs) => {
            let [top, bottom] =
                Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)])
                    .areas(main);
            let newer = to_text(&BootData::of(&theirs.params));
            frame.render_widget(
                Paragraph::new(diff_lines(&ed.base_text, &newer, theme)).block(block(
                    " Changed by someone else since you opened it (theirs) ".into(),
                )),
                top,
            );
            frame.render_widget(
                Paragraph::new(diff_lines(&newer, &ed.text(), theme))
                    .block(block(" Your text against theirs ".into())),
                bottom,
            );
        }
    }
    let line = match ed.stage {
        Stage::Editing => status_line(&ed.problem, ed.changed(), theme),
        _ => Line::default(),
    };
    frame.render_widget(Paragraph::new(line), foot);
}
