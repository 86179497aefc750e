//! Tenant actions: the tenant form (create with `n`, edit with `e` in `:tenants`; YAML with
//! node lists as hostlists), delete with a confirm, and `t`: a picker that assigns the marked
//! nodes to a tenant or releases them, naming the nodes that cannot join before anything is
//! written. Pure state changes; the event loop does the calls.

use std::collections::BTreeSet;

use ratatui::crossterm::event::{KeyCode, KeyEvent};
use serde::{Deserialize, Serialize};
use tui_textarea::TextArea;

use super::boot::{text_area, typing_key, Typed};
use super::state::{App, Input, ListKind, Live, View};
use super::update::Command;
use crate::client::tenants::PerTenant;
use crate::client::ClientError;
use crate::edit::at_line;
use crate::model::hostlist;
use crate::model::tenant::{plan_join, Admins, JoinPlan, Tenant, TenantResource, TenantSpec};

/// What the form shows of a tenant; the rest of its spec (namespaces, KMS, hooks) is kept.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    #[serde(default)]
    tenantname: String,
    #[serde(default)]
    tenantresources: Vec<Resource>,
    #[serde(default)]
    admins: Admins,
}

/// A resource with its nodes as one hostlist.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Resource {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    xnames: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    hsmgrouplabel: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    hsmpartitionname: String,
    #[serde(default)]
    enforceexclusivehsmgroups: bool,
    #[serde(default)]
    forcepoweroff: bool,
}

/// The YAML the form shows for a spec.
pub fn to_text(spec: &TenantSpec) -> String {
    let doc = Doc {
        tenantname: spec.tenantname.clone(),
        tenantresources: spec
            .tenantresources
            .iter()
            .map(|r| Resource {
                kind: r.kind.clone(),
                xnames: hostlist::compress(&r.xnames),
                hsmgrouplabel: r.hsmgrouplabel.clone(),
                hsmpartitionname: r.hsmpartitionname.clone(),
                enforceexclusivehsmgroups: r.enforceexclusivehsmgroups,
                forcepoweroff: r.forcepoweroff,
            })
            .collect(),
        admins: spec.admins.clone(),
    };
    serde_yaml::to_string(&doc).unwrap_or_default()
}

/// Reads the form back into a spec (the fields it does not show taken from `base`), checked
/// as the core would check it on its own and, for an edit, as a change of `base`; or the
/// first problem with its line (0-based).
pub fn parse(text: &str, base: &TenantSpec, create: bool) -> Result<TenantSpec, (usize, String)> {
    let doc: Doc = serde_yaml::from_str(text).map_err(|e| {
        let line = e.location().map_or(0, |l| l.line().saturating_sub(1));
        (line, e.to_string())
    })?;
    let mut resources = Vec::with_capacity(doc.tenantresources.len());
    for (i, r) in doc.tenantresources.into_iter().enumerate() {
        let xnames = hostlist::expand(&r.xnames).map_err(|e| {
            (
                line_of(text, Some(i), "xnames"),
                format!("tenantresources[{i}].xnames: {e}"),
            )
        })?;
        resources.push(TenantResource {
            kind: r.kind,
            xnames,
            hsmpartitionname: r.hsmpartitionname,
            hsmgrouplabel: r.hsmgrouplabel,
            enforceexclusivehsmgroups: r.enforceexclusivehsmgroups,
            forcepoweroff: r.forcepoweroff,
        });
    }
    let mut spec = TenantSpec {
        tenantname: doc.tenantname.trim().to_string(),
        tenantresources: resources,
        admins: doc.admins,
        state: String::new(),
        ..base.clone()
    };
    let checked = spec.validate().and_then(|()| {
        if create {
            Ok(())
        } else {
            spec.check_change(base)
        }
    });
    checked.map_err(|why| (line_of_problem(text, &why), why))?;
    Ok(spec)
}

/// The line a problem message points at: `tenantresources[2].xnames: ...` is the `xnames`
/// line of the third resource; `tenantname ...` is the name's line.
fn line_of_problem(text: &str, why: &str) -> usize {
    if let Some(rest) = why.strip_prefix("tenantresources[") {
        let i = rest.split(']').next().and_then(|n| n.parse().ok());
        let field = rest
            .split_once("].")
            .map(|(_, f)| {
                f.split(|c: char| !c.is_ascii_alphanumeric())
                    .next()
                    .unwrap_or("")
            })
            .unwrap_or("");
        return line_of(text, i, field);
    }
    let field = if why.contains("enforceexclusivehsmgroups") {
        "enforceexclusivehsmgroups"
    } else if why.starts_with("tenantresources") {
        "tenantresources"
    } else {
        "tenantname"
    };
    line_of(text, None, field)
}

/// The line of `field`: within the `i`-th resource when given (its first line when the
/// field is not there), else anywhere.
fn line_of(text: &str, resource: Option<usize>, field: &str) -> usize {
    let lines: Vec<&str> = text.lines().collect();
    let key = |l: &str| {
        let t = l.trim_start().trim_start_matches("- ");
        !field.is_empty() && t.starts_with(&format!("{field}:"))
    };
    let Some(i) = resource else {
        return lines.iter().position(|l| key(l)).unwrap_or(0);
    };
    // Resources are the list items after `tenantresources:`.
    let start = lines
        .iter()
        .position(|l| l.starts_with("tenantresources:"))
        .unwrap_or(0);
    let items: Vec<usize> = (start + 1..lines.len())
        .take_while(|&n| lines[n].starts_with(' ') || lines[n].starts_with('-'))
        .filter(|&n| lines[n].trim_start().starts_with("- "))
        .collect();
    let Some(&first) = items.get(i) else {
        return start;
    };
    let end = items.get(i + 1).copied().unwrap_or(lines.len());
    (first..end).find(|&n| key(lines[n])).unwrap_or(first)
}

/// Where the form is.
#[derive(Debug, Clone, PartialEq)]
pub enum Stage {
    /// Reading the tenant.
    Loading,
    /// The operator types.
    Editing,
    /// The diff against the stored version, waiting for `y`.
    Review,
    /// The write is in flight.
    Saving,
}

/// An open tenant form.
#[derive(Debug, Clone)]
pub struct Form {
    /// The tenant edited (empty for a new one until typed).
    pub name: String,
    /// Whether applying creates the tenant (`If-None-Match: *`) rather than replacing it.
    pub create: bool,
    /// The stored spec, as read.
    pub base: TenantSpec,
    /// The version read (`If-Match`).
    pub etag: Option<String>,
    /// `base` as YAML: what the diff is against.
    pub base_text: String,
    pub area: TextArea<'static>,
    /// The first problem in the text: its line (0-based) and why.
    pub problem: Option<(usize, String)>,
    pub stage: Stage,
    /// `esc` was pressed once with unsaved changes; a second one discards them.
    pub discard_armed: bool,
    /// Why the diff is against a newer version than the one opened, when it is.
    pub rebased: bool,
}

impl Form {
    fn new(name: &str, create: bool) -> Form {
        Form {
            name: name.to_string(),
            create,
            base: TenantSpec::default(),
            etag: None,
            base_text: String::new(),
            area: TextArea::default(),
            problem: None,
            stage: Stage::Loading,
            discard_armed: false,
            rebased: false,
        }
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

    fn set_text(&mut self, text: &str) {
        self.area = text_area(text);
        self.check();
    }

    fn check(&mut self) {
        self.problem = parse(&self.text(), &self.base, self.create).err();
    }

    fn take(&mut self, t: &Tenant, etag: Option<String>) {
        self.base = t.spec.clone();
        self.base_text = to_text(&t.spec);
        self.etag = Some(etag.unwrap_or_else(|| format!("\"{}\"", t.metadata.resource_version)));
    }
}

/// Whether the console may change tenants (admins only; the core says so too).
fn may_change(app: &mut App) -> bool {
    if app.read_only {
        app.message = Some(("read-only console: tenant changes are off".into(), true));
        return false;
    }
    if !app.is_admin() {
        app.message = Some(("changing tenants needs the admin role".into(), true));
        return false;
    }
    true
}

/// `n` in `:tenants`: a form for a new tenant, holding the marked nodes when there are any.
pub fn new_tenant(app: &mut App) -> Vec<Command> {
    if !may_change(app) {
        return Vec::new();
    }
    let mut form = Form::new("", true);
    let nodes: Vec<String> = app.marks.iter().cloned().collect();
    let template = TenantSpec {
        tenantname: "new-tenant".into(),
        tenantresources: vec![TenantResource {
            kind: "compute".into(),
            xnames: nodes,
            ..TenantResource::default()
        }],
        ..TenantSpec::default()
    };
    // The diff of a create is against nothing.
    form.set_text(&to_text(&template));
    form.stage = Stage::Editing;
    app.tenant_form = Some(Box::new(form));
    app.message = Some((
        "new tenant: name it, list its nodes as a hostlist; ctrl-s reviews and creates".into(),
        false,
    ));
    Vec::new()
}

/// `e` in `:tenants`: the form over the tenant under the cursor, once read.
pub fn edit_tenant(app: &mut App, name: String) -> Vec<Command> {
    if !may_change(app) {
        return Vec::new();
    }
    app.tenant_form = Some(Box::new(Form::new(&name, false)));
    app.message = None;
    vec![Command::LoadTenant {
        name,
        conflict: false,
    }]
}

/// The tenant arrived for the form (for a fresh form, or after a refused write).
pub fn loaded(
    app: &mut App,
    name: &str,
    conflict: bool,
    result: Result<Box<(Tenant, Option<String>)>, ClientError>,
) {
    let Some(form) = app.tenant_form.as_mut().filter(|f| f.name == name) else {
        return;
    };
    match (result.map(|b| *b), conflict) {
        (Ok((t, etag)), false) => {
            form.take(&t, etag);
            let text = form.base_text.clone();
            form.set_text(&text);
            form.stage = Stage::Editing;
        }
        // Someone changed it meanwhile: the text stays, the diff is now against theirs, and
        // only `y` on that diff writes.
        (Ok((t, etag)), true) => {
            form.take(&t, etag);
            form.check();
            form.rebased = true;
            form.stage = Stage::Review;
            app.message = Some((
                format!(
                    "tenant {name} changed since you opened it: the diff is against the newer \
                     version; y applies your text over it, esc goes back to editing"
                ),
                true,
            ));
        }
        (Err(e), false) => {
            app.tenant_form = None;
            app.message = Some((format!("cannot read tenant {name}: {e}"), true));
        }
        (Err(e), true) => {
            form.stage = Stage::Editing;
            app.message = Some((
                format!("the write was refused as stale and the newer version cannot be read: {e}; your text is kept"),
                true,
            ));
        }
    }
}

/// The write's answer.
pub fn saved(app: &mut App, result: Result<(), ClientError>) -> Vec<Command> {
    let Some(form) = app.tenant_form.as_mut() else {
        return Vec::new();
    };
    match result {
        Ok(()) => {
            let what = if form.create { "created" } else { "changed" };
            let name = form.name.clone();
            app.tenant_form = None;
            app.message = Some((format!("tenant {name} {what}"), false));
            refresh_tenants(app)
        }
        Err(ClientError::Api { status: 412, .. }) if form.create => {
            form.stage = Stage::Editing;
            app.message = Some((
                format!(
                    "tenant {} exists already: pick another name (your text is kept)",
                    form.name
                ),
                true,
            ));
            Vec::new()
        }
        Err(ClientError::Api { status: 412, .. }) => {
            form.stage = Stage::Loading;
            vec![Command::LoadTenant {
                name: form.name.clone(),
                conflict: true,
            }]
        }
        Err(e) => {
            form.stage = Stage::Editing;
            app.message = Some((format!("not applied: {e}; your text is kept"), true));
            Vec::new()
        }
    }
}

/// Reads the tenants again when no event will say they changed.
fn refresh_tenants(app: &App) -> Vec<Command> {
    let listed = matches!(
        app.view(),
        View::List {
            kind: ListKind::Tenants,
            ..
        }
    );
    if listed && app.live != Live::Up {
        return vec![Command::FetchList(ListKind::Tenants)];
    }
    Vec::new()
}

/// Keys while the form is open.
pub fn form_key(app: &mut App, k: KeyEvent) -> Vec<Command> {
    let Some(mut form) = app.tenant_form.take() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut close = false;
    match form.stage {
        // esc abandons a first read; while a refused write's newer version loads, the text
        // waits for it.
        Stage::Loading | Stage::Saving => {
            close = k.code == KeyCode::Esc && form.stage == Stage::Loading && !form.changed();
        }
        Stage::Editing => {
            let changed = form.changed();
            let f = &mut *form;
            match typing_key(
                app,
                k,
                &mut f.area,
                &f.problem,
                changed,
                &mut f.discard_armed,
            ) {
                Typed::Review => form.stage = Stage::Review,
                Typed::Close => close = true,
                Typed::Edited => form.check(),
                Typed::Nothing => {}
            }
        }
        Stage::Review => match k.code {
            KeyCode::Char('y') | KeyCode::Enter => {
                match parse(&form.text(), &form.base, form.create) {
                    Ok(spec) => {
                        form.name = spec.tenantname.clone();
                        form.stage = Stage::Saving;
                        app.message = None;
                        out.push(Command::SaveTenant {
                            spec: Box::new(spec),
                            etag: if form.create { None } else { form.etag.clone() },
                        });
                    }
                    Err(problem) => {
                        form.stage = Stage::Editing;
                        app.message = Some((at_line(&problem), true));
                    }
                }
            }
            KeyCode::Esc | KeyCode::Char('n') => form.stage = Stage::Editing,
            _ => {}
        },
    }
    if !close {
        app.tenant_form = Some(form);
    } else {
        app.message = None;
    }
    out
}

/// `ctrl-d` in `:tenants`: asks to delete the tenant under the cursor, naming its nodes as
/// the row shows them (`count`, `hostlist`).
pub fn delete(app: &mut App, name: String, count: &str, hostlist: &str) -> Vec<Command> {
    if !may_change(app) {
        return Vec::new();
    }
    app.input = Input::Confirm {
        prompt: format!(
            "delete tenant {name} ({count} node(s) {hostlist}; its groups go, its nodes are \
             released)? y/N"
        ),
        command: Box::new(Command::DeleteTenant(name)),
    };
    Vec::new()
}

/// The `t` picker: the nodes to assign and the row under the cursor (the tenants, then
/// "release").
#[derive(Debug, Clone, PartialEq)]
pub struct Picker {
    /// (xname, Role) of each node.
    pub nodes: Vec<(String, String)>,
    pub cursor: usize,
}

/// `t`: opens the picker over the marked nodes (or the cursor's); reads the tenants when
/// the console has none yet.
pub fn open_picker(app: &mut App, xnames: Vec<String>) -> Vec<Command> {
    if !may_change(app) {
        return Vec::new();
    }
    if xnames.is_empty() {
        app.message = Some(("no node under the cursor".into(), true));
        return Vec::new();
    }
    let nodes = xnames
        .into_iter()
        .map(|x| {
            let role = app
                .rows
                .binary_search_by(|r| r.xname.as_str().cmp(x.as_str()))
                .ok()
                .map(|i| app.rows[i].role.clone())
                .unwrap_or_default();
            (x, role)
        })
        .collect();
    app.picker = Some(Picker { nodes, cursor: 0 });
    app.message = None;
    if app.tenant_list.is_none() {
        return vec![Command::FetchList(ListKind::Tenants)];
    }
    Vec::new()
}

/// The picker's rows: tenant names, then the release row.
pub fn picker_rows(app: &App) -> Vec<String> {
    let mut rows: Vec<String> = app
        .tenant_list
        .iter()
        .flatten()
        .map(|t| t.metadata.name.clone())
        .collect();
    rows.push(RELEASE.to_string());
    rows
}

/// The picker's last row.
pub const RELEASE: &str = "release from their tenants";

/// Keys while the picker is open.
pub fn picker_key(app: &mut App, k: KeyEvent) -> Vec<Command> {
    let Some(mut p) = app.picker.take() else {
        return Vec::new();
    };
    let rows = picker_rows(app);
    match k.code {
        KeyCode::Up | KeyCode::Char('k') => p.cursor = p.cursor.saturating_sub(1),
        KeyCode::Down | KeyCode::Char('j') => p.cursor = (p.cursor + 1).min(rows.len() - 1),
        KeyCode::Esc | KeyCode::Char('q') => return Vec::new(),
        KeyCode::Enter if app.tenant_list.is_some() => {
            match rows.get(p.cursor) {
                Some(r) if r == RELEASE => release(app, &p.nodes),
                Some(name) => assign(app, name, &p.nodes),
                None => {}
            }
            return Vec::new();
        }
        _ => {}
    }
    app.picker = Some(p);
    Vec::new()
}

/// Asks to assign the nodes that can join `name`, naming the ones that cannot and why.
fn assign(app: &mut App, name: &str, nodes: &[(String, String)]) {
    let tenants = app.tenant_list.clone().unwrap_or_default();
    let JoinPlan { join, refused } = plan_join(&tenants, name, nodes);
    let why = refusals(&refused);
    if join.is_empty() {
        app.message = Some((format!("no node can join tenant {name}: {why}"), true));
        return;
    }
    let ids: Vec<&str> = join.iter().map(|(x, _)| x.as_str()).collect();
    let mut prompt = format!(
        "assign {} node(s) to tenant {name}: {}",
        join.len(),
        hostlist::compress(&ids)
    );
    if !refused.is_empty() {
        prompt.push_str(&format!(" ({} cannot: {why})", refused.len()));
    }
    prompt.push_str("? y/N");
    app.input = Input::Confirm {
        prompt,
        command: Box::new(Command::JoinTenant {
            name: name.to_string(),
            nodes: join,
        }),
    };
}

/// Asks to release the nodes from the tenants that hold them.
fn release(app: &mut App, nodes: &[(String, String)]) {
    let wanted: BTreeSet<&str> = nodes.iter().map(|(x, _)| x.as_str()).collect();
    let mut held: Vec<String> = Vec::new();
    let mut owners: Vec<String> = Vec::new();
    for t in app.tenant_list.iter().flatten() {
        let mine: Vec<String> = t
            .spec
            .tenantresources
            .iter()
            .flat_map(|r| r.xnames.iter())
            .filter(|x| wanted.contains(x.as_str()))
            .cloned()
            .collect();
        if !mine.is_empty() {
            owners.push(t.metadata.name.clone());
            held.extend(mine);
        }
    }
    if held.is_empty() {
        app.message = Some(("none of these nodes is in a tenant".into(), true));
        return;
    }
    held.sort();
    held.dedup();
    app.input = Input::Confirm {
        prompt: format!(
            "release {} node(s) from tenant(s) {}: {}? y/N",
            held.len(),
            owners.join(", "),
            hostlist::compress(&held)
        ),
        command: Box::new(Command::ReleaseFromTenants(held)),
    };
}

/// `3 held by exclusive tenant red (x1000c0s[1-3]b0n0); 1 already in blue (...)`: the
/// refused nodes grouped by reason.
pub fn refusals(refused: &[(String, String)]) -> String {
    let mut by: Vec<(&str, Vec<&str>)> = Vec::new();
    for (x, why) in refused {
        match by.iter_mut().find(|(w, _)| w == why) {
            Some((_, xs)) => xs.push(x),
            None => by.push((why, vec![x])),
        }
    }
    by.iter()
        .map(|(why, xs)| format!("{} {why} ({})", xs.len(), hostlist::compress(xs)))
        .collect::<Vec<_>>()
        .join("; ")
}

/// The answer to a join, release or delete: per tenant touched, done or why not.
pub fn done(app: &mut App, what: &str, result: Result<PerTenant, ClientError>) -> Vec<Command> {
    let text = match result {
        Err(e) => (format!("{what}: not done: {e}"), true),
        Ok(results) => {
            let failed: Vec<String> = results
                .iter()
                .filter_map(|(t, r)| r.as_ref().err().map(|e| format!("{t}: {e}")))
                .collect();
            if failed.is_empty() && results.is_empty() {
                (what.to_string(), false)
            } else if failed.is_empty() {
                (format!("{what}: done"), false)
            } else {
                (format!("{what}: {}", failed.join("; ")), true)
            }
        }
    };
    app.message = Some(text);
    // Memberships moved: read the inventory again, and the tenants when shown (the picker
    // reads them afresh next time).
    app.last_fetch = None;
    app.tenant_list = None;
    let listed = matches!(
        app.view(),
        View::List {
            kind: ListKind::Tenants,
            ..
        }
    );
    if listed {
        return vec![Command::FetchList(ListKind::Tenants)];
    }
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tenant::Metadata;
    use crate::tui::keymap::{Action, Keymap};
    use crate::tui::update::{update, Msg};
    use ratatui::crossterm::event::KeyModifiers;

    fn app(roles: &[&str]) -> App {
        let roles = roles.iter().map(|r| r.to_string()).collect();
        let mut a = App::new(
            "https://core",
            ("t".into(), roles),
            false,
            Keymap::default(),
        );
        a.views.push(View::List {
            kind: ListKind::Tenants,
            cursor: 0,
        });
        a
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

    fn tenant(name: &str, version: &str, xnames: &[&str], exclusive: bool) -> Tenant {
        Tenant {
            metadata: Metadata {
                name: name.into(),
                resource_version: version.into(),
                ..Metadata::default()
            },
            spec: TenantSpec {
                tenantname: name.into(),
                state: "Deployed".into(),
                tenantresources: vec![TenantResource {
                    kind: "compute".into(),
                    xnames: xnames.iter().map(|x| x.to_string()).collect(),
                    enforceexclusivehsmgroups: exclusive,
                    ..TenantResource::default()
                }],
                ..TenantSpec::default()
            },
            ..Tenant::default()
        }
    }

    #[test]
    fn the_text_holds_hostlists_and_problems_name_their_line() {
        let t = tenant("blue", "2", &["x1000c0s0b0n0", "x1000c0s1b0n0"], true);
        let text = to_text(&t.spec);
        assert!(text.contains("xnames: x1000c0s[0-1]b0n0\n"), "{text}");
        assert!(
            !text.contains("state"),
            "the core's state is not edited: {text}"
        );
        let back = parse(&text, &t.spec, false).unwrap();
        assert_eq!(back.tenantresources, t.spec.tenantresources);

        let line = |text: &str| parse(text, &t.spec, false).unwrap_err();
        let bad = text.replace("x1000c0s[0-1]b0n0", "x1000c0s[0-");
        let (n, why) = line(&bad);
        assert_eq!(n, 3, "{why}");
        assert!(why.starts_with("tenantresources[0].xnames"), "{why}");
        // The exclusive flag is fixed after creation: the edit names its line.
        let (n, why) = line(&text.replace(
            "enforceexclusivehsmgroups: true",
            "enforceexclusivehsmgroups: false",
        ));
        assert_eq!(n, 4, "{why}");
        assert!(why.contains("cannot change after creation"), "{why}");
        // ...but a new tenant may set it either way.
        let flipped = text.replace(
            "enforceexclusivehsmgroups: true",
            "enforceexclusivehsmgroups: false",
        );
        assert!(parse(&flipped, &t.spec, true).is_ok());
        let (n, why) = line(&format!("{text}colour: blue\n"));
        assert_eq!(n, 9, "{why}");
        assert!(why.contains("unknown field `colour`"), "{why}");
        let (n, why) = line(&text.replace("tenantname: blue", "tenantname: Blue!"));
        assert_eq!(n, 0, "{why}");
    }

    /// `e` on a row: read, edit, review, apply with If-Match; a 412 reads theirs and shows
    /// the diff against it, and only `y` on that writes, with their version.
    #[test]
    fn edit_applies_with_if_match_and_a_412_reviews_against_theirs() {
        let mut a = app(&["admin"]);
        let listed = vec![tenant("blue", "2", &["x1000c0s0b0n0"], false)];
        update(&mut a, Msg::Tenants(Ok(listed)));
        let cmds = press(&mut a, KeyCode::Char('e'));
        assert_eq!(
            cmds,
            [Command::LoadTenant {
                name: "blue".into(),
                conflict: false
            }]
        );
        let loaded = |v: &str, xnames: &[&str]| Msg::TenantLoaded {
            name: "blue".into(),
            conflict: v != "2",
            result: Ok(Box::new((
                tenant("blue", v, xnames, false),
                Some(format!("\"{v}\"")),
            ))),
        };
        update(&mut a, loaded("2", &["x1000c0s0b0n0"]));
        assert_eq!(a.tenant_form.as_ref().unwrap().stage, Stage::Editing);
        // Admins: down to `subjects: []` and replace it.
        let text = a.tenant_form.as_ref().unwrap().text();
        let at = text.lines().position(|l| l.contains("subjects")).unwrap();
        for _ in 0..at {
            press(&mut a, KeyCode::Down);
        }
        press(&mut a, KeyCode::End);
        press(&mut a, KeyCode::Backspace);
        press(&mut a, KeyCode::Backspace);
        typed(&mut a, "[alice]");
        assert_eq!(a.tenant_form.as_ref().unwrap().problem, None);
        ctrl(&mut a, 's');
        assert_eq!(a.tenant_form.as_ref().unwrap().stage, Stage::Review);
        let cmds = press(&mut a, KeyCode::Char('y'));
        let [Command::SaveTenant { spec, etag }] = cmds.as_slice() else {
            panic!("{cmds:?}")
        };
        assert_eq!(spec.admins.subjects, ["alice"]);
        assert_eq!(etag.as_deref(), Some("\"2\""));

        let api = |status| ClientError::Api {
            status,
            detail: "stale".into(),
        };
        let cmds = update(&mut a, Msg::TenantSaved(Err(api(412))));
        assert_eq!(
            cmds,
            [Command::LoadTenant {
                name: "blue".into(),
                conflict: true
            }]
        );
        // esc while the newer version loads does not drop the text.
        press(&mut a, KeyCode::Esc);
        assert!(a.tenant_form.is_some());
        update(&mut a, loaded("3", &["x1000c0s0b0n0", "x1000c0s1b0n0"]));
        let form = a.tenant_form.as_ref().unwrap();
        assert_eq!(form.stage, Stage::Review);
        assert!(form.rebased);
        assert!(
            form.base_text.contains("x1000c0s[0-1]b0n0"),
            "the diff is against theirs"
        );
        assert!(a
            .message
            .as_ref()
            .unwrap()
            .0
            .contains("changed since you opened it"));
        let cmds = press(&mut a, KeyCode::Char('y'));
        let [Command::SaveTenant { etag, .. }] = cmds.as_slice() else {
            panic!("{cmds:?}")
        };
        assert_eq!(etag.as_deref(), Some("\"3\""));
        // Another refusal keeps the text.
        update(&mut a, Msg::TenantSaved(Err(api(409))));
        assert_eq!(a.tenant_form.as_ref().unwrap().stage, Stage::Editing);
        assert!(a.message.as_ref().unwrap().0.contains("your text is kept"));
        update(&mut a, Msg::Tenants(Ok(vec![])));
        press(&mut a, KeyCode::Esc);
        assert!(a.tenant_form.is_some(), "unsaved changes need a second esc");
        press(&mut a, KeyCode::Esc);
        assert!(a.tenant_form.is_none());
    }

    #[test]
    fn a_new_tenant_holds_the_marks_and_a_taken_name_keeps_the_text() {
        let mut a = app(&["admin"]);
        a.marks.insert("x1000c0s0b0n0".into());
        a.marks.insert("x1000c0s1b0n0".into());
        press(&mut a, KeyCode::Char('n'));
        let form = a.tenant_form.as_ref().expect("open");
        assert!(form.create);
        assert!(
            form.text().contains("xnames: x1000c0s[0-1]b0n0"),
            "{}",
            form.text()
        );
        ctrl(&mut a, 's');
        let cmds = press(&mut a, KeyCode::Char('y'));
        let [Command::SaveTenant { spec, etag: None }] = cmds.as_slice() else {
            panic!("{cmds:?}")
        };
        assert_eq!(spec.tenantname, "new-tenant");
        let err = ClientError::Api {
            status: 412,
            detail: "exists".into(),
        };
        assert!(update(&mut a, Msg::TenantSaved(Err(err))).is_empty());
        assert_eq!(a.tenant_form.as_ref().unwrap().stage, Stage::Editing);
        assert!(a.message.as_ref().unwrap().0.contains("exists already"));
        ctrl(&mut a, 's');
        press(&mut a, KeyCode::Char('y'));
        update(&mut a, Msg::TenantSaved(Ok(())));
        assert!(a.tenant_form.is_none());
        assert_eq!(a.message, Some(("tenant new-tenant created".into(), false)));
    }

    /// `t`: the tenants are read, the prompt names who cannot join and why, and only the
    /// others are sent; release names the holders; delete asks first.
    #[test]
    fn assign_names_conflicts_before_writing_release_and_delete_ask() {
        let mut a = app(&["admin"]);
        a.views.truncate(1);
        let comps: Vec<crate::model::component::Component> =
            ["x1000c0s0b0n0", "x1000c0s1b0n0", "x1000c0s2b0n0"]
                .iter()
                .map(|x| {
                    serde_json::from_value(
                        serde_json::json!({"ID": x, "Type": "Node", "Role": "Compute"}),
                    )
                    .unwrap()
                })
                .collect();
        a.set_inventory(&comps, &[]);
        for x in ["x1000c0s0b0n0", "x1000c0s1b0n0", "x1000c0s2b0n0"] {
            a.marks.insert(x.into());
        }
        let cmds = press(&mut a, KeyCode::Char('t'));
        assert_eq!(cmds, [Command::FetchList(ListKind::Tenants)]);
        let tenants = vec![
            tenant("blue", "2", &["x1000c0s0b0n0"], true),
            tenant("red", "4", &["x1000c0s1b0n0"], true),
        ];
        update(&mut a, Msg::Tenants(Ok(tenants.clone())));
        assert_eq!(picker_rows(&a), ["blue", "red", RELEASE]);
        // A tenant changes while the picker is open: it reads them again.
        let changed = crate::client::events::Frame {
            id: Some(7),
            event: "tenant_changed".into(),
            data: serde_json::json!({"name": "red"}),
        };
        let cmds = update(&mut a, Msg::Event(changed));
        assert_eq!(cmds, [Command::FetchList(ListKind::Tenants)]);
        update(&mut a, Msg::Tenants(Ok(tenants)));
        press(&mut a, KeyCode::Enter);
        let Input::Confirm { prompt, command } = a.input.clone() else {
            panic!("{:?}", a.input)
        };
        assert_eq!(
            prompt,
            "assign 1 node(s) to tenant blue: x1000c0s2b0n0 (2 cannot: 1 already in blue \
             (x1000c0s0b0n0); 1 held by exclusive tenant red (x1000c0s1b0n0))? y/N"
        );
        assert_eq!(
            *command,
            Command::JoinTenant {
                name: "blue".into(),
                nodes: vec![("x1000c0s2b0n0".into(), "Compute".into())]
            }
        );
        assert_eq!(press(&mut a, KeyCode::Char('y')), [*command]);

        // Release: the holders are named.
        press(&mut a, KeyCode::Char('t'));
        press(&mut a, KeyCode::Char('j'));
        press(&mut a, KeyCode::Char('j'));
        press(&mut a, KeyCode::Enter);
        let Input::Confirm { prompt, command } = a.input.clone() else {
            panic!("{:?}", a.input)
        };
        assert_eq!(
            prompt,
            "release 2 node(s) from tenant(s) blue, red: x1000c0s[0-1]b0n0? y/N"
        );
        assert_eq!(
            *command,
            Command::ReleaseFromTenants(vec!["x1000c0s0b0n0".into(), "x1000c0s1b0n0".into()])
        );
        press(&mut a, KeyCode::Char('n'));

        // Delete from :tenants asks, naming the nodes.
        a.views.push(View::List {
            kind: ListKind::Tenants,
            cursor: 1,
        });
        let listed = crate::tui::state::ListData::tenants(a.tenant_list.as_ref().unwrap());
        a.lists.insert(ListKind::Tenants, Ok(listed));
        ctrl(&mut a, 'd');
        let Input::Confirm { prompt, command } = a.input.clone() else {
            panic!("{:?}", a.input)
        };
        assert!(
            prompt.starts_with("delete tenant red (1 node(s) x1000c0s1b0n0"),
            "{prompt}"
        );
        assert_eq!(*command, Command::DeleteTenant("red".into()));
        let done = update(
            &mut a,
            Msg::TenantsChanged {
                what: "tenant red deleted".into(),
                result: Ok(vec![]),
            },
        );
        assert_eq!(done, [Command::FetchList(ListKind::Tenants)]);
        assert_eq!(a.message, Some(("tenant red deleted".into(), false)));
        assert!(a.tenant_list.is_none(), "read afresh next time");
    }

    /// A tenant admin (operator role) powers and edits boot settings but does not change
    /// tenants or memberships; a viewer changes nothing; unknown roles hide nothing.
    #[test]
    fn roles_decide_which_actions_a_console_offers() {
        let op = app(&["operator"]);
        assert!(op.may(Action::Power) && op.may(Action::Edit));
        for act in [
            Action::NewTenant,
            Action::Delete,
            Action::AssignTenant,
            Action::AddMembers,
        ] {
            assert!(!op.may(act), "{act:?}");
        }
        let viewer = app(&["viewer"]);
        assert!(!viewer.may(Action::Power) && viewer.may(Action::Filter));
        assert!(app(&[]).may(Action::Delete));
        let mut ro = app(&["admin"]);
        ro.read_only = true;
        assert!(!ro.may(Action::Power) && ro.may(Action::Open));

        let mut op = op;
        assert!(press(&mut op, KeyCode::Char('n')).is_empty());
        assert!(op.tenant_form.is_none());
        assert_eq!(op.message, Some(("that needs the admin role".into(), true)));
    }
}
