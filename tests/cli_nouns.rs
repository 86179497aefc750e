//! The scriptable nouns against a running core: `chami nodes` and `chami power` with each
//! output format read back, a pipeline through stdin, exit code 3 when some nodes fail, and
//! clear errors (exit 1 or 2) for an unreachable core, a bad token and a bad target.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use chami::sim::Faults;
use common::fleet::rig;
use common::TestServer;
use serde_json::Value;

/// The CLI attached to `t` as its admin.
struct Cli {
    url: String,
    token: tempfile::NamedTempFile,
    ca: String,
}

impl Cli {
    fn new(t: &TestServer) -> Cli {
        let mut token = tempfile::NamedTempFile::new().unwrap();
        write!(token, "{}", t.admin).unwrap();
        Cli {
            url: t.server.url(),
            token,
            ca: t.server.ca.as_ref().unwrap().display().to_string(),
        }
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_chami"));
        c.args(args)
            .args(["--server", &self.url, "--ca-cert", &self.ca, "--token-file"])
            .arg(self.token.path())
            .env_remove("CHAMI_TOKEN")
            .env_remove("CHAMI_SERVER")
            .env_remove("CHAMI_BMC_PASSWORD");
        c
    }

    fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("chami runs")
    }

    fn run_with_stdin(&self, args: &[&str], input: &[u8]) -> Output {
        let mut child = self
            .cmd(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chami runs");
        child.stdin.take().unwrap().write_all(input).unwrap();
        child.wait_with_output().unwrap()
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Runs blocking CLI calls off the async test's threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.unwrap()
}

#[tokio::test]
async fn nodes_and_power_through_the_cli() {
    let r = rig(3, Duration::from_millis(20)).await;
    let cli = std::sync::Arc::new(Cli::new(&r.t));

    // Every format of `nodes list`, read back.
    let c = cli.clone();
    let (json, yaml, name, table) = blocking(move || {
        (
            c.run(&["nodes", "list", "-o", "json"]),
            c.run(&["nodes", "list", "-o", "yaml"]),
            c.run(&["nodes", "list", "-o", "name"]),
            c.run(&["nodes", "list", "-o", "table", "--state", "Off"]),
        )
    })
    .await;
    assert!(json.status.success(), "{}", text(&json.stderr));
    let from_json: Vec<Value> = serde_json::from_slice(&json.stdout).unwrap();
    let from_yaml: Vec<Value> = serde_yaml::from_slice(&yaml.stdout).unwrap();
    assert_eq!(from_json.len(), 6, "3 BMCs, 2 nodes each");
    assert_eq!(from_json, from_yaml);
    let names: Vec<String> = text(&name.stdout).lines().map(String::from).collect();
    assert_eq!(names.len(), 6);
    assert_eq!(names[0], "x3000c0s0b0n0");
    let table = text(&table.stdout);
    assert!(table.starts_with("ID "), "{table}");
    assert_eq!(
        table.lines().count(),
        7,
        "a header and 6 Off nodes: {table}"
    );

    // The pipeline: list the Off nodes by name, power them on from stdin.
    let c = cli.clone();
    let on = blocking(move || {
        let off = c.run(&[
            "nodes",
            "list",
            "--state",
            "Off",
            "--id",
            "x3000c0s[0-1]b0n[0-1]",
            "-o",
            "name",
        ]);
        assert!(off.status.success());
        c.run_with_stdin(&["power", "on", "-", "-o", "json"], &off.stdout)
    })
    .await;
    assert!(on.status.success(), "{}", text(&on.stderr));
    let tasks: Vec<Value> = serde_json::from_slice(&on.stdout).unwrap();
    assert_eq!(tasks.len(), 4);
    assert!(
        tasks.iter().all(|t| t["taskStatus"] == "succeeded"),
        "{tasks:?}"
    );
    let c = cli.clone();
    let status =
        blocking(move || c.run(&["power", "status", "x3000c0s[0-2]b0n0", "-o", "json"])).await;
    let status: Vec<Value> = serde_json::from_slice(&status.stdout).unwrap();
    let power: Vec<&str> = status
        .iter()
        .map(|s| s["powerState"].as_str().unwrap())
        .collect();
    assert_eq!(power, ["on", "on", "off"]);

    // One BMC fails: exit 3, the failed nodes on stderr, the rest done.
    r.fleet.bmc(2).unwrap().set_faults(Faults {
        error_500: true,
        ..Faults::default()
    });
    let c = cli.clone();
    let off =
        blocking(move || c.run(&["power", "off", "x3000c0s[0-2]b0n[0-1]", "-o", "name"])).await;
    assert_eq!(off.status.code(), Some(3), "{}", text(&off.stderr));
    let err = text(&off.stderr);
    assert!(
        err.contains("x3000c0s2b0n0") && err.contains("x3000c0s2b0n1"),
        "{err}"
    );
    assert!(err.contains("2 of 6 nodes failed"), "{err}");
    assert_eq!(text(&off.stdout).lines().count(), 6);

    // Usage errors are 2 and name the problem.
    let c = cli.clone();
    let bad = blocking(move || c.run(&["power", "on", "bogus"])).await;
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        text(&bad.stderr).contains("'bogus'"),
        "{}",
        text(&bad.stderr)
    );
    let c = cli.clone();
    let none = blocking(move || c.run_with_stdin(&["power", "on", "-"], b"\n# nothing\n")).await;
    assert_eq!(none.status.code(), Some(2));
    assert!(text(&none.stderr).contains("no targets"));
    drop(r.fleet);
}

#[tokio::test]
async fn unreachable_core_and_bad_token_fail_clearly() {
    let t = TestServer::start().await;
    let mut cli = Cli::new(&t);
    // The CA outlives the core's data dir, so only the address is wrong.
    let ca = tempfile::NamedTempFile::new().unwrap();
    std::fs::copy(&cli.ca, ca.path()).unwrap();
    cli.ca = ca.path().display().to_string();
    let url = cli.url.clone();
    t.server.shutdown().await.unwrap();
    let out = blocking(move || cli.run(&["nodes", "list"])).await;
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("cannot reach") && err.contains(&url), "{err}");

    let t = TestServer::start().await;
    let mut cli = Cli::new(&t);
    let mut token = tempfile::NamedTempFile::new().unwrap();
    write!(token, "not-a-token").unwrap();
    cli.token = token;
    let out = blocking(move || cli.run(&["nodes", "list"])).await;
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("401"), "{err}");
}

#[tokio::test]
async fn boot_groups_tenants_and_audit_through_the_cli() {
    let t = TestServer::start().await;
    components(&t, 3).await;
    let (status, body) = t
        .post(
            "/hsm/v2/groups",
            serde_json::json!({"label": "gpu", "members": {"ids": ["x1000c0s2b0n0"]}}),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{body}");
    let (status, body) = t
        .put(
            "/apis/tapms/v1alpha3/tenants/blue",
            serde_json::json!({"spec": {"tenantresources": [{"type": "compute",
                "xnames": ["x1000c0s1b0n0"], "hsmgrouplabel": "blue",
                "enforceexclusivehsmgroups": true}]}}),
        )
        .await;
    assert_eq!(status.as_u16(), 201, "{body}");
    let cli = std::sync::Arc::new(Cli::new(&t));
    let c = cli.clone();
    let outs = blocking(move || {
        let run = |args: &[&str]| {
            let o = c.run(args);
            assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
            text(&o.stdout)
        };
        vec![
            run(&[
                "boot",
                "set",
                "x1000c0s0b0n0",
                "--kernel",
                "http://k/one",
                "--params",
                "console=ttyS0",
                "-o",
                "json",
            ]),
            run(&[
                "boot",
                "set",
                "Default",
                "--kernel",
                "http://k/default",
                "--initrd",
                "http://k/initrd",
                "-o",
                "json",
            ]),
            run(&[
                "boot",
                "set",
                "x1000c0s0b0n0",
                "--kernel",
                "http://k/two",
                "-o",
                "json",
            ]),
            run(&["boot", "script", "x1000c0s0b0n0"]),
            run(&["boot", "get", "x1000c0s1b0n0", "-o", "json"]),
            run(&["boot", "history", "x1000c0s0b0n0", "-o", "json"]),
            run(&["boot", "restore", "x1000c0s0b0n0", "1", "-o", "json"]),
            run(&["boot", "script", "x1000c0s0b0n0"]),
            run(&["groups", "list", "-o", "name"]),
            run(&["groups", "show", "blue", "-o", "json"]),
            run(&["tenants", "list", "-o", "name"]),
            run(&[
                "audit",
                "--subject",
                "test-admin",
                "--path",
                "/boot/",
                "-o",
                "json",
            ]),
        ]
    })
    .await;
    let first: Vec<Value> = serde_json::from_str(&outs[0]).unwrap();
    assert_eq!(first[0]["kernel"], "http://k/one");
    assert!(
        outs[3].contains("http://k/two") && outs[3].contains("console=ttyS0"),
        "{}",
        outs[3]
    );
    let eff: Vec<Value> = serde_json::from_str(&outs[4]).unwrap();
    assert_eq!(eff[0]["source"], "Default");
    let history: Vec<Value> = serde_json::from_str(&outs[5]).unwrap();
    let versions: Vec<u64> = history
        .iter()
        .map(|h| h["version"].as_u64().unwrap())
        .collect();
    assert_eq!(versions, [2, 1], "newest first");
    assert!(outs[7].contains("http://k/one"), "restored: {}", outs[7]);
    assert_eq!(outs[8].lines().collect::<Vec<_>>(), ["blue", "gpu"]);
    let blue: Vec<Value> = serde_json::from_str(&outs[9]).unwrap();
    assert_eq!(
        blue[0]["members"]["ids"],
        serde_json::json!(["x1000c0s1b0n0"])
    );
    assert_eq!(outs[10].trim(), "blue");
    let audit: Vec<Value> = serde_json::from_str(&outs[11]).unwrap();
    let lines: Vec<String> = audit
        .iter()
        .map(|e| {
            format!(
                "{} {} {}",
                e["method"].as_str().unwrap(),
                e["path"].as_str().unwrap(),
                e["status"]
            )
        })
        .collect();
    assert_eq!(
        lines,
        [
            "PATCH /boot/v1/bootparameters 404",
            "POST /boot/v1/bootparameters 201",
            "PATCH /boot/v1/bootparameters 404",
            "POST /boot/v1/bootparameters 201",
            "PATCH /boot/v1/bootparameters 200",
            "POST /boot/v1/bootparameters/restore 200",
        ],
        "oldest first"
    );
    // Nothing to set is a usage error.
    let c = cli.clone();
    let out = blocking(move || c.run(&["boot", "set", "x1000c0s0b0n0"])).await;
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
}

#[tokio::test]
async fn set_state_enable_and_disable_print_what_they_changed() {
    let t = TestServer::start().await;
    components(&t, 3).await;
    let cli = Cli::new(&t);
    let (set, disabled, enabled, bad_state, unknown) = blocking(move || {
        (
            cli.run(&[
                "nodes",
                "set-state",
                "Off",
                "x1000c0s[0-1]b0n0",
                "--flag",
                "Warning",
                "-o",
                "json",
            ]),
            cli.run(&["nodes", "disable", "x1000c0s2b0n0", "-o", "yaml"]),
            cli.run(&["nodes", "enable", "x1000c0s2b0n0", "-o", "name"]),
            cli.run(&["nodes", "set-state", "Bogus", "x1000c0s0b0n0"]),
            cli.run(&["nodes", "disable", "x1000c0s7b0n0"]),
        )
    })
    .await;
    assert!(set.status.success(), "{}", text(&set.stderr));
    let rows: Vec<Value> = serde_json::from_slice(&set.stdout).unwrap();
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|c| c["State"] == "Off" && c["Flag"] == "Warning"),
        "{rows:?}"
    );
    let rows: Vec<Value> = serde_yaml::from_slice(&disabled.stdout).unwrap();
    assert_eq!(rows[0]["Enabled"], false, "{rows:?}");
    assert_eq!(text(&enabled.stdout), "x1000c0s2b0n0\n");
    let (_, now) = t.get("/hsm/v2/State/Components/x1000c0s2b0n0").await;
    assert_eq!(now["Enabled"], true);

    // A bad state and an unknown node fail with the core's reason, and change nothing.
    let err = text(&bad_state.stderr);
    assert_eq!(bad_state.status.code(), Some(1), "{err}");
    assert!(err.contains("'Bogus'"), "{err}");
    let err = text(&unknown.stderr);
    assert_eq!(unknown.status.code(), Some(1), "{err}");
    assert!(err.contains("x1000c0s7b0n0"), "{err}");
    let (_, still) = t.get("/hsm/v2/State/Components/x1000c0s0b0n0").await;
    assert_eq!(still["State"], "Off");
}

#[tokio::test]
async fn a_reader_that_quits_ends_the_command_quietly() {
    let t = TestServer::start().await;
    components(&t, 4).await;
    let cli = Cli::new(&t);
    let out = blocking(move || {
        // As `chami nodes list | head -0`: the reader is gone before anything is written.
        let mut child = cli
            .cmd(&["nodes", "list", "-o", "json"])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("chami runs");
        drop(child.stdout.take());
        child.wait_with_output().unwrap()
    })
    .await;
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// Components `x1000c0s{0..n}b0n0` on `t`.
async fn components(t: &TestServer, n: usize) {
    let comps: Vec<Value> = (0..n)
        .map(|i| serde_json::json!({"ID": format!("x1000c0s{i}b0n0"), "State": "Ready", "Role": "Compute"}))
        .collect();
    let (status, body) = t
        .post(
            "/hsm/v2/State/Components",
            serde_json::json!({ "Components": comps }),
        )
        .await;
    assert_eq!(status.as_u16(), 204, "{body}");
}

#[tokio::test]
async fn endpoints_interfaces_and_members_through_the_cli() {
    let t = TestServer::start().await;
    components(&t, 4).await;
    let cli = std::sync::Arc::new(Cli::new(&t));
    let mut pw = tempfile::NamedTempFile::new().unwrap();
    writeln!(pw, "s3cret").unwrap();
    let pw = pw.path().display().to_string();
    let empty = tempfile::NamedTempFile::new().unwrap();
    let empty = empty.into_temp_path();
    let empty_pw = empty.display().to_string();
    let empty_arg = empty_pw.clone();
    let c = cli.clone();
    let (outs, failures) = blocking(move || {
        let ok = |args: &[&str]| {
            let o = c.run(args);
            assert!(o.status.success(), "{args:?}: {}", text(&o.stderr));
            text(&o.stdout)
        };
        let fail = |args: &[&str]| {
            let o = c.run(args);
            (o.status.code(), text(&o.stderr))
        };
        let outs = vec![
            // 0: a BMC registered; nothing listens on port 1, so no discovery gets far.
            ok(&[
                "endpoints",
                "add",
                "x1000c0s0b0",
                "--fqdn",
                "127.0.0.1:1",
                "--user",
                "root",
                "--password-file",
                &pw,
                "--disabled",
                "-o",
                "json",
            ]),
            ok(&["endpoints", "list", "-o", "yaml"]),
            ok(&[
                "interfaces",
                "add",
                "A4:BF:01:38:EE:65",
                "--component",
                "x1000c0s0b0n0",
                "--ip",
                "10.0.0.5",
                "--description",
                "eth0",
                "-o",
                "json",
            ]),
            ok(&[
                "interfaces",
                "list",
                "--component",
                "x1000c0s0b0n0",
                "-o",
                "table",
            ]),
            ok(&[
                "groups",
                "create",
                "compute",
                "x1000c0s[0-1]b0n0",
                "--tag",
                "hpc",
                "-o",
                "json",
            ]),
            ok(&["groups", "remove", "compute", "x1000c0s0b0n0", "-o", "json"]),
            ok(&["partitions", "create", "p1", "x1000c0s3b0n0", "-o", "json"]),
            ok(&["groups", "delete", "compute"]),
            ok(&["groups", "list", "-o", "name"]),
        ];
        let failures = vec![
            // 0: one known, one unknown endpoint.
            fail(&[
                "endpoints",
                "show",
                "x1000c0s0b0",
                "x1000c0s9b0",
                "-o",
                "json",
            ]),
            // 1: no password anywhere.
            fail(&[
                "endpoints",
                "add",
                "x1000c0s1b0",
                "--fqdn",
                "h",
                "--user",
                "root",
            ]),
            // 2: partitions have no exclusive group.
            fail(&["partitions", "create", "p2", "--exclusive", "x"]),
            // 3: an unknown group is one error, not one per member.
            fail(&["groups", "add", "nosuch", "x1000c0s0b0n0"]),
            // 4: an empty password file is a mistake, not a password.
            fail(&[
                "endpoints",
                "add",
                "x1000c0s1b0",
                "--fqdn",
                "h",
                "--user",
                "root",
                "--password-file",
                &empty_arg,
            ]),
        ];
        (outs, failures)
    })
    .await;
    let ep: Vec<Value> = serde_json::from_str(&outs[0]).unwrap();
    assert_eq!(ep[0]["ID"], "x1000c0s0b0");
    assert_eq!(ep[0]["FQDN"], "127.0.0.1:1");
    assert_eq!(ep[0]["Enabled"], false);
    assert!(!outs[0].contains("s3cret"), "the password is never shown");
    let listed: Vec<Value> = serde_yaml::from_str(&outs[1]).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["User"], "root");
    let eth: Vec<Value> = serde_json::from_str(&outs[2]).unwrap();
    assert_eq!(eth[0]["ID"], "a4bf0138ee65");
    assert_eq!(eth[0]["IPAddresses"][0]["IPAddress"], "10.0.0.5");
    let table: Vec<&str> = outs[3].lines().collect();
    assert!(table[0].starts_with("ID "), "{}", outs[3]);
    assert!(
        table[1].contains("a4bf0138ee65") && table[1].contains("10.0.0.5"),
        "{}",
        outs[3]
    );
    let g: Vec<Value> = serde_json::from_str(&outs[4]).unwrap();
    assert_eq!(
        g[0]["members"]["ids"],
        serde_json::json!(["x1000c0s0b0n0", "x1000c0s1b0n0"])
    );
    assert_eq!(g[0]["tags"], serde_json::json!(["hpc"]));
    let g: Vec<Value> = serde_json::from_str(&outs[5]).unwrap();
    assert_eq!(g[0]["members"]["ids"], serde_json::json!(["x1000c0s1b0n0"]));
    let p: Vec<Value> = serde_json::from_str(&outs[6]).unwrap();
    assert_eq!(p[0]["name"], "p1");
    assert_eq!(p[0]["members"]["ids"], serde_json::json!(["x1000c0s3b0n0"]));
    assert_eq!(outs[7].trim(), "compute");
    assert!(!outs[8].lines().any(|l| l == "compute"), "{}", outs[8]);

    let (code, err) = &failures[0];
    assert_eq!(*code, Some(3), "{err}");
    assert!(err.contains("x1000c0s9b0: not found"), "{err}");
    assert!(!err.contains("x1000c0s0b0:"), "{err}");
    let (code, err) = &failures[1];
    assert_eq!(*code, Some(2), "{err}");
    assert!(err.contains("--password-file"), "{err}");
    assert_eq!(failures[2].0, Some(2), "{}", failures[2].1);
    let (code, err) = &failures[3];
    assert_eq!(*code, Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("nosuch"), "{err}");
    let (code, err) = &failures[4];
    assert_eq!(*code, Some(2), "{err}");
    assert!(err.contains("empty") && err.contains(&empty_pw), "{err}");

    // Adding members where some fail: the others are added, the failed ones named, exit 3.
    let c = cli.clone();
    let out = blocking(move || {
        c.run(&["groups", "create", "gpu", "-o", "json"]);
        c.run(&[
            "groups",
            "add",
            "gpu",
            "x1000c0s2b0n0,x1000c0s9b0n0",
            "-o",
            "json",
        ])
    })
    .await;
    assert_eq!(out.status.code(), Some(3), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("x1000c0s9b0n0"),
        "{}",
        text(&out.stderr)
    );
    let g: Vec<Value> = serde_json::from_str(&text(&out.stdout)).unwrap();
    assert_eq!(g[0]["members"]["ids"], serde_json::json!(["x1000c0s2b0n0"]));

    // A pipeline: every interface's ID into `interfaces delete -`, every endpoint's into
    // `endpoints delete -`.
    let c = cli.clone();
    let (ids, deleted, eps, gone, left) = blocking(move || {
        let ids = c.run(&["interfaces", "list", "-o", "name"]);
        let deleted = c.run_with_stdin(&["interfaces", "delete", "-"], &ids.stdout);
        let eps = c.run(&["endpoints", "list", "-o", "name"]);
        let gone = c.run_with_stdin(&["endpoints", "delete", "-"], &eps.stdout);
        let left = c.run(&["interfaces", "list", "-o", "json"]);
        (ids, deleted, eps, gone, left)
    })
    .await;
    assert_eq!(text(&ids.stdout).trim(), "a4bf0138ee65");
    assert!(deleted.status.success(), "{}", text(&deleted.stderr));
    assert_eq!(text(&deleted.stdout).trim(), "a4bf0138ee65");
    assert_eq!(text(&eps.stdout).trim(), "x1000c0s0b0");
    assert!(gone.status.success(), "{}", text(&gone.stderr));
    let left: Vec<Value> = serde_json::from_str(&text(&left.stdout)).unwrap();
    assert!(left.is_empty(), "{left:?}");
}

/// A shell script to stand in for the operator's editor.
fn editor_script(dir: &std::path::Path, body: &str) -> String {
    use std::os::unix::fs::PermissionsExt;
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let path = dir.join(format!(
        "editor-{}.sh",
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::write(&path, format!("#!/bin/sh\nset -e\n{body}\n")).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path.display().to_string()
}

#[tokio::test]
async fn boot_edit_goes_through_the_editor_and_never_overwrites_a_newer_version() {
    let t = TestServer::start().await;
    components(&t, 2).await;
    let cli = std::sync::Arc::new(Cli::new(&t));
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().to_path_buf();
    let c = cli.clone();
    let (first, unchanged, bad, raced, cancelled) = blocking(move || {
        let edit = |editor: &str| {
            c.cmd(&["boot", "edit", "X1000C0S0B0N0", "-o", "json"])
                .env("EDITOR", editor)
                .env_remove("VISUAL")
                .output()
                .unwrap()
        };
        c.run(&["boot", "set", "Default", "--kernel", "http://k/default"]);
        // No entry of its own yet: the editor starts from Default's and creates one.
        let first = edit(&editor_script(
            &d,
            r#"grep -q 'kernel: http://k/default' "$1"
sed -i 's#^kernel: .*#kernel: http://k/mine#; s#^params: .*#params: console=ttyS0#' "$1""#,
        ));
        let unchanged = edit("true");
        let bad = edit(&editor_script(
            &d,
            r#"sed -i 's#^params: .*#params: a \&\& reboot#' "$1""#,
        ));
        // Someone else writes while the editor is open.
        let other = format!(
            "{} boot set x1000c0s0b0n0 --kernel http://k/theirs --server {} --ca-cert {} --token-file {}",
            env!("CARGO_BIN_EXE_chami"),
            c.url,
            c.ca,
            c.token.path().display()
        );
        let raced = edit(&editor_script(
            &d,
            &format!("{other} > /dev/null\nsed -i 's#^kernel: .*#kernel: http://k/late#' \"$1\""),
        ));
        let cancelled = edit(&editor_script(&d, r#": > "$1""#));
        (first, unchanged, bad, raced, cancelled)
    })
    .await;
    assert!(first.status.success(), "{}", text(&first.stderr));
    let rows: Vec<Value> = serde_json::from_str(&text(&first.stdout)).unwrap();
    assert_eq!(rows[0]["hosts"], serde_json::json!(["x1000c0s0b0n0"]));
    assert_eq!(rows[0]["kernel"], "http://k/mine");
    assert_eq!(rows[0]["params"], "console=ttyS0");

    assert!(unchanged.status.success(), "{}", text(&unchanged.stderr));
    assert!(
        text(&unchanged.stderr).contains("no change"),
        "{}",
        text(&unchanged.stderr)
    );

    // Invalid text: the line is named and the text kept.
    assert_eq!(bad.status.code(), Some(1));
    let err = text(&bad.stderr);
    assert!(err.contains("line ") && err.contains("'&&'"), "{err}");
    let kept = kept_file(&err);
    assert!(std::fs::read_to_string(&kept)
        .unwrap()
        .contains("a && reboot"));
    std::fs::remove_file(kept).unwrap();

    // A newer version written meanwhile is not overwritten; the edit is kept.
    assert_eq!(raced.status.code(), Some(1));
    let err = text(&raced.stderr);
    assert!(err.contains("changed by someone else"), "{err}");
    let kept = kept_file(&err);
    assert!(std::fs::read_to_string(&kept)
        .unwrap()
        .contains("http://k/late"));
    std::fs::remove_file(kept).unwrap();
    let (_, now) = t.get("/boot/v1/bootparameters?name=x1000c0s0b0n0").await;
    assert_eq!(now[0]["kernel"], "http://k/theirs");

    assert!(cancelled.status.success(), "{}", text(&cancelled.stderr));
    assert!(text(&cancelled.stderr).contains("nothing was written"));
    let (_, now) = t.get("/boot/v1/bootparameters?name=x1000c0s0b0n0").await;
    assert_eq!(now[0]["kernel"], "http://k/theirs");
}

/// The file an error message says the text is kept in.
fn kept_file(err: &str) -> std::path::PathBuf {
    let at = err.find("kept in ").expect("names the kept file") + "kept in ".len();
    std::path::PathBuf::from(err[at..].trim())
}

#[tokio::test]
async fn tenants_through_the_cli() {
    let t = TestServer::start().await;
    components(&t, 4).await;
    let (status, body) = t
        .post(
            "/hsm/v2/State/Components",
            serde_json::json!({"Components": [
                {"ID": "x1000c0s4b0n0", "State": "Ready", "Role": "Management"}]}),
        )
        .await;
    assert_eq!(status.as_u16(), 204, "{body}");
    let cli = std::sync::Arc::new(Cli::new(&t));
    let c = cli.clone();
    let outs = blocking(move || {
        let run = |args: &[&str]| {
            let o = c.run(args);
            (o.status.code(), text(&o.stdout), text(&o.stderr))
        };
        vec![
            // 0
            run(&[
                "tenants",
                "create",
                "blue",
                "x1000c0s[0-1]b0n0",
                "--exclusive",
                "--admin",
                "alice",
                "-o",
                "json",
            ]),
            // 1: an unknown node and one whose Role no tenant takes: nothing created.
            run(&[
                "tenants",
                "create",
                "red",
                "x1000c0s2b0n0",
                "x1000c0s9b0n0",
                "x1000c0s4b0n0",
            ]),
            // 2
            run(&[
                "tenants",
                "create",
                "red",
                "x1000c0s2b0n0",
                "--exclusive",
                "-o",
                "json",
            ]),
            // 3: s0 is held by blue's exclusive resource; s3 joins.
            run(&[
                "tenants",
                "add",
                "red",
                "x1000c0s3b0n0,x1000c0s0b0n0",
                "-o",
                "json",
            ]),
            // 4
            run(&["tenants", "add", "nosuch", "x1000c0s3b0n0"]),
            // 5
            run(&["tenants", "release", "x1000c0s3b0n0"]),
            // 6: red would be left with nothing.
            run(&["tenants", "release", "x1000c0s2b0n0"]),
            // 7
            run(&["tenants", "delete", "red"]),
            // 8
            run(&["tenants", "list", "-o", "name"]),
        ]
    })
    .await;
    let (code, out, err) = &outs[0];
    assert_eq!(*code, Some(0), "{err}");
    let blue: Vec<Value> = serde_json::from_str(out).unwrap();
    let res = &blue[0]["spec"]["tenantresources"][0];
    assert_eq!(res["type"], "compute");
    assert_eq!(
        res["xnames"],
        serde_json::json!(["x1000c0s0b0n0", "x1000c0s1b0n0"])
    );
    assert_eq!(res["enforceexclusivehsmgroups"], true);
    assert_eq!(
        blue[0]["spec"]["admins"]["subjects"],
        serde_json::json!(["alice"])
    );

    let (code, _, err) = &outs[1];
    assert_eq!(*code, Some(1), "{err}");
    assert!(err.contains("no such component: x1000c0s9b0n0"), "{err}");
    assert!(err.contains("x1000c0s4b0n0 (Role \"Management\")"), "{err}");

    let (code, _, err) = &outs[2];
    assert_eq!(*code, Some(0), "{err}");
    let (code, out, err) = &outs[3];
    assert_eq!(*code, Some(3), "{err}");
    assert!(
        err.contains("x1000c0s0b0n0") && err.contains("blue"),
        "{err}"
    );
    let red: Vec<Value> = serde_json::from_str(out).unwrap();
    assert_eq!(
        red[0]["spec"]["tenantresources"][0]["xnames"],
        serde_json::json!(["x1000c0s2b0n0", "x1000c0s3b0n0"])
    );
    let (code, _, err) = &outs[4];
    assert_eq!(*code, Some(1), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("nosuch"), "{err}");
    let (code, out, err) = &outs[5];
    assert_eq!(*code, Some(0), "{err}");
    assert_eq!(out.trim(), "red");
    let (code, _, err) = &outs[6];
    assert_eq!(*code, Some(3), "{err}");
    assert!(err.contains("delete the tenant instead"), "{err}");
    let (code, out, err) = &outs[7];
    assert_eq!(*code, Some(0), "{err}");
    assert!(out.contains("tenant red deleted"), "{out}");
    assert_eq!(outs[8].1.trim(), "blue");
}

#[tokio::test]
async fn token_get_asks_the_token_endpoint() {
    let dir = tempfile::tempdir().unwrap();
    let clients = dir.path().join("clients.yaml");
    std::fs::write(
        &clients,
        "- id: ops\n  secret: s3cret-s3cret-s3cret\n  roles: [admin]\n",
    )
    .unwrap();
    let good = dir.path().join("secret");
    std::fs::write(&good, "s3cret-s3cret-s3cret\n").unwrap();
    let bad = dir.path().join("wrong");
    std::fs::write(&bad, "not-the-secret\n").unwrap();
    let t = TestServer::start_with(|a| a.oauth_clients = Some(clients)).await;
    components(&t, 2).await;
    let url = t.server.url();
    let ca = t.server.ca.as_ref().unwrap().display().to_string();
    let token_file = dir.path().join("token");
    let (got, wrong, missing, used) = blocking(move || {
        let get = |secret: &std::path::Path| {
            Command::new(env!("CARGO_BIN_EXE_chami"))
                .args(["token", "get", "--server", &url, "--ca-cert", &ca])
                .args(["--client-id", "ops", "--client-secret-file"])
                .arg(secret)
                .output()
                .unwrap()
        };
        let got = get(&good);
        std::fs::write(&token_file, &got.stdout).unwrap();
        let used = Command::new(env!("CARGO_BIN_EXE_chami"))
            .args([
                "nodes",
                "list",
                "-o",
                "name",
                "--server",
                &url,
                "--ca-cert",
                &ca,
            ])
            .arg("--token-file")
            .arg(&token_file)
            .env_remove("CHAMI_TOKEN")
            .output()
            .unwrap();
        (
            got,
            get(&bad),
            get(std::path::Path::new("/nonexistent/secret")),
            used,
        )
    })
    .await;
    assert!(got.status.success(), "{}", text(&got.stderr));
    assert_eq!(text(&got.stdout).trim().split('.').count(), 3, "a JWT");
    assert!(used.status.success(), "{}", text(&used.stderr));
    assert_eq!(
        text(&used.stdout).lines().collect::<Vec<_>>(),
        ["x1000c0s0b0n0", "x1000c0s1b0n0"]
    );
    assert_eq!(wrong.status.code(), Some(1));
    assert!(
        text(&wrong.stderr).contains("invalid_client"),
        "{}",
        text(&wrong.stderr)
    );
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("/nonexistent/secret"));
}

#[tokio::test]
async fn nodemaps_load_list_and_delete_through_the_cli() {
    let t = TestServer::start().await;
    let cli = std::sync::Arc::new(Cli::new(&t));
    let c = cli.clone();
    let (loaded, listed, deleted, bad, taken) = blocking(move || {
        let file = tempfile::NamedTempFile::new().unwrap();
        std::fs::write(
            file.path(),
            "NodeMaps:\n- ID: x3000c0s1b0n0\n  NID: 1\n  Role: Compute\n- ID: x3000c0s2b0n0\n  NID: 2\n",
        )
        .unwrap();
        let path = file.path().display().to_string();
        let loaded = c.run(&["nodemaps", "load", &path, "-o", "json"]);
        let listed = c.run(&["nodemaps", "list", "-o", "table"]);
        let deleted = c.run(&["nodemaps", "delete", "x3000c0s2b0n0"]);
        let bad = c.run_with_stdin(&["nodemaps", "load", "-"], b"[]");
        let taken = c.run_with_stdin(
            &["nodemaps", "load", "-"],
            br#"[{"ID": "x3000c0s9b0n0", "NID": 1}]"#,
        );
        (loaded, listed, deleted, bad, taken)
    })
    .await;
    assert!(loaded.status.success(), "{}", text(&loaded.stderr));
    let rows: Value = serde_json::from_slice(&loaded.stdout).expect("json");
    assert_eq!(rows.as_array().map(Vec::len), Some(2), "{rows}");
    assert_eq!(rows[0]["Role"], "Compute");
    let table = text(&listed.stdout);
    assert!(table.starts_with("XNAME"), "{table}");
    assert!(table.contains("x3000c0s2b0n0"), "{table}");
    assert!(deleted.status.success(), "{}", text(&deleted.stderr));
    let (status, body) = t.get("/hsm/v2/Defaults/NodeMaps").await;
    assert_eq!(status, reqwest::StatusCode::OK);
    assert_eq!(body["NodeMaps"].as_array().map(Vec::len), Some(1), "{body}");
    assert_eq!(bad.status.code(), Some(2), "{}", text(&bad.stderr));
    assert!(
        text(&bad.stderr).contains("holds no maps"),
        "{}",
        text(&bad.stderr)
    );
    assert_eq!(taken.status.code(), Some(1), "{}", text(&taken.stderr));
    assert!(
        text(&taken.stderr).contains("NID 1 is mapped to x3000c0s1b0n0"),
        "{}",
        text(&taken.stderr)
    );
}
