//! Drawing: a pure function of the state. Only the visible rows of the table are built.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row as TableRow, Table, Wrap};
use ratatui::Frame;
use serde_json::Value;

use super::filter::field_names;
use super::keymap::Action;
use super::state::{
    App, Column, Conn, DetailData, Input, ListKind, Live, PowerRead, Row, View, POLL,
};
use super::text::{clip, fit_hints, wrap_words};
use super::theme::Theme;
use super::update::COMMANDS;

/// What the last frame's layout tells the state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fit {
    /// How many table rows fit (the page size).
    pub page: usize,
    /// How far the detail view can scroll before its last line leaves the screen.
    pub detail_max_scroll: u16,
    /// The same for the help overlay.
    pub help_max_scroll: u16,
}

/// Draws the whole console; returns what fit.
pub fn draw(frame: &mut Frame, app: &App, theme: &Theme) -> Fit {
    let [header, crumbs, body, status, hints] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    draw_header(frame, header, app, theme);
    draw_crumbs(frame, crumbs, app, theme);
    // What the last frame fit, with what this one's view measures put in.
    let mut fit = Fit {
        page: app.page,
        detail_max_scroll: app.detail_max_scroll,
        help_max_scroll: app.help_max_scroll,
    };
    match (&app.editor, app.view()) {
        (Some(ed), _) => super::ui_boot::draw_editor(frame, body, ed, theme),
        (None, _) if app.tenant_form.is_some() => {
            if let Some(form) = &app.tenant_form {
                super::ui_tenant::draw_form(frame, body, form, theme);
            }
        }
        (None, View::Inventory) => fit.page = draw_table(frame, body, app, theme),
        (None, View::List { kind, cursor }) => {
            fit.page = draw_list(frame, body, app, theme, *kind, *cursor);
        }
        (None, View::Detail { xname, scroll }) => {
            fit.detail_max_scroll = draw_detail(frame, body, app, theme, xname, *scroll);
        }
        (None, View::Transition { id, scroll }) => {
            fit.page = super::ui_power::draw_transition(frame, body, app, theme, id, *scroll);
        }
    }
    draw_status(frame, status, app, theme);
    draw_hints(frame, hints, app, theme);
    super::ui_power::draw_dialog(frame, app, theme);
    super::ui_tenant::draw_picker(frame, app, theme);
    if let Input::Confirm { prompt, .. } = &app.input {
        draw_question(frame, prompt, theme);
    }
    if app.help {
        fit.help_max_scroll = draw_help(frame, app, theme);
    }
    fit
}

fn draw_header(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let (sub, roles) = &app.identity;
    let conn = match &app.conn {
        Conn::Connecting => Span::styled("connecting…", theme.dim()),
        Conn::Connected => Span::styled("● connected", Style::default().fg(theme.ok)),
        // The reason goes on the status line, where it has the width to be read.
        Conn::Stale { since, .. } => Span::styled(
            match since {
                Some(t) => format!("✗ stale since {t}"),
                None => "✗ unreachable".to_string(),
            },
            theme.error(),
        ),
    };
    let mut spans = vec![
        Span::styled(" chami ", theme.accent().add_modifier(Modifier::REVERSED)),
        Span::raw(" "),
        Span::raw(app.url.clone()),
        Span::raw("  "),
        Span::styled(format!("{sub} [{}]", roles.join(",")), theme.dim()),
        Span::raw("  "),
    ];
    if let Some(t) = &app.tenant {
        spans.push(Span::styled(format!("tenant {t}  "), theme.accent()));
    }
    if app.read_only {
        spans.push(Span::styled("[RO] ", theme.error()));
    }
    spans.push(conn);
    match &app.live {
        Live::Up => spans.push(Span::styled(" · live", Style::default().fg(theme.ok))),
        Live::Down { .. } => spans.push(Span::styled(" · polling", theme.error())),
        Live::Off | Live::Connecting => {}
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn draw_crumbs(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let crumbs: Vec<String> = app.views.iter().map(View::crumb).collect();
    let mut spans = vec![Span::styled(
        format!(" {} ", crumbs.join(" › ")),
        theme.accent(),
    )];
    if *app.view() == View::Inventory {
        spans.push(Span::raw(format!(
            " {}/{}",
            app.visible.len(),
            app.rows.len()
        )));
        let (col, desc) = app.sort;
        spans.push(Span::styled(
            format!("  sort:{}{}", col.title(), if desc { "↓" } else { "↑" }),
            theme.dim(),
        ));
        if !app.filter_text.is_empty() {
            spans.push(Span::raw(format!("  /{}", app.filter_text)));
        }
    }
    spans.push(Span::styled(
        format!("  marks:{}", app.marks.len()),
        if app.marks.is_empty() {
            theme.dim()
        } else {
            theme.mark()
        },
    ));
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The columns that fit in `width`, left to right, dropping the least important first.
pub fn columns_for(width: u16) -> Vec<Column> {
    let mut by_priority = Column::ALL.to_vec();
    by_priority.sort_by_key(|c| c.width_priority().1);
    let mut used = 2u16; // the mark gutter
    let mut keep = Vec::new();
    for c in by_priority {
        let w = c.width_priority().0 + 1;
        if used + w <= width || keep.is_empty() {
            used += w;
            keep.push(c);
        }
    }
    Column::ALL
        .into_iter()
        .filter(|c| keep.contains(c))
        .collect()
}

fn cell(row: &Row, col: Column, theme: &Theme) -> Cell<'static> {
    match col {
        Column::Xname => Cell::from(row.xname.to_string()),
        Column::Type => Cell::from(row.kind.clone()),
        Column::State => Cell::from(Span::styled(row.state.clone(), theme.state(&row.state))),
        Column::Flag => Cell::from(Span::styled(
            row.flag.clone(),
            if row.flag == "OK" {
                Style::default()
            } else {
                Style::default().fg(theme.warn)
            },
        )),
        Column::Enabled => Cell::from(if row.enabled { "✓" } else { "✗" }),
        Column::Role => Cell::from(row.role.clone()),
        Column::SubRole => Cell::from(row.subrole.clone()),
        Column::Nid => Cell::from(row.nid.clone()),
        Column::Arch => Cell::from(row.arch.clone()),
        Column::Groups => Cell::from(row.groups.join(",")),
    }
}

fn draw_table(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) -> usize {
    let cols = columns_for(area.width);
    let page = area.height.saturating_sub(1) as usize;
    if app.rows.is_empty() {
        let text = match &app.conn {
            Conn::Connecting => "Loading the inventory…".to_string(),
            Conn::Stale { .. } => "No data: the core did not answer (see the header).".to_string(),
            Conn::Connected => "The inventory is empty. Add components with `POST /hsm/v2/State/Components` or discover BMCs.".to_string(),
        };
        frame.render_widget(
            Paragraph::new(text)
                .style(theme.dim())
                .wrap(Wrap { trim: true }),
            area,
        );
        return page;
    }
    let (sort_col, desc) = app.sort;
    let header = TableRow::new(std::iter::once(Cell::from(" ")).chain(cols.iter().map(|c| {
        let mark = if *c == sort_col {
            if desc {
                "↓"
            } else {
                "↑"
            }
        } else {
            ""
        };
        Cell::from(format!("{}{mark}", c.title()))
    })))
    .style(theme.accent());
    let cursor = app.cursor.as_deref();
    let end = (app.offset + page).min(app.visible.len());
    let rows = app.visible[app.offset.min(end)..end].iter().map(|&i| {
        let row = &app.rows[i];
        let marked = app.marks.contains(row.xname.as_str());
        let gutter = Cell::from(if marked { "*" } else { " " });
        let mut r =
            TableRow::new(std::iter::once(gutter).chain(cols.iter().map(|c| cell(row, *c, theme))));
        if marked {
            r = r.style(theme.mark());
        }
        if Some(row.xname.as_str()) == cursor {
            r = r.style(theme.cursor());
        }
        r
    });
    let widths: Vec<Constraint> = std::iter::once(Constraint::Length(1))
        .chain(cols.iter().map(|c| {
            if *c == Column::Groups {
                Constraint::Min(c.width_priority().0)
            } else {
                Constraint::Length(c.width_priority().0)
            }
        }))
        .collect();
    frame.render_widget(
        Table::new(rows, widths).header(header).column_spacing(1),
        area,
    );
    page
}

fn kv(lines: &mut Vec<Line<'static>>, theme: &Theme, key: &str, value: impl Into<String>) {
    let value = value.into();
    if value.is_empty() {
        return;
    }
    lines.push(Line::from(vec![
        Span::styled(format!("  {key:<18}"), theme.dim()),
        Span::raw(value),
    ]));
}

fn section(lines: &mut Vec<Line<'static>>, theme: &Theme, title: &str) {
    lines.push(Line::default());
    lines.push(Line::styled(title.to_string(), theme.accent()));
}

fn json_str(v: &Value, path: &[&str]) -> String {
    let mut at = v;
    for p in path {
        at = &at[*p];
    }
    match at {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Column widths that fit `room` with `gap` between columns: each gets what it wants when all
/// fit; otherwise the widest are narrowed first, one column at a time, never below `floor`.
fn fit_widths(want: &[u16], floor: &[u16], room: u16, gap: u16) -> Vec<u16> {
    let mut w = want.to_vec();
    let gaps = u32::from(gap) * w.len().saturating_sub(1) as u32;
    let mut total = w.iter().map(|&x| u32::from(x)).sum::<u32>() + gaps;
    while total > u32::from(room) {
        // On a tie the later column narrows: those are the free-text ones.
        let Some(i) = (0..w.len())
            .filter(|&i| w[i] > floor.get(i).copied().unwrap_or(0))
            .max_by_key(|&i| (w[i], i))
        else {
            break;
        };
        w[i] -= 1;
        total -= 1;
    }
    w
}

/// Draws a list view (groups, partitions, endpoints); returns how many rows fit.
fn draw_list(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    theme: &Theme,
    kind: ListKind,
    cursor: usize,
) -> usize {
    let page = area.height.saturating_sub(1) as usize;
    let list = match app.lists.get(&kind) {
        None => {
            frame.render_widget(Paragraph::new("Loading…").style(theme.dim()), area);
            return page;
        }
        Some(Err(e)) => {
            frame.render_widget(
                Paragraph::new(format!("Cannot load the {}: {e}", kind.noun()))
                    .style(theme.error())
                    .wrap(Wrap { trim: true }),
                area,
            );
            return page;
        }
        Some(Ok(list)) => list,
    };
    if list.rows.is_empty() {
        frame.render_widget(
            Paragraph::new(format!("No {} yet.", kind.noun())).style(theme.dim()),
            area,
        );
        return page;
    }
    let offset = (cursor + 1).saturating_sub(page.max(1));
    let header = TableRow::new(list.titles.iter().map(|t| Cell::from(*t))).style(theme.accent());
    // Each column as wide as its widest cell (at most 40); narrowed to fit, widest first.
    let want: Vec<u16> = (0..list.titles.len())
        .map(|c| {
            list.rows
                .iter()
                .map(|(_, cells)| cells.get(c).map_or(0, |s| s.chars().count()))
                .chain(std::iter::once(list.titles[c].len()))
                .max()
                .unwrap_or(4)
                .min(40) as u16
        })
        .collect();
    let floor: Vec<u16> = list.titles.iter().map(|t| t.len() as u16).collect();
    let mut fit = fit_widths(&want, &floor, area.width, 2);
    // The last column takes whatever room is left.
    if let Some((last, before)) = fit.split_last_mut() {
        let used: u16 = before.iter().map(|w| w + 2).sum();
        *last = (*last).max(area.width.saturating_sub(used));
    }
    let rows = list
        .rows
        .iter()
        .enumerate()
        .skip(offset)
        .take(page)
        .map(|(i, (_, cells))| {
            let r = TableRow::new(
                cells
                    .iter()
                    .zip(&fit)
                    .map(|(c, &w)| Cell::from(clip(c, w as usize))),
            );
            if i == cursor {
                r.style(theme.cursor())
            } else {
                r
            }
        });
    let widths: Vec<Constraint> = fit.iter().map(|&w| Constraint::Length(w)).collect();
    frame.render_widget(
        Table::new(rows, widths).header(header).column_spacing(2),
        area,
    );
    page
}

/// The detail's power section: the state the BMC reported, or why there is none yet.
fn power_lines(lines: &mut Vec<Line<'static>>, theme: &Theme, read: Option<&PowerRead>) {
    match read {
        None | Some(PowerRead::Reading) => {
            lines.push(Line::styled("  asking the BMC…", theme.dim()));
        }
        Some(PowerRead::Failed(e)) => {
            lines.push(Line::styled(format!("  cannot read: {e}"), theme.error()));
        }
        Some(PowerRead::Read(v)) => {
            let state = json_str(v, &["powerState"]);
            let shown = match state.as_str() {
                "on" => "On",
                "off" => "Off",
                _ => "unknown",
            };
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<18}", "State"), theme.dim()),
                Span::styled(shown.to_string(), theme.state(shown)),
            ]));
            kv(
                lines,
                theme,
                "Management",
                json_str(v, &["managementState"]),
            );
            let error = json_str(v, &["error"]);
            if !error.is_empty() {
                lines.push(Line::styled(format!("  {error}"), theme.error()));
            }
            let can: Vec<&str> = v["supportedPowerTransitions"]
                .as_array()
                .map(|a| a.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            kv(lines, theme, "Transitions", can.join(" "));
            kv(lines, theme, "Read at", json_str(v, &["lastUpdated"]));
        }
    }
}

/// Draws the node detail; returns how far it can scroll.
fn draw_detail(
    frame: &mut Frame,
    area: Rect,
    app: &App,
    theme: &Theme,
    xname: &str,
    scroll: u16,
) -> u16 {
    let mut lines: Vec<Line<'static>> = Vec::new();
    match app.details.get(xname) {
        None | Some(DetailData::Loading) => lines.push(Line::styled("Loading…", theme.dim())),
        Some(DetailData::Failed(e)) => lines.push(Line::styled(
            format!("Cannot load {xname}: {e}"),
            theme.error(),
        )),
        Some(DetailData::Loaded(d)) => {
            section(&mut lines, theme, "Component");
            match &d.component {
                None => lines.push(Line::styled("  not in the inventory", theme.error())),
                Some(c) => {
                    let v = serde_json::to_value(c).unwrap_or(Value::Null);
                    for k in [
                        "ID",
                        "Type",
                        "State",
                        "Flag",
                        "Enabled",
                        "SoftwareStatus",
                        "Role",
                        "SubRole",
                        "NID",
                        "Subtype",
                        "NetType",
                        "Arch",
                        "Class",
                    ] {
                        kv(&mut lines, theme, k, json_str(&v, &[k]));
                    }
                }
            }
            section(&mut lines, theme, "Membership");
            let (groups, partition) = match &d.membership {
                Some(m) => (m.group_labels.join(", "), m.partition_name.clone()),
                None => (String::new(), String::new()),
            };
            kv(
                &mut lines,
                theme,
                "Groups",
                if groups.is_empty() {
                    "none".into()
                } else {
                    groups
                },
            );
            kv(
                &mut lines,
                theme,
                "Partition",
                if partition.is_empty() {
                    "none".into()
                } else {
                    partition
                },
            );
            section(&mut lines, theme, "Redfish");
            match (&d.endpoint, &d.redfish) {
                (Some(ce), ep) => {
                    let v = serde_json::to_value(ce).unwrap_or(Value::Null);
                    kv(&mut lines, theme, "Endpoint", ce.endpoint_id.to_string());
                    kv(&mut lines, theme, "URL", json_str(&v, &["RedfishURL"]));
                    kv(&mut lines, theme, "Redfish type", ce.redfish_type.clone());
                    kv(&mut lines, theme, "UUID", json_str(&v, &["UUID"]));
                    let actions = &v["RedfishSystemInfo"]["Actions"]["#ComputerSystem.Reset"]
                        ["ResetType@Redfish.AllowableValues"];
                    if let Some(a) = actions.as_array() {
                        let names: Vec<&str> = a.iter().filter_map(Value::as_str).collect();
                        kv(&mut lines, theme, "Reset types", names.join(" "));
                    }
                    if let Some(ep) = ep {
                        kv(&mut lines, theme, "BMC FQDN", ep.fqdn.clone());
                        kv(&mut lines, theme, "BMC user", ep.user.clone());
                        kv(
                            &mut lines,
                            theme,
                            "Discovery",
                            ep.discovery.last_status.clone(),
                        );
                    }
                }
                (None, _) => lines.push(Line::styled("  no component endpoint", theme.dim())),
            }
            section(&mut lines, theme, "Interfaces");
            if d.interfaces.is_empty() {
                lines.push(Line::styled("  none", theme.dim()));
            }
            for i in &d.interfaces {
                let ips: Vec<String> = i
                    .ip_addresses
                    .iter()
                    .map(|m| {
                        if m.network.is_empty() {
                            m.ip_address.clone()
                        } else {
                            format!("{} ({})", m.ip_address, m.network)
                        }
                    })
                    .collect();
                kv(&mut lines, theme, &i.mac_address, ips.join(", "));
            }
            section(&mut lines, theme, "Hardware");
            match &d.hardware {
                None => lines.push(Line::styled("  no hardware record", theme.dim())),
                Some(h) => {
                    let v = serde_json::to_value(h).unwrap_or(Value::Null);
                    let fru = &["PopulatedFRU", "NodeFRUInfo"];
                    let f = |k: &str| json_str(&v, &[fru[0], fru[1], k]);
                    kv(&mut lines, theme, "Manufacturer", f("Manufacturer"));
                    kv(&mut lines, theme, "Model", f("Model"));
                    kv(&mut lines, theme, "Serial", f("SerialNumber"));
                    kv(&mut lines, theme, "BIOS", f("BiosVersion"));
                    let loc = |a: &str, b: &str| json_str(&v, &["NodeLocationInfo", a, b]);
                    let cpus = loc("ProcessorSummary", "Count");
                    let model = loc("ProcessorSummary", "Model");
                    kv(
                        &mut lines,
                        theme,
                        "Processors",
                        format!("{cpus} × {model}")
                            .trim_matches([' ', '×'])
                            .to_string(),
                    );
                    let mem = loc("MemorySummary", "TotalSystemMemoryGiB");
                    if !mem.is_empty() {
                        kv(&mut lines, theme, "Memory", format!("{mem} GiB"));
                    }
                }
            }
            section(&mut lines, theme, "Boot");
            match &d.boot {
                None => lines.push(Line::styled(
                    "  no boot parameters apply (none of its own, its groups', its role's, or Default)",
                    theme.dim(),
                )),
                Some(b) => {
                    let from = json_str(b, &["source"]);
                    let own = d.component.as_ref().is_some_and(|c| c.id.as_str() == from);
                    let from = if own { format!("{from} (its own)") } else { from };
                    kv(&mut lines, theme, "From", from);
                    kv(&mut lines, theme, "Kernel", json_str(b, &["kernel"]));
                    kv(&mut lines, theme, "Initrd", json_str(b, &["initrd"]));
                    kv(&mut lines, theme, "Params", json_str(b, &["params"]));
                }
            }
            section(&mut lines, theme, "Power");
            power_lines(&mut lines, theme, app.power_reads.get(xname));
            section(&mut lines, theme, "Power limit");
            let may_set = !app.read_only && app.may(super::keymap::Action::PowerCap);
            super::cap::lines(&mut lines, theme, app.cap_reads.get(xname), may_set);
        }
    }
    let block = Block::default()
        .borders(Borders::TOP)
        .title(Span::styled(format!(" {xname} "), theme.accent()));
    // The block's top border takes one line.
    let max = (lines.len() as u16).saturating_sub(area.height.saturating_sub(1));
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .scroll((scroll.min(max), 0)),
        area,
    );
    max
}

fn draw_status(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let line = match &app.input {
        Input::Filter(t) => Line::from(vec![
            Span::styled("/", theme.accent()),
            Span::raw(t.clone()),
            Span::raw("▏"),
        ]),
        Input::Command(t) => Line::from(vec![
            Span::styled(":", theme.accent()),
            Span::raw(t.clone()),
            Span::raw("▏"),
        ]),
        Input::Cap {
            xname,
            control,
            text,
        } => Line::from(vec![
            Span::styled(
                format!("{xname} {control} (W, 0 lifts it): "),
                theme.accent(),
            ),
            Span::raw(text.clone()),
            Span::raw("▏"),
        ]),
        // The question itself is in a box over the view (it can be long).
        Input::Confirm { .. } => Line::styled(
            "y applies · any other key cancels, nothing changed",
            theme.accent(),
        ),
        Input::SortPending => Line::styled(
            format!(
                "sort by: {}",
                Column::ALL
                    .iter()
                    .map(|c| format!("{} {}", c.key(), c.title().to_lowercase()))
                    .collect::<Vec<_>>()
                    .join("  ")
            ),
            theme.accent(),
        ),
        Input::None => match &app.message {
            Some((m, true)) => Line::styled(m.clone(), theme.error()),
            Some((m, false)) => Line::raw(m.clone()),
            None => match (&app.conn, &app.live) {
                (Conn::Stale { error, .. }, _) => Line::styled(error.clone(), theme.error()),
                (_, Live::Down { since, reason, .. }) => Line::styled(
                    format!(
                        "live updates down since {since} ({reason}); polling every {} s",
                        POLL.as_secs()
                    ),
                    theme.error(),
                ),
                _ => Line::default(),
            },
        },
    };
    frame.render_widget(Paragraph::new(line), area);
}

fn draw_hints(frame: &mut Frame, area: Rect, app: &App, theme: &Theme) {
    let text = match (&app.editor, &app.tenant_form, &app.picker) {
        (Some(ed), _, _) => Some(super::ui_boot::hints(ed)),
        (None, Some(form), _) => Some(super::ui_tenant::hints(form)),
        (None, None, Some(_)) => {
            Some(" up/down choose · enter picks (asks before writing) · esc cancel")
        }
        _ => None,
    };
    if let Some(text) = text {
        let text = fit_hints(text, area.width as usize);
        frame.render_widget(Paragraph::new(Line::styled(text, theme.dim())), area);
        return;
    }
    let mut spans = Vec::new();
    // Views add their own keys.
    let here = |a: Action| match app.view() {
        View::Transition { .. } => matches!(a, Action::Abort | Action::Retry),
        View::List {
            kind: ListKind::Tenants,
            ..
        } => matches!(a, Action::NewTenant | Action::Delete),
        View::List {
            kind: ListKind::Groups | ListKind::Partitions,
            ..
        } => matches!(a, Action::AddMembers | Action::RemoveMembers),
        View::List {
            kind: ListKind::Endpoints,
            ..
        } => a == Action::Discover,
        View::Inventory => a == Action::AssignTenant,
        _ => false,
    };
    let shown = |b: &&super::keymap::Binding| (b.hint || here(b.action)) && app.may(b.action);
    // Whole hints only: one that does not fit is left out, not cut (`?` lists them all).
    let mut used = 0;
    for b in app.keymap.bindings.iter().filter(shown) {
        if let Some(k) = b.keys.first() {
            let (key, name) = (format!(" {k}"), format!(" {}", b.name));
            used += key.chars().count() + name.chars().count();
            if used > area.width as usize {
                break;
            }
            spans.push(Span::styled(key, theme.accent()));
            spans.push(Span::styled(name, theme.dim()));
        }
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// A y/N question in a box, wrapped to fit.
fn draw_question(frame: &mut Frame, prompt: &str, theme: &Theme) {
    let area = frame.area();
    let w = area.width.saturating_sub(4).min(76);
    let inner = w.saturating_sub(2).max(1) as usize;
    // Wrapping at words can take a line more than the characters need.
    let n = prompt.chars().count();
    let rows = (n.div_ceil(inner) + usize::from(n > inner)) as u16;
    let popup = super::ui_power::centered(area, w, rows + 2);
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(prompt.to_string())
            .wrap(Wrap { trim: false })
            .block(
                Block::default()
                    .borders(Borders::ALL)
                    .title(Span::styled(" Confirm ", theme.accent())),
            ),
        popup,
    );
}

/// Draws the help overlay, scrolled by `app.help_scroll`; returns how far it can scroll.
fn draw_help(frame: &mut Frame, app: &App, theme: &Theme) -> u16 {
    let area = frame.area();
    let w = area.width.saturating_sub(4).min(76);
    let inner = w.saturating_sub(2) as usize;
    // Long texts wrap under their own column, not under the keys.
    let indented = |lines: &mut Vec<Line<'static>>, text: &str, indent: usize| {
        for row in wrap_words(text, inner.saturating_sub(indent)) {
            lines.push(Line::raw(format!("{:indent$}{row}", "")));
        }
    };
    let key_col = 16;
    let mut lines = vec![Line::styled("Keys", theme.accent())];
    for b in app.keymap.bindings.iter().filter(|b| app.may(b.action)) {
        let rows = wrap_words(b.help, inner.saturating_sub(key_col));
        lines.push(Line::from(vec![
            Span::styled(
                format!("  {:<14}", app.keymap.keys_of(b.action)),
                theme.accent(),
            ),
            Span::raw(rows[0].clone()),
        ]));
        for row in &rows[1..] {
            lines.push(Line::raw(format!("{:key_col$}{row}", "")));
        }
    }
    lines.push(Line::default());
    lines.push(Line::styled("Filter (/)", theme.accent()));
    indented(
        &mut lines,
        "words AND · field=a,b · !word · x1000c0s[0-3]b0n[0-1] · text",
        2,
    );
    indented(
        &mut lines,
        &format!("fields: {}", field_names().collect::<Vec<_>>().join(" ")),
        2,
    );
    lines.push(Line::default());
    lines.push(Line::styled("Commands (:)", theme.accent()));
    indented(
        &mut lines,
        &COMMANDS
            .iter()
            .map(|(n, _)| *n)
            .collect::<Vec<_>>()
            .join(" "),
        2,
    );
    lines.push(Line::styled(
        format!("  {} closes this", app.keymap.keys_of(Action::Back)),
        theme.dim(),
    ));
    // As tall as the text and its border, if it fits; else it scrolls.
    let h = area.height.saturating_sub(2).min(lines.len() as u16 + 2);
    let popup = Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    };
    let max_scroll = (lines.len() as u16).saturating_sub(h.saturating_sub(2));
    let scroll = app.help_scroll.min(max_scroll);
    let mut block = Block::default()
        .borders(Borders::ALL)
        .title(Span::styled(" help ", theme.accent()));
    if max_scroll > 0 {
        let (up, down) = (
            app.keymap.keys_of(Action::Up),
            app.keymap.keys_of(Action::Down),
        );
        block = block.title_bottom(
            Line::styled(
                format!(
                    " {up} {down} scroll · line {} of {} ",
                    scroll + 1,
                    lines.len()
                ),
                theme.dim(),
            )
            .right_aligned(),
        );
    }
    frame.render_widget(Clear, popup);
    frame.render_widget(
        Paragraph::new(lines).scroll((scroll, 0)).block(block),
        popup,
    );
    max_scroll
}

#[cfg(test)]
mod tests {
    use super::fit_widths;

    #[test]
    fn columns_fit_by_narrowing_the_widest_first() {
        // Room for all: each gets what it wants.
        assert_eq!(fit_widths(&[4, 10, 6], &[4, 4, 4], 30, 2), vec![4, 10, 6]);
        // 5 too many: the widest gives until it is level with the next, then later ones give.
        assert_eq!(fit_widths(&[4, 29, 40], &[4, 4, 6], 72, 2), vec![4, 29, 35]);
        assert_eq!(fit_widths(&[4, 29, 40], &[4, 4, 6], 52, 2), vec![4, 22, 22]);
        // Never below the titles, even when that cannot fit.
        assert_eq!(fit_widths(&[8, 8], &[6, 7], 5, 2), vec![6, 7]);
    }
}
