//! Drawing the power menu, the confirm dialog and the transition view.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Gauge, Paragraph, Wrap};
use ratatui::Frame;

use super::power::{Confirm, Dialog, Focus, Preview, TransitionData, OPERATIONS};
use super::state::App;
use super::text::{rows_of, HOSTLIST_ROWS};
use super::theme::Theme;
use crate::model::power::TaskStatus;

/// A box of `w` x `h` in the middle of the screen (shrunk to fit).
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width.saturating_sub(2)).max(1);
    let h = h.min(area.height.saturating_sub(2)).max(1);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

/// Draws the open dialog over everything.
pub fn draw_dialog(frame: &mut Frame, app: &App, theme: &Theme) {
    match &app.dialog {
        None => {}
        Some(Dialog::Menu { targets, cursor }) => {
            let area = centered(frame.area(), 44, OPERATIONS.len() as u16 + 4);
            let mut lines = vec![Line::raw(format!(" {} node(s)", targets.len()))];
            for (i, (op, key)) in OPERATIONS.iter().enumerate() {
                let text = format!("  {key}  {op}");
                lines.push(if i == *cursor {
                    Line::styled(text, theme.cursor())
                } else {
                    Line::raw(text)
                });
            }
            lines.push(Line::styled(
                " enter or key picks · esc cancels",
                theme.dim(),
            ));
            frame.render_widget(Clear, area);
            frame.render_widget(
                Paragraph::new(lines).block(
                    Block::default()
                        .borders(Borders::ALL)
                        .title(" Power ")
                        .style(theme.accent()),
                ),
                area,
            );
        }
        Some(Dialog::Confirm(c)) => draw_confirm(frame, app, theme, c),
    }
}

fn button(label: &str, focused: bool, enabled: bool, theme: &Theme) -> Span<'static> {
    let text = if focused {
        format!("[ {label} ]")
    } else {
        format!("  {label}  ")
    };
    let mut style = if enabled {
        Style::default()
    } else {
        theme.dim()
    };
    if focused {
        style = style.add_modifier(Modifier::REVERSED | Modifier::BOLD);
    }
    Span::styled(text, style)
}

fn draw_confirm(frame: &mut Frame, app: &App, theme: &Theme, c: &Confirm) {
    let tall = !matches!(c.preview, Preview::None);
    // The width inside the borders does not depend on the height.
    let width = centered(frame.area(), 76, 3).width.saturating_sub(2) as usize;
    let hosts = rows_of(
        &c.hostlist(),
        width,
        HOSTLIST_ROWS,
        "… (d lists every node)",
    );
    let host_rows = hosts.len().max(2) as u16;
    let area = centered(frame.area(), 76, if tall { 22 } else { 10 } + host_rows - 2);
    frame.render_widget(Clear, area);
    let block = Block::default()
        .borders(Borders::ALL)
        .title(format!(" {} ", c.operation))
        .style(theme.accent());
    let inner = block.inner(area);
    frame.render_widget(block, area);
    let [top, preview, bottom] = Layout::vertical([
        Constraint::Length(1 + host_rows),
        Constraint::Min(0),
        Constraint::Length(3),
    ])
    .areas(inner);
    let mut head = vec![Line::from(vec![
        Span::styled(
            c.operation.clone(),
            theme.error().add_modifier(Modifier::BOLD),
        ),
        Span::raw(format!(" {} node(s):", c.targets.len())),
    ])];
    head.extend(hosts.into_iter().map(Line::raw));
    frame.render_widget(Paragraph::new(head), top);
    match &c.preview {
        Preview::None => {}
        Preview::Loading => frame.render_widget(
            Paragraph::new("asking what each node would do…").style(theme.dim()),
            preview,
        ),
        Preview::Failed(e) => frame.render_widget(
            Paragraph::new(format!("dry run failed: {e}"))
                .style(theme.error())
                .wrap(Wrap { trim: true }),
            preview,
        ),
        Preview::Loaded(plan) => {
            let lines: Vec<Line> = plan
                .iter()
                .skip(c.scroll)
                .take(preview.height as usize)
                .map(|p| {
                    let what = if p.error.is_empty() {
                        if p.steps.is_empty() {
                            format!("nothing to do: {}", p.description)
                        } else {
                            p.steps.join(" → ")
                        }
                    } else {
                        format!("{}: {}", p.status, p.error)
                    };
                    let style = if p.error.is_empty() {
                        Style::default()
                    } else {
                        theme.error()
                    };
                    Line::from(vec![
                        Span::raw(format!(" {:<16} ", p.xname)),
                        Span::styled(what, style),
                    ])
                })
                .collect();
            frame.render_widget(Paragraph::new(lines), preview);
        }
    }
    let over = app.confirm_over;
    let armed = c.armed(over);
    let mut first = Vec::new();
    if c.needs_count(over) {
        first.push(Span::raw(format!(" type {} to confirm: ", c.targets.len())));
        first.push(Span::styled(
            format!("{}_", c.typed),
            theme.accent().add_modifier(Modifier::BOLD),
        ));
    }
    let buttons = Line::from(vec![
        Span::raw(" "),
        button("Cancel", c.focus == Focus::Cancel, true, theme),
        Span::raw("   "),
        button(
            &format!("{} {}", c.operation, c.targets.len()),
            c.focus == Focus::Apply,
            armed,
            theme,
        ),
    ]);
    let hint = Line::styled(
        " tab switches · enter presses · d dry run · esc cancels",
        theme.dim(),
    );
    frame.render_widget(
        Paragraph::new(vec![Line::from(first), buttons, hint]),
        bottom,
    );
}

/// Draws transition `id`'s view (progress, then tasks with failures first); returns the rows
/// of tasks it can show.
pub fn draw_transition(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    theme: &Theme,
    id: &str,
    scroll: usize,
) -> usize {
    let t = match app.transitions.get(id) {
        None | Some(TransitionData::Loading) => {
            frame.render_widget(Paragraph::new("Loading…").style(theme.dim()), area);
            return area.height as usize;
        }
        Some(TransitionData::Failed(e)) => {
            frame.render_widget(
                Paragraph::new(format!("Cannot load transition {id}: {e}"))
                    .style(theme.error())
                    .wrap(Wrap { trim: true }),
                area,
            );
            return area.height as usize;
        }
        Some(TransitionData::Loaded(t)) => t,
    };
    let [info, gauge, tasks] = Layout::vertical([
        Constraint::Length(2),
        Constraint::Length(1),
        Constraint::Min(0),
    ])
    .areas(area);
    let c = &t.counts;
    let done = c.succeeded + c.failed + c.unsupported;
    frame.render_widget(
        Paragraph::new(vec![
            Line::from(vec![
                Span::styled(format!(" {} ", t.operation), theme.accent()),
                Span::raw(format!("{}  ", t.status.as_str())),
                Span::styled(format!("{}  created {}", t.id, t.created), theme.dim()),
            ]),
            Line::raw(format!(
                " {} nodes: {} succeeded, {} failed, {} unsupported, {} running, {} waiting",
                c.total, c.succeeded, c.failed, c.unsupported, c.in_progress, c.new
            )),
        ]),
        info,
    );
    let ratio = if c.total == 0 {
        1.0
    } else {
        done as f64 / c.total as f64
    };
    frame.render_widget(
        Gauge::default()
            .gauge_style(Style::default().fg(if c.failed > 0 { theme.bad } else { theme.ok }))
            .ratio(ratio.clamp(0.0, 1.0))
            .label(format!("{done}/{}", c.total)),
        gauge,
    );
    // In the order `power::sort_tasks` put them in when the transition arrived.
    let page = tasks.height as usize;
    let lines: Vec<Line> = t
        .tasks
        .iter()
        .flatten()
        .skip(scroll)
        .take(page)
        .map(|k| {
            let style = match k.status {
                TaskStatus::Failed => theme.error(),
                TaskStatus::Succeeded => Style::default().fg(theme.ok),
                TaskStatus::Unsupported => theme.dim(),
                _ => Style::default(),
            };
            let why = if k.error.is_empty() {
                k.description.clone()
            } else {
                k.error.clone()
            };
            Line::from(vec![
                Span::raw(format!(" {:<16} ", k.xname)),
                Span::styled(format!("{:<12} ", k.status.as_str()), style),
                Span::raw(why),
            ])
        })
        .collect();
    frame.render_widget(Paragraph::new(lines), tasks);
    page
}
