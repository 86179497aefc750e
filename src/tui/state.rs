//! The console's one state: inventory rows, the visible (filtered, sorted) order, cursor and
//! marks keyed by xname, the view stack, and what the header shows about the connection.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

use super::filter::Filter;
use super::keymap::Keymap;
use crate::client::NodeDetail;
use crate::model::component::Component;
use crate::model::group::Membership;
use crate::model::xname::Xname;

/// One inventory row, as text ready to show, filter and sort.
#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    pub xname: Xname,
    pub kind: String,
    pub state: String,
    pub flag: String,
    pub enabled: bool,
    pub role: String,
    pub subrole: String,
    pub nid: String,
    pub arch: String,
    pub class: String,
    pub groups: Vec<String>,
    pub partition: String,
    /// Lowercase text of every field, for substring filters.
    pub search: String,
}

impl Row {
    /// A row from a component and its membership.
    pub fn new(c: &Component, m: Option<&Membership>) -> Row {
        let s = |v: Option<String>| v.unwrap_or_default();
        Row {
            xname: c.id.clone(),
            kind: c.kind.to_string(),
            state: s(c.state.map(|v| v.to_string())),
            flag: s(c.flag.map(|v| v.to_string())),
            enabled: c.enabled.unwrap_or(true),
            role: s(c.role.map(|v| v.to_string())),
            subrole: s(c.subrole.map(|v| v.to_string())),
            nid: s(c.nid.map(|v| v.to_string())),
            arch: s(c.arch.map(|v| v.to_string())),
            class: s(c.class.map(|v| v.to_string())),
            groups: m.map(|m| m.group_labels.clone()).unwrap_or_default(),
            partition: m.map(|m| m.partition_name.clone()).unwrap_or_default(),
            search: String::new(),
        }
        .indexed()
    }

    /// The row with its search text filled in.
    pub fn indexed(mut self) -> Row {
        self.search = [
            self.xname.as_str(),
            &self.kind,
            &self.state,
            &self.flag,
            &self.role,
            &self.subrole,
            &self.nid,
            &self.arch,
            &self.class,
            &self.groups.join(","),
            &self.partition,
        ]
        .join(" ")
        .to_ascii_lowercase();
        self
    }

    /// Lowercase text of every field.
    pub fn search_text(&self) -> &str {
        &self.search
    }
}

/// A sortable column of the inventory table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Column {
    Xname,
    Type,
    State,
    Flag,
    Enabled,
    Role,
    SubRole,
    Nid,
    Arch,
    Groups,
}

impl Column {
    /// Every column, left to right.
    pub const ALL: [Column; 10] = [
        Column::Xname,
        Column::Type,
        Column::State,
        Column::Flag,
        Column::Enabled,
        Column::Role,
        Column::SubRole,
        Column::Nid,
        Column::Arch,
        Column::Groups,
    ];

    /// The header text.
    pub fn title(self) -> &'static str {
        match self {
            Column::Xname => "XNAME",
            Column::Type => "TYPE",
            Column::State => "STATE",
            Column::Flag => "FLAG",
            Column::Enabled => "EN",
            Column::Role => "ROLE",
            Column::SubRole => "SUBROLE",
            Column::Nid => "NID",
            Column::Arch => "ARCH",
            Column::Groups => "GROUPS",
        }
    }

    /// The key that sorts by this column (after `s`, or shifted alone).
    pub fn key(self) -> char {
        match self {
            Column::Xname => 'x',
            Column::Type => 't',
            Column::State => 's',
            Column::Flag => 'f',
            Column::Enabled => 'e',
            Column::Role => 'r',
            Column::SubRole => 'u',
            Column::Nid => 'n',
            Column::Arch => 'a',
            Column::Groups => 'g',
        }
    }

    /// The column a sort key names.
    pub fn from_key(c: char) -> Option<Column> {
        Column::ALL
            .into_iter()
            .find(|col| col.key() == c.to_ascii_lowercase())
    }

    /// Width when shown, and priority (lower collapses last) at narrow widths.
    pub fn width_priority(self) -> (u16, u8) {
        match self {
            Column::Xname => (16, 0),
            Column::State => (8, 1),
            Column::Role => (11, 2),
            Column::Nid => (6, 3),
            Column::Type => (8, 4),
            Column::Flag => (7, 5),
            Column::Groups => (18, 6),
            Column::Enabled => (3, 7),
            Column::Arch => (5, 8),
            Column::SubRole => (8, 9),
        }
    }
}

/// Compares two rows by a column; xnames in natural order break ties.
pub fn compare(a: &Row, b: &Row, col: Column) -> std::cmp::Ordering {
    // Xname orders naturally (`s2` before `s10`).
    let by_xname = || a.xname.cmp(&b.xname);
    let first = match col {
        Column::Xname => return by_xname(),
        Column::Type => a.kind.cmp(&b.kind),
        Column::State => a.state.cmp(&b.state),
        Column::Flag => a.flag.cmp(&b.flag),
        Column::Enabled => a.enabled.cmp(&b.enabled),
        Column::Role => a.role.cmp(&b.role),
        Column::SubRole => a.subrole.cmp(&b.subrole),
        Column::Nid => {
            let n = |r: &Row| r.nid.parse::<i64>().unwrap_or(i64::MAX);
            n(a).cmp(&n(b))
        }
        Column::Arch => a.arch.cmp(&b.arch),
        Column::Groups => a.groups.cmp(&b.groups),
    };
    first.then_with(by_xname)
}

/// A screen of the console.
#[derive(Debug, Clone, PartialEq)]
pub enum View {
    /// The component table.
    Inventory,
    /// A list of groups, partitions or Redfish endpoints; `enter` filters the inventory by
    /// the chosen one.
    List {
        /// Which list.
        kind: ListKind,
        /// The row under the cursor.
        cursor: usize,
    },
    /// Everything about one node.
    Detail {
        /// The node.
        xname: String,
        /// Lines scrolled past.
        scroll: u16,
    },
    /// One power transition, followed live.
    Transition {
        /// Its ID.
        id: String,
        /// Task lines scrolled past.
        scroll: usize,
    },
}

/// The lists the console shows besides the inventory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ListKind {
    Groups,
    Partitions,
    Endpoints,
    Transitions,
    Tenants,
    Audit,
    Boot,
}

impl ListKind {
    /// The `:` command that opens it.
    pub fn name(self) -> &'static str {
        match self {
            ListKind::Groups => "groups",
            ListKind::Partitions => "partitions",
            ListKind::Endpoints => "endpoints",
            ListKind::Transitions => "power",
            ListKind::Tenants => "tenants",
            ListKind::Audit => "audit",
            ListKind::Boot => "boot",
        }
    }

    /// What its rows are, in words.
    pub fn noun(self) -> &'static str {
        match self {
            ListKind::Groups => "groups",
            ListKind::Partitions => "partitions",
            ListKind::Endpoints => "Redfish endpoints",
            ListKind::Transitions => "power transitions",
            ListKind::Tenants => "tenants",
            ListKind::Audit => "audit entries",
            ListKind::Boot => "boot parameters",
        }
    }
}

/// The rows of a list view, as text: a key (what `enter` filters by) and the cells.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListData {
    /// Column titles.
    pub titles: Vec<&'static str>,
    /// `(filter for the inventory, cells)` per row.
    pub rows: Vec<(String, Vec<String>)>,
}

impl ListData {
    /// Groups: `enter` filters the inventory by `group=<label>`.
    pub fn groups(groups: &[crate::model::group::Group]) -> ListData {
        ListData {
            titles: vec!["LABEL", "MEMBERS", "EXCLUSIVE", "TAGS", "DESCRIPTION"],
            rows: groups
                .iter()
                .map(|g| {
                    (
                        format!("group={}", g.label),
                        vec![
                            g.label.clone(),
                            g.members.ids.len().to_string(),
                            g.exclusive_group.clone(),
                            g.tags.join(","),
                            g.description.clone(),
                        ],
                    )
                })
                .collect(),
        }
    }

    /// Partitions: `enter` filters the inventory by `partition=<name>`.
    pub fn partitions(parts: &[crate::model::group::Partition]) -> ListData {
        ListData {
            titles: vec!["NAME", "MEMBERS", "TAGS", "DESCRIPTION"],
            rows: parts
                .iter()
                .map(|p| {
                    (
                        format!("partition={}", p.name),
                        vec![
                            p.name.clone(),
                            p.members.ids.len().to_string(),
                            p.tags.join(","),
                            p.description.clone(),
                        ],
                    )
                })
                .collect(),
        }
    }

    /// Redfish endpoints: `enter` filters the inventory to the BMC and what is below it.
    pub fn transitions(list: &[crate::model::power::Transition]) -> ListData {
        let mut sorted: Vec<&crate::model::power::Transition> = list.iter().collect();
        sorted.sort_by(|a, b| b.created.cmp(&a.created));
        ListData {
            titles: vec![
                "TRANSITION",
                "OPERATION",
                "STATUS",
                "DONE",
                "FAILED",
                "CREATED",
            ],
            rows: sorted
                .iter()
                .map(|t| {
                    let c = &t.counts;
                    (
                        t.id.clone(),
                        vec![
                            super::power::short(&t.id).to_string(),
                            t.operation.to_string(),
                            t.status.as_str().to_string(),
                            format!("{}/{}", c.succeeded + c.failed + c.unsupported, c.total),
                            c.failed.to_string(),
                            t.created.clone(),
                        ],
                    )
                })
                .collect(),
        }
    }

    /// Boot-parameters entries; `enter` (or `e`) edits the one under the cursor.
    pub fn boot(list: &[crate::model::boot::BootParams]) -> ListData {
        let mut rows: Vec<(String, Vec<String>)> = list
            .iter()
            .map(|p| {
                let name = p
                    .hosts
                    .first()
                    .cloned()
                    .or_else(|| p.macs.first().cloned())
                    .unwrap_or_default();
                let cloud = if p.cloud_init.meta_data.is_some() || p.cloud_init.user_data.is_some()
                {
                    "yes"
                } else {
                    ""
                };
                (
                    name.clone(),
                    vec![
                        name,
                        p.kernel.clone(),
                        p.initrd.clone(),
                        p.params.clone(),
                        cloud.to_string(),
                    ],
                )
            })
            .collect();
        rows.sort_by(|a, b| a.0.cmp(&b.0));
        ListData {
            titles: vec!["NAME", "KERNEL", "INITRD", "PARAMS", "CLOUD-INIT"],
            rows,
        }
    }

    /// Tenants; `enter` filters the inventory by the tenant's nodes (as a hostlist).
    pub fn tenants(list: &[crate::model::tenant::Tenant]) -> ListData {
        ListData {
            titles: vec!["TENANT", "STATE", "NODES", "SET", "EXCLUSIVE", "ADMINS"],
            rows: list
                .iter()
                .map(|t| {
                    let nodes: Vec<String> = t.spec.nodes().iter().map(|x| x.to_string()).collect();
                    let sets: Vec<String> = t
                        .spec
                        .tenantresources
                        .iter()
                        .map(|r| r.target(&t.metadata.name).to_string())
                        .collect();
                    let exclusive = t
                        .spec
                        .tenantresources
                        .iter()
                        .any(|r| r.enforceexclusivehsmgroups);
                    let admins = &t.spec.admins;
                    (
                        crate::model::hostlist::compress(&nodes),
                        vec![
                            t.metadata.name.clone(),
                            t.spec.state.clone(),
                            nodes.len().to_string(),
                            sets.join(", "),
                            if exclusive { "yes" } else { "no" }.to_string(),
                            admins
                                .subjects
                                .iter()
                                .chain(&admins.groups)
                                .cloned()
                                .collect::<Vec<_>>()
                                .join(", "),
                        ],
                    )
                })
                .collect(),
        }
    }

    /// Audit entries as given (newest first); `enter` filters the inventory by their xnames.
    pub fn audit(list: &[crate::model::audit::AuditEntry]) -> ListData {
        ListData {
            titles: vec![
                "TIME", "WHO", "TENANT", "METHOD", "PATH", "STATUS", "OUTCOME", "XNAMES", "DETAIL",
            ],
            rows: list
                .iter()
                .map(|e| {
                    let xnames = crate::model::hostlist::compress(&e.xnames);
                    (
                        xnames.clone(),
                        vec![
                            e.time.get(..19).unwrap_or(&e.time).replace('T', " "),
                            e.subject.clone(),
                            e.tenant.clone().unwrap_or_default(),
                            e.method.clone(),
                            e.path.clone(),
                            e.status.to_string(),
                            e.outcome.as_str().to_string(),
                            xnames,
                            e.detail.clone(),
                        ],
                    )
                })
                .collect(),
        }
    }

    pub fn endpoints(eps: &[crate::model::redfish::RedfishEndpoint]) -> ListData {
        ListData {
            titles: vec!["ID", "TYPE", "FQDN", "USER", "ENABLED", "DISCOVERY"],
            rows: eps
                .iter()
                .map(|e| {
                    (
                        e.id.to_string(),
                        vec![
                            e.id.to_string(),
                            e.kind.clone(),
                            e.fqdn.clone(),
                            e.user.clone(),
                            if e.enabled { "yes" } else { "no" }.to_string(),
                            e.discovery.last_status.clone(),
                        ],
                    )
                })
                .collect(),
        }
    }
}

impl View {
    /// The crumb shown for this view.
    pub fn crumb(&self) -> String {
        match self {
            View::Inventory => "nodes".into(),
            View::List { kind, .. } => kind.name().into(),
            View::Detail { xname, .. } => xname.clone(),
            View::Transition { id, .. } => format!("power {}", super::power::short(id)),
        }
    }
}

/// What the console knows about its connection to the core.
#[derive(Debug, Clone, PartialEq)]
pub enum Conn {
    /// Waiting for the first answer.
    Connecting,
    /// The last refresh succeeded.
    Connected,
    /// The last refresh failed; data is from `since` (when there was any).
    Stale {
        /// When the data shown was last fresh.
        since: Option<String>,
        /// Why the refresh failed.
        error: String,
    },
}

/// Whether changes arrive pushed from the core (`GET /events`) or are polled.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Live {
    /// Not subscribed yet.
    Off,
    /// Subscribing.
    Connecting,
    /// Following the core's event stream.
    Up,
    /// The stream dropped; the console polls until it is back.
    Down {
        /// Local time it dropped.
        since: String,
        /// Why.
        reason: String,
        /// When to try again.
        retry: Instant,
    },
}

/// What the keyboard is typing into, if anything.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Keys are commands.
    None,
    /// `/` filter text.
    Filter(String),
    /// `:` command text.
    Command(String),
    /// `s` was pressed: the next key picks a sort column.
    SortPending,
    /// A node's power limit being typed, in watts, for its one control.
    Cap {
        xname: String,
        control: String,
        text: String,
    },
    /// A change waits for `y` (any other key cancels it).
    Confirm {
        prompt: String,
        command: Box<super::update::Command>,
    },
}

/// The node detail as loaded, or why it could not be.
#[derive(Debug, Clone)]
pub enum DetailData {
    /// Being fetched.
    Loading,
    /// Fetched.
    Loaded(Box<NodeDetail>),
    /// The fetch failed.
    Failed(String),
}

/// A node's power state as its BMC reported it (PCS's power-status entry), or why not.
#[derive(Debug, Clone, PartialEq)]
pub enum PowerRead {
    /// The BMC is being asked.
    Reading,
    /// PCS's answer for the node: powerState, managementState, error,
    /// supportedPowerTransitions, lastUpdated.
    Read(serde_json::Value),
    /// The request failed.
    Failed(String),
}

/// How often the inventory is polled when the event stream is down.
pub const POLL: Duration = Duration::from_secs(5);

/// How often the whole inventory is read again while events arrive (a safety net).
pub const LIVE_REFRESH: Duration = Duration::from_secs(60);

/// How long to wait before subscribing again after the stream dropped.
pub const RESUBSCRIBE: Duration = Duration::from_secs(5);

/// The whole console state; `update` changes it, `ui::draw` shows it.
#[derive(Debug, Clone)]
pub struct App {
    /// The core's URL, for the header.
    pub url: String,
    /// Who we are and with which roles.
    pub identity: (String, Vec<String>),
    /// The tenant the console acts for (`--tenant`), if any.
    pub tenant: Option<String>,
    /// Whether mutating actions are hidden.
    pub read_only: bool,
    /// Keys to actions.
    pub keymap: Keymap,
    /// Connection state.
    pub conn: Conn,
    /// Every row, in natural xname order, as last fetched.
    pub rows: Vec<Row>,
    /// Indexes into `rows` that pass the filter, in the shown order.
    pub visible: Vec<usize>,
    /// The applied filter and its text.
    pub filter: Filter,
    pub filter_text: String,
    /// The filter text before `/` was pressed, restored by `esc`.
    pub filter_before: Option<String>,
    /// Sort column and direction.
    pub sort: (Column, bool),
    /// The xname under the cursor.
    pub cursor: Option<String>,
    /// The xname the operator last put the cursor on: while a filter hides it the cursor
    /// sits on a neighbour, and it comes back when the row shows again.
    pub pinned: Option<String>,
    /// Marked xnames.
    pub marks: BTreeSet<String>,
    /// Where a `V` range starts.
    pub anchor: Option<String>,
    /// First visible row of the table.
    pub offset: usize,
    /// Rows the table can show (set by the renderer's last layout).
    pub page: usize,
    /// How far the detail view can scroll (set by the renderer's last layout).
    pub detail_max_scroll: u16,
    /// The view stack; the last is shown.
    pub views: Vec<View>,
    /// Typing state.
    pub input: Input,
    /// Help overlay shown.
    pub help: bool,
    /// The endpoint whose discovery this console started and follows, and when to read the
    /// discovery status next (`None`: at the next tick).
    pub discovery: Option<(String, Option<Instant>)>,
    /// Lines of the help scrolled past, and how far it can scroll (from the last frame).
    pub help_scroll: u16,
    pub help_max_scroll: u16,
    /// One line for the operator (errors, confirmations).
    pub message: Option<(String, bool)>,
    /// Loaded node details by xname.
    pub details: HashMap<String, DetailData>,
    /// Power states read for node details, by xname.
    pub power_reads: HashMap<String, PowerRead>,
    /// Each node's power limits as last read (its detail shows them).
    pub cap_reads: HashMap<String, super::cap::CapRead>,
    /// Loaded lists by kind, or why the last load failed (absent while loading).
    pub lists: HashMap<ListKind, Result<ListData, String>>,
    /// Local time of the last successful fetch.
    pub last_fresh: Option<String>,
    /// When the inventory was last fetched; a fetch is in flight when `fetching`.
    pub last_fetch: Option<Instant>,
    pub fetching: bool,
    /// How often the inventory refreshes.
    pub refresh: Duration,
    /// The event stream's state.
    pub live: Live,
    /// The last event seen, to resume after.
    pub last_event: Option<u64>,
    /// Whether the current subscription resumed after `last_event` (so nothing was missed).
    pub resumed: bool,
    /// Components named by events and not fetched yet.
    pub pending: BTreeSet<String>,
    /// A fetch of named components is in flight.
    pub fetching_some: bool,
    /// The open dialog (power menu or confirm), which takes the keys.
    pub dialog: Option<super::power::Dialog>,
    /// The boot-parameters editor, which takes the keys while open.
    pub editor: Option<Box<super::boot::Editor>>,
    /// The tenant form, which takes the keys while open.
    pub tenant_form: Option<Box<super::tenant::Form>>,
    /// The `t` picker (assign to a tenant or release), which takes the keys while open.
    pub picker: Option<super::tenant::Picker>,
    /// The tenants as last read (`None` until read, and after a change).
    pub tenant_list: Option<Vec<crate::model::tenant::Tenant>>,
    /// Above this many targets the count must be typed to confirm.
    pub confirm_over: usize,
    /// Transitions the console has loaded, by ID.
    pub transitions: HashMap<String, super::power::TransitionData>,
    /// Transitions that changed since they were fetched.
    pub transitions_due: BTreeSet<String>,
    /// A transition fetch is in flight.
    pub fetching_transition: bool,
    /// The query of the audit view (`outcome=denied&subject=bob`).
    pub audit_query: String,
    /// Whether anything changed since the last draw.
    pub dirty: bool,
    /// Set when the console should exit.
    pub quit: bool,
}

impl App {
    /// A fresh console for the core at `url`.
    pub fn new(url: &str, identity: (String, Vec<String>), read_only: bool, keymap: Keymap) -> App {
        App {
            url: url.to_string(),
            identity,
            tenant: None,
            read_only,
            keymap,
            conn: Conn::Connecting,
            rows: Vec::new(),
            visible: Vec::new(),
            filter: Filter::default(),
            filter_text: String::new(),
            filter_before: None,
            sort: (Column::Xname, false),
            cursor: None,
            pinned: None,
            marks: BTreeSet::new(),
            anchor: None,
            offset: 0,
            page: 20,
            detail_max_scroll: 0,
            views: vec![View::Inventory],
            input: Input::None,
            help: false,
            discovery: None,
            help_scroll: 0,
            help_max_scroll: 0,
            message: None,
            details: HashMap::new(),
            power_reads: HashMap::new(),
            cap_reads: HashMap::new(),
            lists: HashMap::new(),
            last_fresh: None,
            last_fetch: None,
            fetching: false,
            refresh: POLL,
            live: Live::Off,
            last_event: None,
            resumed: false,
            pending: BTreeSet::new(),
            fetching_some: false,
            dialog: None,
            editor: None,
            tenant_form: None,
            picker: None,
            tenant_list: None,
            confirm_over: super::power::CONFIRM_OVER,
            transitions: HashMap::new(),
            transitions_due: BTreeSet::new(),
            fetching_transition: false,
            audit_query: String::new(),
            dirty: true,
            quit: false,
        }
    }

    /// Whether the identity's roles allow `action` (and a read-only console, when it
    /// changes anything). Unknown roles (a token without a `roles` claim) hide nothing: the
    /// core decides.
    pub fn may(&self, action: super::keymap::Action) -> bool {
        use super::keymap::Need;
        let roles = &self.identity.1;
        let has = |r: &str| roles.is_empty() || roles.iter().any(|x| x == r);
        match action.needs() {
            Need::Anyone => true,
            _ if self.read_only => false,
            Need::Operator => has("admin") || has("operator") || has("service"),
            Need::Admin => self.is_admin(),
        }
    }

    /// Whether the identity is an admin (or its roles are unknown).
    pub fn is_admin(&self) -> bool {
        self.identity.1.is_empty() || self.identity.1.iter().any(|r| r == "admin")
    }

    /// The view shown.
    pub fn view(&self) -> &View {
        self.views.last().unwrap_or(&View::Inventory)
    }

    /// Position of the cursor in `visible`.
    pub fn cursor_index(&self) -> Option<usize> {
        let x = self.cursor.as_deref()?;
        self.visible
            .iter()
            .position(|&i| self.rows[i].xname.as_str() == x)
    }

    /// Recomputes the visible rows from filter and sort; the cursor stays on its xname if it is
    /// still visible, else moves to the nearest row.
    pub fn recompute(&mut self) {
        let before = self.cursor_index();
        let mut visible: Vec<usize> = (0..self.rows.len())
            .filter(|&i| self.filter.accepts(&self.rows[i]))
            .collect();
        let (col, desc) = self.sort;
        if col != Column::Xname || desc {
            visible.sort_by(|&a, &b| {
                let o = compare(&self.rows[a], &self.rows[b], col);
                if desc {
                    o.reverse()
                } else {
                    o
                }
            });
        }
        self.visible = visible;
        let shown = |x: &str| {
            self.visible
                .iter()
                .any(|&i| self.rows[i].xname.as_str() == x)
        };
        if let Some(p) = self.pinned.clone().filter(|p| shown(p)) {
            self.cursor = Some(p);
        } else if !self.cursor.as_deref().is_some_and(shown) {
            let at = before
                .unwrap_or(0)
                .min(self.visible.len().saturating_sub(1));
            self.cursor = self
                .visible
                .get(at)
                .map(|&i| self.rows[i].xname.to_string());
        }
        self.scroll_to_cursor();
        self.dirty = true;
    }

    /// Takes in what the last frame's layout fit; true when that changed anything.
    pub fn fitted(&mut self, fit: super::ui::Fit) -> bool {
        let changed = fit.page != self.page
            || fit.detail_max_scroll != self.detail_max_scroll
            || fit.help_max_scroll != self.help_max_scroll;
        self.page = fit.page;
        self.detail_max_scroll = fit.detail_max_scroll;
        self.help_max_scroll = fit.help_max_scroll;
        self.help_scroll = self.help_scroll.min(fit.help_max_scroll);
        if let Some(View::Detail { scroll, .. }) = self.views.last_mut() {
            *scroll = (*scroll).min(fit.detail_max_scroll);
        }
        self.scroll_to_cursor();
        changed
    }

    /// Keeps the cursor within the shown page.
    pub fn scroll_to_cursor(&mut self) {
        let Some(i) = self.cursor_index() else {
            self.offset = 0;
            return;
        };
        let page = self.page.max(1);
        if i < self.offset {
            self.offset = i;
        } else if i >= self.offset + page {
            self.offset = i + 1 - page;
        }
        let max_offset = self.visible.len().saturating_sub(page);
        self.offset = self.offset.min(max_offset);
    }

    /// Puts fresh copies of some components into their rows (new ones are added, with their
    /// memberships left for the next full refresh), keeping filter, sort, cursor and marks.
    pub fn update_components(&mut self, comps: &[Component]) {
        for c in comps {
            match self.rows.binary_search_by(|r| r.xname.cmp(&c.id)) {
                Ok(i) => {
                    let old = &self.rows[i];
                    let mut row = Row::new(c, None);
                    row.groups = old.groups.clone();
                    row.partition = old.partition.clone();
                    self.rows[i] = row.indexed();
                }
                Err(i) => self.rows.insert(i, Row::new(c, None)),
            }
        }
        self.recompute();
    }

    /// Drops the rows of deleted components.
    pub fn remove_components(&mut self, ids: &[String]) {
        let gone: std::collections::HashSet<&str> = ids.iter().map(String::as_str).collect();
        self.rows.retain(|r| !gone.contains(r.xname.as_str()));
        self.marks.retain(|m| !gone.contains(m.as_str()));
        self.recompute();
    }

    /// Replaces the rows with a fresh fetch, keeping filter, sort, cursor and marks.
    pub fn set_inventory(&mut self, comps: &[Component], members: &[Membership]) {
        let by_id: HashMap<&str, &Membership> =
            members.iter().map(|m| (m.id.as_str(), m)).collect();
        self.rows = comps
            .iter()
            .map(|c| Row::new(c, by_id.get(c.id.as_str()).copied()))
            .collect();
        // The core answers in this order already; the live updates' lookups rely on it.
        self.rows.sort_by(|a, b| a.xname.cmp(&b.xname));
        self.recompute();
    }
}
