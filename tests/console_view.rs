//! Snapshots of each console view on ratatui's TestBackend, at 80x24 and 160x48: the
//! inventory, an empty inventory, an unreachable core, node detail, help, and NO_COLOR.

use chami::client::{ClientError, NodeDetail};
use chami::model::component::Component;
use chami::model::enums::{Arch, Role, State};
use chami::model::group::Membership;
use chami::model::power_cap::{CapComponent, CapControl};
use chami::tui::keymap::Keymap;
use chami::tui::state::App;
use chami::tui::theme::Theme;
use chami::tui::ui;
use chami::tui::update::{update, Msg};
use ratatui::backend::TestBackend;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::style::Modifier;
use ratatui::Terminal;

fn inventory(n: usize) -> (Vec<Component>, Vec<Membership>) {
    let comps = (0..n)
        .map(|i| {
            let mut c = Component::new(
                format!("x1000c{}s{}b0n{}", i / 32, (i % 32) / 2, i % 2)
                    .parse()
                    .unwrap(),
                match i % 7 {
                    0 => State::Off,
                    3 => State::Standby,
                    _ => State::Ready,
                },
            );
            c.role = Some(if i < 2 {
                Role::Management
            } else {
                Role::Compute
            });
            c.nid = Some(i as i64 + 1);
            c.arch = Some(Arch::X86);
            c
        })
        .collect();
    let members = vec![Membership {
        id: "x1000c0s0b0n1".parse().unwrap(),
        group_labels: vec!["blue".into(), "compute".into()],
        partition_name: "p1".into(),
    }];
    (comps, members)
}

fn app(n: usize) -> App {
    let mut app = App::new(
        "https://127.0.0.1:8443",
        ("alice".into(), vec!["operator".into()]),
        false,
        Keymap::default(),
    );
    update(
        &mut app,
        Msg::Inventory {
            result: Ok(inventory(n)),
            at: "12:00:00Z".into(),
        },
    );
    app
}

fn key(app: &mut App, code: KeyCode) {
    update(app, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn render(app: &mut App, w: u16, h: u16, theme: &Theme) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    // Twice, as the event loop does: the first frame tells the state its page size.
    for _ in 0..2 {
        let mut fit = None;
        t.draw(|f| fit = Some(ui::draw(f, app, theme))).unwrap();
        app.fitted(fit.expect("drawn"));
        app.scroll_to_cursor();
    }
    t
}

fn theme() -> Theme {
    Theme::named("default").unwrap()
}

#[test]
fn inventory_at_both_sizes() {
    let mut a = app(40);
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Char(' '));
    insta::assert_snapshot!(
        "inventory_80x24",
        render(&mut a, 80, 24, &theme()).backend()
    );
    insta::assert_snapshot!(
        "inventory_160x48",
        render(&mut a, 160, 48, &theme()).backend()
    );
}

#[test]
fn filtered_and_sorted() {
    let mut a = app(40);
    key(&mut a, KeyCode::Char('/'));
    for c in "state=off,standby".chars() {
        key(&mut a, KeyCode::Char(c));
    }
    key(&mut a, KeyCode::Enter);
    key(&mut a, KeyCode::Char('s'));
    key(&mut a, KeyCode::Char('n'));
    key(&mut a, KeyCode::Char('N'));
    insta::assert_snapshot!("filtered_80x24", render(&mut a, 80, 24, &theme()).backend());
}

#[test]
fn empty_inventory() {
    let mut a = app(0);
    insta::assert_snapshot!("empty_80x24", render(&mut a, 80, 24, &theme()).backend());
}

#[test]
fn unreachable_core_keeps_the_old_rows_and_says_since_when() {
    let mut a = app(6);
    update(
        &mut a,
        Msg::Inventory {
            result: Err(ClientError::Unreachable {
                url: "https://127.0.0.1:8443".into(),
                detail: "connection refused".into(),
            }),
            at: "12:00:05Z".into(),
        },
    );
    insta::assert_snapshot!(
        "unreachable_80x24",
        render(&mut a, 80, 24, &theme()).backend()
    );
    let mut never = App::new(
        "https://core:8443",
        ("bob".into(), vec![]),
        true,
        Keymap::default(),
    );
    update(
        &mut never,
        Msg::Inventory {
            result: Err(ClientError::Unreachable {
                url: "https://core:8443".into(),
                detail: "dns error: no such host".into(),
            }),
            at: "12:00:05Z".into(),
        },
    );
    insta::assert_snapshot!(
        "never_reached_read_only_80x24",
        render(&mut never, 80, 24, &theme()).backend()
    );
}

#[test]
fn node_detail_and_help() {
    let mut a = app(4);
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Enter);
    let (comps, members) = inventory(4);
    update(
        &mut a,
        Msg::Detail {
            xname: "x1000c0s0b0n1".into(),
            result: Ok(Box::new(NodeDetail {
                component: comps.into_iter().nth(1),
                membership: members.into_iter().next(),
                boot: Some(serde_json::json!({
                    "source": "Compute", "kernel": "http://10.100.0.1/boot/vmlinuz",
                    "initrd": "http://10.100.0.1/boot/initrd.img", "params": "console=ttyS0 ip=dhcp"
                })),
                ..NodeDetail::default()
            })),
        },
    );
    update(
        &mut a,
        Msg::Power {
            xname: "x1000c0s0b0n1".into(),
            result: Ok(serde_json::json!({
                "xname": "x1000c0s0b0n1", "powerState": "on", "managementState": "available",
                "error": "", "supportedPowerTransitions": ["On", "Soft-Off", "Hard-Restart"],
                "lastUpdated": "2026-12-01T12:00:00Z"
            })),
        },
    );
    update(
        &mut a,
        Msg::Cap {
            xname: "x1000c0s0b0n1".into(),
            result: Ok(CapComponent {
                xname: "x1000c0s0b0n1".into(),
                power_cap_limits: vec![CapControl {
                    name: "Node Power Limit".into(),
                    current_value: Some(500),
                    maximum_value: Some(850),
                    minimum_value: Some(350),
                }],
                ..CapComponent::default()
            }),
        },
    );
    insta::assert_snapshot!("detail_80x24", render(&mut a, 80, 24, &theme()).backend());
    insta::assert_snapshot!(
        "detail_boot_100x50",
        render(&mut a, 100, 50, &theme()).backend()
    );
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Char('?'));
    insta::assert_snapshot!("help_160x48", render(&mut a, 160, 48, &theme()).backend());
}

#[test]
fn help_scrolls_where_it_does_not_fit() {
    let mut a = app(10);
    key(&mut a, KeyCode::Char('?'));
    let top = render(&mut a, 80, 24, &theme()).backend().to_string();
    assert!(top.contains("scroll · line 1 of"), "{top}");
    assert!(!top.contains("closes this"), "{top}");
    insta::assert_snapshot!("help_80x24", top);
    // Down scrolls the help, not the table behind it; End reaches its last line.
    key(&mut a, KeyCode::Down);
    let one = render(&mut a, 80, 24, &theme()).backend().to_string();
    assert!(one.contains("scroll · line 2 of"), "{one}");
    assert_eq!(a.cursor_index(), Some(0), "the table's cursor stays");
    key(&mut a, KeyCode::End);
    let end = render(&mut a, 80, 24, &theme()).backend().to_string();
    assert!(end.contains("esc closes this"), "{end}");
    // Past the end is the end; esc closes, and the next opening starts at the top.
    key(&mut a, KeyCode::Down);
    assert_eq!(a.help_scroll, a.help_max_scroll);
    key(&mut a, KeyCode::Esc);
    assert!(!a.help);
    key(&mut a, KeyCode::Char('?'));
    assert_eq!(a.help_scroll, 0);
}

#[test]
fn no_color_shows_cursor_and_marks_without_colour() {
    let mut a = app(10);
    key(&mut a, KeyCode::Char(' ')); // mark row 0, cursor to row 1
    let mono = Theme::monochrome();
    let t = render(&mut a, 80, 24, &mono);
    insta::assert_snapshot!("no_color_80x24", t.backend());
    let buf = t.backend().buffer();
    // Row 0 of the table is screen line 3 (header, crumbs, table header); the cursor is line 4.
    let marked = &buf[(0, 3)];
    assert_eq!(marked.symbol(), "*", "marks carry a symbol");
    assert!(marked.modifier.contains(Modifier::BOLD), "marks are bold");
    let cursor = &buf[(2, 4)];
    assert!(
        cursor.modifier.contains(Modifier::REVERSED),
        "the cursor is reversed, not only coloured"
    );
    for y in 0..24 {
        for x in 0..80 {
            let c = &buf[(x, y)];
            assert!(
                c.fg == ratatui::style::Color::Reset && c.bg == ratatui::style::Color::Reset,
                "no colour at ({x},{y}): {c:?}"
            );
        }
    }
}

#[test]
fn groups_list() {
    use chami::model::group::{Group, Members};
    use chami::tui::state::{ListData, ListKind};
    let mut a = app(4);
    update(
        &mut a,
        Msg::Key(KeyEvent::new(KeyCode::Char(':'), KeyModifiers::NONE)),
    );
    for c in "groups".chars() {
        key(&mut a, KeyCode::Char(c));
    }
    key(&mut a, KeyCode::Enter);
    let g = |label: &str, excl: &str, n: usize| Group {
        label: label.into(),
        description: format!("the {label} nodes"),
        tags: vec!["demo".into()],
        exclusive_group: excl.into(),
        members: Members {
            ids: (0..n)
                .map(|i| format!("x1000c0s{i}b0n0").parse().unwrap())
                .collect(),
        },
    };
    update(
        &mut a,
        Msg::List {
            kind: ListKind::Groups,
            result: Ok(ListData::groups(&[
                g("batch", "queues", 3),
                g("compute", "", 12),
                g("debug", "queues", 2),
            ])),
        },
    );
    key(&mut a, KeyCode::Down);
    insta::assert_snapshot!("groups_80x24", render(&mut a, 80, 24, &theme()).backend());
}

#[test]
fn a_long_target_hostlist_fills_rows_and_says_where_it_was_cut() {
    // Two of every 7 of 256 nodes are Off or Standby: 74 scattered nodes, a hostlist longer
    // than six rows of a dialog on a narrow terminal.
    let mut a = app(256);
    key(&mut a, KeyCode::Char('/'));
    for c in "state=off,standby".chars() {
        key(&mut a, KeyCode::Char(c));
    }
    key(&mut a, KeyCode::Enter);
    update(
        &mut a,
        Msg::Key(KeyEvent::new(KeyCode::Char('a'), KeyModifiers::CONTROL)),
    );
    key(&mut a, KeyCode::Char('p'));
    key(&mut a, KeyCode::Char('o'));
    let screen = render(&mut a, 60, 20, &theme()).backend().to_string();
    assert!(screen.contains("On 74 node(s):"), "{screen}");
    assert!(screen.contains("(d lists every node)"), "{screen}");
    insta::assert_snapshot!("power_confirm_long_hostlist_60x20", screen);
}

#[test]
fn power_menu_confirm_preview_and_transition() {
    use chami::client::power::Planned;
    use chami::model::power::{
        Operation, Task, TaskCounts, TaskStatus, Transition, TransitionStatus,
    };
    let mut a = app(100);
    a.confirm_over = 64;
    update(
        &mut a,
        Msg::Key(KeyEvent::new(KeyCode::Char('a'), KeyModifiers::CONTROL)),
    );
    key(&mut a, KeyCode::Char('p'));
    insta::assert_snapshot!(
        "power_menu_80x24",
        render(&mut a, 80, 24, &theme()).backend()
    );
    key(&mut a, KeyCode::Char('h'));
    key(&mut a, KeyCode::Char('1'));
    key(&mut a, KeyCode::Char('0'));
    insta::assert_snapshot!(
        "power_confirm_80x24",
        render(&mut a, 80, 24, &theme()).backend()
    );
    key(&mut a, KeyCode::Char('d'));
    let plan: Vec<Planned> = (0..100)
        .map(|i| Planned {
            xname: format!("x1000c{}s{}b0n{}", i / 32, (i % 32) / 2, i % 2),
            steps: if i == 3 {
                Vec::new()
            } else {
                vec!["GracefulRestart".into()]
            },
            status: if i == 3 { "unsupported" } else { "new" }.into(),
            description: String::new(),
            error: if i == 3 {
                "no Redfish endpoint for this node".into()
            } else {
                String::new()
            },
        })
        .collect();
    update(&mut a, Msg::Previewed(Ok(plan)));
    insta::assert_snapshot!(
        "power_preview_160x48",
        render(&mut a, 160, 48, &theme()).backend()
    );

    key(&mut a, KeyCode::Esc);
    update(
        &mut a,
        Msg::Started(Ok("6f1c2d3e-aaaa-4bbb-8ccc-000000000001".into())),
    );
    let tasks: Vec<Task> = (0..12)
        .map(|i| Task {
            xname: format!("x1000c0s{}b0n{}", i / 2, i % 2),
            status: match i {
                4 => TaskStatus::Failed,
                0..=7 => TaskStatus::Succeeded,
                8 | 9 => TaskStatus::InProgress,
                _ => TaskStatus::New,
            },
            description: match i {
                8 | 9 => "Waiting for the node to reach Off".into(),
                _ => String::new(),
            },
            error: if i == 4 {
                "Unable to reach the BMC: connection timed out after 10 s".into()
            } else {
                String::new()
            },
        })
        .collect();
    let t = Transition {
        id: "6f1c2d3e-aaaa-4bbb-8ccc-000000000001".into(),
        operation: Operation::HardRestart,
        created: "2026-12-01T12:00:00Z".into(),
        expires: String::new(),
        status: TransitionStatus::InProgress,
        counts: TaskCounts::of(&tasks),
        tasks: Some(tasks),
        deadline_minutes: 0,
        by: String::new(),
    };
    update(
        &mut a,
        Msg::Transition {
            id: t.id.clone(),
            result: Ok(Box::new(t)),
        },
    );
    insta::assert_snapshot!(
        "transition_80x24",
        render(&mut a, 80, 24, &theme()).backend()
    );
    insta::assert_snapshot!(
        "transition_160x48",
        render(&mut a, 160, 48, &theme()).backend()
    );
}

#[test]
fn tenants_and_audit_lists() {
    use chami::model::audit::{AuditEntry, Outcome};
    use chami::model::tenant::Tenant;
    use chami::tui::state::{ListData, ListKind};
    let tenant: Tenant = serde_json::from_value(serde_json::json!({
        "apiVersion": "tapms.hpe.com/v1alpha3", "kind": "Tenant",
        "metadata": {"name": "blue", "uid": "u1", "resourceVersion": "2",
                     "creationTimestamp": "2026-12-01T10:00:00Z"},
        "spec": {"tenantname": "blue", "state": "Deployed", "tenantresources": [
            {"type": "compute", "xnames": ["x1000c0s0b0n0", "x1000c0s0b0n1"],
             "hsmgrouplabel": "blue", "enforceexclusivehsmgroups": true}],
            "admins": {"subjects": ["alice"], "groups": ["blue-tenant-admin"]}},
        "status": {"uuid": "u1"}
    }))
    .expect("a tenant");
    let mut a = app(10);
    key(&mut a, KeyCode::Char(':'));
    for c in "tenants".chars() {
        key(&mut a, KeyCode::Char(c));
    }
    key(&mut a, KeyCode::Enter);
    update(
        &mut a,
        Msg::List {
            kind: ListKind::Tenants,
            result: Ok(ListData::tenants(&[tenant])),
        },
    );
    insta::assert_snapshot!("tenants_80x24", render(&mut a, 80, 24, &theme()).backend());

    let entry = |id: i64, who: &str, status: u16, detail: &str| AuditEntry {
        id,
        time: format!("2026-12-01T12:00:0{id}.123Z"),
        time_millis: 0,
        subject: who.into(),
        roles: vec!["operator".into()],
        tenant: Some("blue".into()),
        method: "POST".into(),
        path: "/power-control/v1/transitions".into(),
        xnames: vec!["x1000c0s0b0n0".into(), "x1000c0s1b0n0".into()],
        status,
        outcome: Outcome::of_status(status),
        detail: detail.into(),
        request_id: String::new(),
    };
    key(&mut a, KeyCode::Char(':'));
    for c in "audit".chars() {
        key(&mut a, KeyCode::Char(c));
    }
    key(&mut a, KeyCode::Enter);
    update(
        &mut a,
        Msg::List {
            kind: ListKind::Audit,
            result: Ok(ListData::audit(&[
                entry(
                    2,
                    "bob",
                    403,
                    "tenant blue does not hold this target: x1000c0s1b0n0",
                ),
                entry(1, "bob", 200, ""),
            ])),
        },
    );
    insta::assert_snapshot!("audit_160x48", render(&mut a, 160, 48, &theme()).backend());
}

#[test]
fn boot_list_editor_review_and_conflict() {
    use chami::client::boot::BootBase;
    use chami::model::boot::BootParams;
    use chami::tui::state::{ListData, ListKind};
    let entry = |name: &str, params: &str| BootParams {
        hosts: vec![name.into()],
        kernel: "http://10.100.0.1/boot/vmlinuz".into(),
        initrd: "http://10.100.0.1/boot/initrd.img".into(),
        params: params.into(),
        ..BootParams::default()
    };
    let mut a = app(10);
    key(&mut a, KeyCode::Char(':'));
    for c in "boot".chars() {
        key(&mut a, KeyCode::Char(c));
    }
    key(&mut a, KeyCode::Enter);
    update(
        &mut a,
        Msg::List {
            kind: ListKind::Boot,
            result: Ok(ListData::boot(&[
                entry("compute", "console=ttyS0 ip=dhcp"),
                entry("Default", "console=ttyS0"),
            ])),
        },
    );
    insta::assert_snapshot!(
        "boot_list_80x24",
        render(&mut a, 80, 24, &theme()).backend()
    );

    // `e` on the second row (sorted: Default, compute) opens the editor on compute.
    key(&mut a, KeyCode::Down);
    key(&mut a, KeyCode::Char('e'));
    let base = |params: &str, tag: &str| BootBase {
        params: BootParams {
            hosts: vec![],
            ..entry("compute", params)
        },
        etag: Some(tag.into()),
        existing: 1,
        source: "compute".into(),
    };
    update(
        &mut a,
        Msg::BootLoaded {
            targets: vec!["compute".into()],
            conflict: false,
            result: Ok(Box::new(base("console=ttyS0 ip=dhcp", "\"1\""))),
        },
    );
    for code in [KeyCode::Down, KeyCode::Down, KeyCode::End] {
        key(&mut a, code);
    }
    for c in " quiet &&".chars() {
        key(&mut a, KeyCode::Char(c));
    }
    insta::assert_snapshot!(
        "boot_editor_invalid_80x24",
        render(&mut a, 80, 24, &theme()).backend()
    );
    key(&mut a, KeyCode::Backspace);
    key(&mut a, KeyCode::Backspace);
    key(&mut a, KeyCode::Backspace);
    update(
        &mut a,
        Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)),
    );
    insta::assert_snapshot!(
        "boot_editor_review_80x24",
        render(&mut a, 80, 24, &theme()).backend()
    );
    key(&mut a, KeyCode::Char('y'));
    update(
        &mut a,
        Msg::BootSaved(Err(ClientError::Api {
            status: 412,
            detail: "changed".into(),
        })),
    );
    update(
        &mut a,
        Msg::BootLoaded {
            targets: vec!["compute".into()],
            conflict: true,
            result: Ok(Box::new(base("console=ttyS1 ip=dhcp", "\"2\""))),
        },
    );
    insta::assert_snapshot!(
        "boot_editor_conflict_80x24",
        render(&mut a, 80, 24, &theme()).backend()
    );
    // Take theirs, then look at the history.
    key(&mut a, KeyCode::Char('t'));
    update(
        &mut a,
        Msg::Key(KeyEvent::new(KeyCode::Char('o'), KeyModifiers::CONTROL)),
    );
    let version = |n: u64, params: &str, by: &str| chami::model::boot::BootVersion {
        name: "compute".into(),
        version: n,
        op: chami::model::boot::BootOp::Replace,
        time: format!("2026-12-01T1{n}:00:00Z"),
        by: by.into(),
        data: Some(chami::model::boot::BootData {
            kernel: "http://10.100.0.1/boot/vmlinuz".into(),
            initrd: "http://10.100.0.1/boot/initrd.img".into(),
            params: params.into(),
            ..Default::default()
        }),
    };
    update(
        &mut a,
        Msg::BootHistory {
            name: "compute".into(),
            result: Ok(vec![
                version(2, "console=ttyS1 ip=dhcp", "bob"),
                version(1, "console=ttyS0 ip=dhcp", "alice"),
            ]),
        },
    );
    key(&mut a, KeyCode::Down);
    insta::assert_snapshot!(
        "boot_editor_history_80x24",
        render(&mut a, 80, 24, &theme()).backend()
    );
    // Back to the text, with the iPXE preview of a node in the group.
    key(&mut a, KeyCode::Esc);
    update(
        &mut a,
        Msg::Key(KeyEvent::new(KeyCode::Char('p'), KeyModifiers::CONTROL)),
    );
    update(
        &mut a,
        Msg::BootScript {
            node: "x1000c0s0b0n1".into(),
            result: Ok("#!ipxe\nkernel --name kernel http://10.100.0.1/boot/vmlinuz initrd=initrd console=ttyS1\nboot".into()),
        },
    );
    insta::assert_snapshot!(
        "boot_editor_preview_100x24",
        render(&mut a, 100, 24, &theme()).backend()
    );
}

fn admin(n: usize) -> App {
    let mut a = app(n);
    a.identity = ("root".into(), vec!["admin".into()]);
    a
}

fn command(app: &mut App, text: &str) {
    key(app, KeyCode::Char(':'));
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
    key(app, KeyCode::Enter);
}

fn blue_tenant() -> chami::model::tenant::Tenant {
    serde_json::from_value(serde_json::json!({
        "apiVersion": "tapms.hpe.com/v1alpha3", "kind": "Tenant",
        "metadata": {"name": "blue", "uid": "u1", "resourceVersion": "2",
                     "creationTimestamp": "2026-12-01T10:00:00Z"},
        "spec": {"tenantname": "blue", "state": "Deployed", "tenantresources": [
            {"type": "compute", "xnames": ["x1000c0s2b0n0", "x1000c0s2b0n1"],
             "hsmgrouplabel": "blue", "enforceexclusivehsmgroups": true}],
            "admins": {"subjects": ["alice"], "groups": []}},
        "status": {"uuid": "u1"}
    }))
    .expect("a tenant")
}

/// The tenant form with a problem on its line, the `t` picker, the member prompt, and a
/// tenant admin's console (operator role, acting for blue): no tenant or member keys.
#[test]
fn tenant_form_picker_member_prompt_and_a_tenant_admins_console() {
    use chami::tui::state::{ListData, ListKind};
    let mut a = admin(10);
    command(&mut a, "tenants");
    update(&mut a, Msg::Tenants(Ok(vec![blue_tenant()])));
    key(&mut a, KeyCode::Char('e'));
    update(
        &mut a,
        Msg::TenantLoaded {
            name: "blue".into(),
            conflict: false,
            result: Ok(Box::new((blue_tenant(), Some("\"2\"".into())))),
        },
    );
    // Break the hostlist: the problem names its line.
    for _ in 0..3 {
        key(&mut a, KeyCode::Down);
    }
    key(&mut a, KeyCode::End);
    key(&mut a, KeyCode::Backspace);
    key(&mut a, KeyCode::Char('['));
    insta::assert_snapshot!(
        "tenant_form_problem_80x24",
        render(&mut a, 80, 24, &theme()).backend()
    );
    key(&mut a, KeyCode::Backspace);
    for c in "],x1000c0s3b0n0".chars() {
        key(&mut a, KeyCode::Char(c));
    }
    update(
        &mut a,
        Msg::Key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::CONTROL)),
    );
    insta::assert_snapshot!(
        "tenant_form_review_80x24",
        render(&mut a, 80, 24, &theme()).backend()
    );
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Esc);
    key(&mut a, KeyCode::Esc);
    assert!(a.tenant_form.is_none());

    // The picker over three marked nodes.
    command(&mut a, "nodes");
    for _ in 0..4 {
        key(&mut a, KeyCode::Down);
    }
    for _ in 0..3 {
        key(&mut a, KeyCode::Char(' '));
    }
    key(&mut a, KeyCode::Char('t'));
    insta::assert_snapshot!(
        "tenant_picker_80x24",
        render(&mut a, 80, 24, &theme()).backend()
    );
    key(&mut a, KeyCode::Enter);
    insta::assert_snapshot!(
        "tenant_assign_prompt_80x24",
        render(&mut a, 80, 24, &theme()).backend()
    );
    key(&mut a, KeyCode::Char('n'));

    // + in :groups asks first.
    command(&mut a, "groups");
    let group: chami::model::group::Group = serde_json::from_value(serde_json::json!({
        "label": "compute", "description": "all compute", "members": {"ids": []}
    }))
    .unwrap();
    update(
        &mut a,
        Msg::List {
            kind: ListKind::Groups,
            result: Ok(ListData::groups(&[group])),
        },
    );
    key(&mut a, KeyCode::Char('+'));
    insta::assert_snapshot!(
        "member_prompt_80x24",
        render(&mut a, 80, 24, &theme()).backend()
    );
    key(&mut a, KeyCode::Char('n'));

    // A tenant admin: only its tenant is listed (the core filters), and the tenant and
    // member keys are neither hinted nor offered in help.
    let mut t = app(10);
    t.tenant = Some("blue".into());
    command(&mut t, "tenants");
    update(&mut t, Msg::Tenants(Ok(vec![blue_tenant()])));
    insta::assert_snapshot!(
        "tenant_admin_tenants_80x24",
        render(&mut t, 80, 24, &theme()).backend()
    );
    key(&mut t, KeyCode::Char('?'));
    let help = format!("{:?}", render(&mut t, 80, 48, &theme()).backend());
    assert!(help.contains("power"), "operators power nodes");
    for hidden in [
        "new tenant",
        "delete the tenant",
        "assign the marked",
        "add the marked",
    ] {
        assert!(!help.contains(hidden), "{hidden} is for admins:\n{help}");
    }
}
