//! End to end in a real terminal: `chami demo` in tmux, driven with `send-keys` and read with
//! `capture-pane`. It needs tmux, so it is ignored by `cargo test` and run by `.ci/run`
//! (`cargo test --test console_tmux -- --ignored`), which installs tmux first. Asked for
//! without tmux, it fails and says so.

use std::process::Command;
use std::time::{Duration, Instant};

struct Session {
    name: String,
}

impl Session {
    fn tmux(&self, args: &[&str]) -> std::process::Output {
        Command::new("tmux").args(args).output().expect("tmux runs")
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.name];
        args.extend_from_slice(keys);
        assert!(self.tmux(&args).status.success(), "send-keys {keys:?}");
    }

    fn screen(&self) -> String {
        String::from_utf8_lossy(&self.tmux(&["capture-pane", "-p", "-t", &self.name]).stdout)
            .into_owned()
    }

    /// Waits (at most `secs`) until the screen satisfies `ok`; returns it.
    fn wait_for(&self, what: &str, secs: u64, ok: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.screen();
            if ok(&s) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("timed out waiting for {what}; the screen was:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    fn alive(&self) -> bool {
        self.tmux(&["has-session", "-t", &self.name])
            .status
            .success()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .output();
    }
}

/// Starts `chami demo --nodes 64` in a detached 120x40 tmux session with its own XDG dirs.
fn start_demo(tag: &str) -> (Session, tempfile::TempDir) {
    start_demo_with(tag, "", "", |_| ())
}

/// The same, with environment variables (`{home}` is the demo's home), more arguments for
/// `chami demo`, and files written into its home first.
fn start_demo_with(
    tag: &str,
    env: &str,
    extra: &str,
    prepare: impl FnOnce(&std::path::Path),
) -> (Session, tempfile::TempDir) {
    let has_tmux = Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        has_tmux,
        "tmux is not installed (apt-get install tmux); this test needs it"
    );
    let home = tempfile::tempdir().expect("tmp");
    prepare(home.path());
    let env = env.replace("{home}", &home.path().display().to_string());
    let bin = env!("CARGO_BIN_EXE_chami");
    let name = format!("chami-{tag}-{}", std::process::id());
    let cmd = format!(
        "env -u NO_COLOR -u VISUAL XDG_STATE_HOME={h}/state XDG_CONFIG_HOME={h}/config {env} {bin} demo --nodes 64 --power-delay-ms 500 {extra}",
        h = home.path().display()
    );
    let s = Session { name };
    let out = s.tmux(&[
        "new-session",
        "-d",
        "-s",
        &s.name,
        "-x",
        "120",
        "-y",
        "40",
        &cmd,
    ]);
    assert!(out.status.success(), "tmux new-session: {out:?}");
    (s, home)
}

#[test]
#[ignore = "needs tmux: .ci/run installs it and runs this with --ignored"]
fn demo_filter_mark_detail_help_quit() {
    let (s, home) = start_demo("e2e");

    let first = s.wait_for("the inventory", 60, |t| {
        t.contains("● connected") && t.contains("x1000c0s0b0n0")
    });
    assert!(first.contains("96/96"), "64 nodes and 32 BMCs:\n{first}");

    s.keys(&["/", "state=off", "Enter"]);
    let filtered = s.wait_for("the filter", 10, |t| t.contains("/state=off"));
    let rows: Vec<&str> = filtered.lines().filter(|l| l.contains("x1000c")).collect();
    assert!(!rows.is_empty(), "{filtered}");
    assert!(
        rows.iter().all(|r| r.contains("Off")),
        "only Off rows:\n{filtered}"
    );

    s.keys(&["Space"]);
    s.wait_for("a mark", 10, |t| t.contains("marks:1"));

    s.keys(&["Enter"]);
    let detail = s.wait_for("the node detail", 20, |t| {
        t.contains("Membership") && t.contains("Hardware")
    });
    assert!(
        detail.contains("Serial"),
        "hardware from the demo's Redfish data:\n{detail}"
    );
    // At its end, the power state its simulated BMC reports (the filter showed Off nodes).
    s.keys(&["End"]);
    let power = s.wait_for("the detail's power section", 20, |t| {
        t.contains("Management") && t.contains("available")
    });
    let after: Vec<&str> = power.lines().skip_while(|l| l.trim() != "Power").collect();
    assert!(
        after
            .get(1)
            .is_some_and(|l| l.contains("State") && l.contains("Off")),
        "{power}"
    );

    s.keys(&["Escape", "?"]);
    s.wait_for("the help overlay", 10, |t| {
        t.contains("help") && t.contains("mark all filtered rows")
    });

    s.keys(&["Escape", ":", "groups", "Enter"]);
    s.wait_for("the groups list", 10, |t| {
        t.contains("LABEL") && t.contains("batch")
    });
    s.keys(&["Enter"]);
    s.wait_for("the inventory filtered by group", 10, |t| {
        t.contains("/group=arm")
    });

    // Discovery of the first BMC from :endpoints, followed to its outcome.
    s.keys(&["Escape", ":", "endpoints", "Enter"]);
    s.wait_for("the endpoints list", 10, |t| {
        t.contains("DISCOVERY") && t.contains("x1000c0s0b0 ")
    });
    s.keys(&["D"]);
    s.wait_for("the discovery's outcome", 30, |t| {
        t.contains("discovery of x1000c0s0b0: DiscoverOK")
    });

    s.keys(&["Escape", "q"]);
    let deadline = Instant::now() + Duration::from_secs(15);
    while s.alive() {
        assert!(Instant::now() < deadline, "q did not quit:\n{}", s.screen());
        std::thread::sleep(Duration::from_millis(100));
    }
    let log =
        std::fs::read_to_string(home.path().join("state/chami/chami.log")).unwrap_or_default();
    assert!(
        log.contains("console started"),
        "the console logs to its file, not the screen: {log:?}"
    );
}

#[test]
#[ignore = "needs tmux: .ci/run installs it and runs this with --ignored"]
fn demo_bulk_hard_restart_followed_live() {
    let (s, _home) = start_demo("power");
    s.wait_for("the inventory", 60, |t| {
        t.contains("● connected · live") && t.contains("x1000c0s0b0n0")
    });
    // Every Ready compute node of the cabinet, marked, Hard-Restart.
    s.keys(&["/", "role=Compute state=Ready x1000c", "Enter"]);
    let filtered = s.wait_for("the filter", 10, |t| {
        t.contains("/role=Compute state=Ready")
    });
    let count = filtered
        .lines()
        .filter(|l| l.contains(" Compute ") && l.contains(" Ready "))
        .count();
    assert!(count > 10, "{filtered}");
    s.keys(&["C-a"]);
    let marked = s.wait_for("marks", 10, |t| !t.contains("marks:0"));
    let n: usize = marked
        .split("marks:")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no mark count:\n{marked}"));
    s.keys(&["p"]);
    s.wait_for("the power menu", 10, |t| {
        t.contains("Hard-Restart") && t.contains("Force-Off")
    });
    s.keys(&["h"]);
    let dialog = s.wait_for("the confirm dialog", 10, |t| t.contains("[ Cancel ]"));
    assert!(
        dialog.contains(&format!("Hard-Restart {n} node(s)")),
        "{dialog}"
    );
    // Enter on the focused Cancel does nothing; then Apply.
    s.keys(&["Enter"]);
    s.wait_for("the dialog closed", 10, |t| !t.contains("[ Cancel ]"));
    s.keys(&["p", "h"]);
    s.wait_for("the confirm dialog again", 10, |t| t.contains("[ Cancel ]"));
    s.keys(&["Tab", "Enter"]);
    let done = s.wait_for("the transition to finish", 60, |t| {
        t.contains("Hard-Restart completed")
    });
    assert!(
        done.contains(&format!("{n} nodes: {n} succeeded, 0 failed")),
        "every node restarted:\n{done}"
    );
    // Back in the inventory, the restarted nodes are On now, so the Ready filter is empty:
    // the rows changed in place from the core's events.
    s.keys(&["Escape"]);
    s.wait_for("the rows to update", 20, |t| t.contains("nodes  0/96"));
    s.keys(&["q"]);
    let deadline = Instant::now() + Duration::from_secs(15);
    while s.alive() {
        assert!(Instant::now() < deadline, "q did not quit:\n{}", s.screen());
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// A free loopback port (bound, then released for the demo to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a loopback port")
        .port()
}

/// `GET path` on the demo's plain-HTTP boot listener, as iPXE would ask; the body.
fn plain_get(port: u16, path: &str) -> String {
    use std::io::{Read, Write};
    let mut c = std::net::TcpStream::connect(("127.0.0.1", port)).expect("boot listener");
    c.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(
        c,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    c.read_to_string(&mut out).expect("an answer");
    out
}

/// The boot half of the scenario: the editor on a group's entry, a kernel parameter added,
/// reviewed and applied; a node of that group boots with it (read over plain HTTP).
#[test]
#[ignore = "needs tmux: .ci/run installs it and runs this with --ignored"]
fn demo_boot_editor_changes_a_group_and_the_node_boots_it() {
    let port = free_port();
    // `E` runs $EDITOR; this one adds a parameter without a terminal.
    let (s, home) = start_demo_with(
        "boot",
        "EDITOR={home}/edit.sh",
        &format!("--boot-http-listen 127.0.0.1:{port}"),
        |h| {
            let script = h.join("edit.sh");
            std::fs::write(
                &script,
                "#!/bin/sh\nsed -i 's/ip=dhcp/ip=dhcp chami.ext=1/' \"$1\"\n",
            )
            .unwrap();
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
        },
    );
    s.wait_for("the inventory", 60, |t| {
        t.contains("● connected · live") && t.contains("x1000c0s0b0n0")
    });
    // An Arm node: it boots from the `arm` group's entry.
    s.keys(&["/", "group=arm", "Enter"]);
    let arm = s.wait_for("the arm nodes", 10, |t| {
        t.contains("/group=arm") || t.lines().any(|l| l.contains(" ARM "))
    });
    let node = arm
        .lines()
        .find(|l| l.contains(" ARM ") && l.contains("Node"))
        .and_then(|l| l.split_whitespace().find(|w| w.starts_with("x1000")))
        .unwrap_or_else(|| panic!("no Arm node on screen:\n{arm}"))
        .to_string();
    let before = plain_get(port, &format!("/boot/v1/bootscript?name={node}"));
    assert!(
        before.contains("console=ttyAMA0") && !before.contains("chami.e2e=1"),
        "{before}"
    );
    s.keys(&[":", "boot", "Enter"]);
    s.wait_for("the boot list", 10, |t| {
        t.contains("Unknown-x86_64") && t.contains("arm ")
    });
    // Sorted: Default, Management, Unknown-x86_64, arm.
    s.keys(&["G", "e"]);
    s.wait_for("the editor", 10, |t| {
        t.contains("boot parameters of arm") && t.contains("3 params: console=ttyAMA0")
    });
    s.keys(&["Down", "Down", "End"]);
    s.keys(&["-l", " chami.e2e=1"]);
    s.wait_for("the edit", 10, |t| t.contains("valid · changed"));
    s.keys(&["C-s"]);
    let review = s.wait_for("the diff", 10, |t| t.contains("Changes against the stored"));
    assert!(review.contains("+ params: console=ttyAMA0"), "{review}");
    s.keys(&["y"]);
    s.wait_for("applied", 15, |t| {
        t.contains("boot parameters for arm applied")
    });
    let after = plain_get(port, &format!("/boot/v1/bootscript?name={node}"));
    assert!(after.contains("chami.e2e=1"), "{after}");
    // The same entry through $EDITOR: the screen comes back with the diff.
    s.keys(&["E"]);
    let review = s.wait_for("the diff after $EDITOR", 15, |t| {
        t.contains("Changes against the stored")
    });
    assert!(review.contains("chami.ext=1"), "{review}");
    s.keys(&["y"]);
    s.wait_for("applied again", 15, |t| {
        t.contains("boot parameters for arm applied")
    });
    let after = plain_get(port, &format!("/boot/v1/bootscript?name={node}"));
    assert!(
        after.contains("chami.e2e=1") && after.contains("chami.ext=1"),
        "{after}"
    );
    drop(home);
    s.keys(&["q"]);
    let deadline = Instant::now() + Duration::from_secs(15);
    while s.alive() {
        assert!(Instant::now() < deadline, "q did not quit:\n{}", s.screen());
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Killing the pane (an ssh session dropping) ends the console instead of leaving it running
/// without a terminal.
#[test]
#[ignore = "needs tmux: .ci/run installs it and runs this with --ignored"]
fn a_hang_up_ends_the_console() {
    let (s, _home) = start_demo("hangup");
    s.wait_for("the inventory", 60, |t| t.contains("x1000c0s0b0n0"));
    let pid = s.tmux(&["display-message", "-p", "-t", &s.name, "#{pane_pid}"]);
    let pid = String::from_utf8_lossy(&pid.stdout).trim().to_string();
    assert!(!pid.is_empty(), "no pane pid");
    assert!(s.tmux(&["kill-session", "-t", &s.name]).status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::path::Path::new(&format!("/proc/{pid}")).exists() {
        assert!(
            Instant::now() < deadline,
            "chami (pid {pid}) still runs after its terminal hung up"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}
