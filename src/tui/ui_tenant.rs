//! Drawing the tenant form (the YAML with its first problem, the diff before applying) and
//! the `t` picker.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::Line;
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::state::App;
use super::tenant::{picker_rows, Form, Stage, RELEASE};
use super::text::{rows_of, HOSTLIST_ROWS};
use super::theme::Theme;
use super::ui_boot::{diff_lines, status_line};
use super::ui_power::centered;
use crate::model::hostlist;

/// The keys of the form's stage, for the hint bar.
pub fn hints(form: &Form) -> &'static str {
    match form.stage {
        Stage::Loading => " esc close",
        Stage::Editing => " ctrl-s review and apply · esc close · ctrl-z undo",
        Stage::Review => " y apply · esc back to editing",
        Stage::Saving => " applying...",
    }
}

/// Draws the form in `area` (the body, below the crumbs).
pub fn draw_form(frame: &mut Frame, area: Rect, form: &Form, theme: &Theme) {
    let [head, main, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let title = if form.create {
        " new tenant · created only if the name is free".to_string()
    } else if form.rebased {
        format!(
            " tenant {} · changed meanwhile: compared with the newer version",
            form.name
        )
    } else {
        format!(
            " tenant {} · applied only if unchanged since read",
            form.name
        )
    };
    frame.render_widget(Paragraph::new(Line::styled(title, theme.accent())), head);
    let block = |title: &str| {
        Block::default()
            .borders(Borders::ALL)
            .title(title.to_string())
    };
    match form.stage {
        Stage::Loading => frame.render_widget(
            Paragraph::new(" reading the tenant...").block(block(" Tenant ")),
            main,
        ),
        Stage::Editing => {
            let b = block(" Tenant (YAML; xnames as hostlists) ");
            let inner = b.inner(main);
            frame.render_widget(b, main);
            frame.render_widget(&form.area, inner);
        }
        Stage::Review | Stage::Saving => {
            let against = if form.create {
                " New tenant "
            } else {
                " Changes against the stored version "
            };
            frame.render_widget(
                Paragraph::new(diff_lines(&form.base_text, &form.text(), theme))
                    .block(block(against)),
                main,
            );
        }
    }
    let line = match form.stage {
        Stage::Editing => status_line(&form.problem, form.changed(), theme),
        _ => Line::default(),
    };
    frame.render_widget(Paragraph::new(line), foot);
}

/// Draws the `t` picker over everything, when open.
pub fn draw_picker(frame: &mut Frame, app: &App, theme: &Theme) {
    let Some(p) = &app.picker else {
        return;
    };
    let ids: Vec<&str> = p.nodes.iter().map(|(x, _)| x.as_str()).collect();
    // Inside the borders, less the one-column indent.
    let width = centered(frame.area(), 60, 3).width.saturating_sub(3) as usize;
    let hosts = rows_of(
        &format!("{} node(s): {}", ids.len(), hostlist::compress(&ids)),
        width,
        HOSTLIST_ROWS,
        "… (the marks hold all)",
    );
    let mut lines: Vec<Line> = hosts.iter().map(|r| Line::raw(format!(" {r}"))).collect();
    if app.tenant_list.is_none() {
        lines.push(Line::raw("  reading the tenants..."));
    }
    let rows = picker_rows(app);
    for (i, name) in rows.iter().enumerate() {
        let text = match app
            .tenant_list
            .iter()
            .flatten()
            .find(|t| &t.metadata.name == name)
        {
            Some(t) => {
                let exclusive = t
                    .spec
                    .tenantresources
                    .iter()
                    .any(|r| r.enforceexclusivehsmgroups);
                format!(
                    "  {name:<24} {:>5} nodes{}",
                    t.spec.nodes().len(),
                    if exclusive { "  exclusive" } else { "" }
                )
            }
            None if name == RELEASE => format!("  ({RELEASE})"),
            None => format!("  {name}"),
        };
        lines.push(if i == p.cursor {
            Line::styled(text, theme.cursor())
        } else {
            Line::raw(text)
        });
    }
    lines.push(Line::styled(
        " enter picks (asks before writing) · esc cancels",
        theme.dim(),
    ));
    let area = centered(frame.area(), 60, lines.len() as u16 + 2);
    frame.render_widget(Clear, area);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::default()
                .borders(Borders::ALL)
                .title(" Tenant ")
                .style(theme.accent()),
        ),
        area,
    );
}
