//! The `chami` binary itself: `serve` starts, answers over HTTPS with a token from
//! `token mint`, and exits cleanly on SIGTERM; bad settings fail with a clear message.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use reqwest::StatusCode;

fn chami() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_chami"));
    c.env_remove("CHAMI_DATA_DIR").env("RUST_LOG", "warn");
    c
}

#[tokio::test]
async fn serve_answers_minted_tokens_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().to_str().expect("utf-8 path");
    let mut child = chami()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir", data])
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn chami serve");
    // The first line on stderr names the URL and the CA.
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let line = lines.next().expect("a line").expect("utf-8");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("https://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_string();
    assert!(line.contains("ca.pem"), "CA path printed: {line}");

    let out = chami()
        .args([
            "token",
            "mint",
            "--sub",
            "ops",
            "--role",
            "viewer",
            "--ttl",
            "5m",
            "--data-dir",
            data,
        ])
        .output()
        .expect("token mint");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout)
        .expect("utf-8")
        .trim()
        .to_string();

    let ca = std::fs::read(dir.path().join("ca.pem")).expect("ca");
    let client = common::client_for(&ca);
    let resp = client
        .get(format!("{url}/hsm/v2/State/Components"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("request");
    assert_eq!(resp.status(), StatusCode::OK);

    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill")
        .success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(s) = child.try_wait().expect("wait") {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "chami serve did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(status.success(), "exit status {status}");
}

#[test]
fn bad_settings_fail_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().to_str().expect("utf-8 path");
    let out = chami()
        .args([
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
            data,
            "--tls-cert",
            "/nonexistent/c.pem",
            "--tls-key",
            "/nonexistent/k.pem",
        ])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/c.pem"), "{err}");

    let out = chami()
        .args([
            "token",
            "mint",
            "--sub",
            "x",
            "--role",
            "wizard",
            "--data-dir",
            data,
        ])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2), "usage error");
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown role 'wizard'"));

    let out = chami()
        .args(["serve", "--clock-skew", "900", "--data-dir", data])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
}
