//! The `chami` binary itself: `serve` starts, answers over HTTPS with a token from
//! `token mint`, and exits cleanly on SIGTERM; bad settings fail with a clear message.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::chami;
use reqwest::StatusCode;

/// Starts `chami serve` with `args`; returns the child and the first stderr line, which
/// names the URL (and the CA when the core made its own).
fn spawn_serve(args: &[&str]) -> (std::process::Child, String, String) {
    let mut child = chami()
        .arg("serve")
        .args(["--listen", "127.0.0.1:0"])
        .args(args)
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn chami serve");
    let stderr = child.stderr.take().expect("stderr");
    // The URL line, after any start-up warnings (a data dir others can read, say).
    let line = BufReader::new(stderr)
        .lines()
        .take(20)
        .map(|l| l.expect("utf-8"))
        .find(|l| l.contains("https://"))
        .expect("a line with the URL");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("https://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_string();
    (child, url, line)
}

/// Sends `signal` to the child (via kill(1)).
fn signal(child: &std::process::Child, signal: &str) {
    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args([signal, &pid])
        .status()
        .expect("kill")
        .success());
}

#[tokio::test]
async fn serve_answers_minted_tokens_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().to_str().expect("utf-8 path");
    let (mut child, url, line) = spawn_serve(&["--data-dir", data]);
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

    signal(&child, "-TERM");
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

    // The console's --server before a command would be ignored: refused, naming where it goes.
    let out = chami()
        .args(["--server", "https://127.0.0.1:1", "nodes", "list"])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--server before 'nodes'"), "{err}");
}

/// A CA and a server certificate for 127.0.0.1 signed by it, written to `dir/<name>-*.pem`.
fn operator_cert(dir: &std::path::Path, name: &str) -> (Vec<u8>, String, String) {
    use rcgen::{BasicConstraints, CertificateParams, IsCa, KeyPair};
    let ca_key = KeyPair::generate().expect("ca key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, format!("{name} CA"));
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    let ca = ca_params.self_signed(&ca_key).expect("ca cert");
    let key = KeyPair::generate().expect("key");
    let cert = CertificateParams::new(vec!["127.0.0.1".to_string()])
        .expect("params")
        .signed_by(&key, &ca, &ca_key)
        .expect("cert");
    let cert_path = dir.join(format!("{name}-cert.pem"));
    let key_path = dir.join(format!("{name}-key.pem"));
    std::fs::write(&cert_path, cert.pem()).expect("write cert");
    std::fs::write(&key_path, key.serialize_pem()).expect("write key");
    (
        ca.pem().into_bytes(),
        cert_path.display().to_string(),
        key_path.display().to_string(),
    )
}

async fn trusted_by(ca: &[u8], url: &str) -> bool {
    // A new client each time: a fresh TLS handshake sees the current certificate.
    common::client_for(ca)
        .get(format!("{url}/healthz"))
        .send()
        .await
        .is_ok()
}

#[tokio::test]
async fn operator_certificates_are_used_and_reloaded_on_sighup() {
    let dir = tempfile::tempdir().expect("tmp");
    let (ca1, cert, key) = operator_cert(dir.path(), "first");
    let data = dir.path().join("data");
    let data = data.to_str().expect("utf-8");
    let (mut child, url, _) =
        spawn_serve(&["--data-dir", data, "--tls-cert", &cert, "--tls-key", &key]);
    assert!(
        trusted_by(&ca1, &url).await,
        "serves the operator's certificate"
    );
    assert!(
        !dir.path().join("data/ca.pem").exists(),
        "no CA of its own is made"
    );

    // Renewal: a certificate from another CA replaces the files, then SIGHUP.
    let (ca2, cert2, key2) = operator_cert(dir.path(), "second");
    std::fs::copy(&cert2, &cert).expect("replace cert");
    std::fs::copy(&key2, &key).expect("replace key");
    signal(&child, "-HUP");
    let mut reloaded = false;
    for _ in 0..50 {
        if trusted_by(&ca2, &url).await {
            reloaded = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(reloaded, "the renewed certificate was not picked up");
    assert!(!trusted_by(&ca1, &url).await, "the old certificate is gone");
    signal(&child, "-TERM");
    assert!(child.wait().expect("wait").success());
}

#[tokio::test]
async fn config_file_settings_apply_below_flags() {
    let dir = tempfile::tempdir().expect("tmp");
    let data = dir.path().join("from-file");
    let config = dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[serve]\ndata-dir = \"{}\"\nlisten = \"127.0.0.1:1\"\n",
            data.display()
        ),
    )
    .expect("write config");
    let config = config.to_str().expect("utf-8");
    // --listen on the command line beats the file's; data-dir comes from the file.
    let (mut child, url, line) = spawn_serve(&["--config", config]);
    assert!(!url.ends_with(":1"), "flag wins: {url}");
    assert!(
        line.contains(&format!("{}/ca.pem", data.display())),
        "{line}"
    );
    signal(&child, "-TERM");
    assert!(child.wait().expect("wait").success());

    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[serve]\nlisen = \"x\"\n").expect("write");
    let out = chami()
        .args(["serve", "--config", bad.to_str().expect("utf-8")])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml: unknown setting [serve] lisen"),
        "{err}"
    );
}

#[test]
fn console_startup_errors_are_named_before_the_screen_is_taken() {
    // --server without a token.
    let out = chami()
        .args(["--server", "https://127.0.0.1:9"])
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--server needs a token"), "{err}");

    // A token file that does not exist.
    let out = chami()
        .args([
            "--server",
            "https://127.0.0.1:9",
            "--token-file",
            "/nonexistent/tok",
        ])
        .output()
        .expect("run");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("cannot read --token-file /nonexistent/tok"),
        "{err}"
    );

    // An unknown theme, for the console and for the demo.
    for args in [&["--theme", "neon"][..], &["demo", "--theme", "neon"][..]] {
        let out = chami().args(args).output().expect("run");
        assert!(!out.status.success());
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("unknown theme 'neon'"), "{args:?}: {err}");
    }
}

/// Completions and manual pages come from the parser's own definition: every command is in
/// them, and a bad shell name is a usage error.
#[test]
fn completions_and_manual_pages_name_every_command() {
    let out = chami().args(["completions", "bash"]).output().expect("run");
    assert!(out.status.success(), "{out:?}");
    let bash = String::from_utf8(out.stdout).expect("utf-8");
    assert!(bash.contains("_chami()"), "a bash completion function");
    for word in [
        "serve",
        "demo",
        "nodes",
        "power",
        "tenants",
        "set-state",
        "--server",
    ] {
        assert!(bash.contains(word), "bash completion lacks {word}");
    }
    let out = chami().args(["completions", "zsh"]).output().expect("run");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("#compdef chami"));
    let out = chami().args(["completions", "tcsh"]).output().expect("run");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid value 'tcsh'"));

    let out = chami().arg("man").output().expect("run");
    assert!(out.status.success(), "{out:?}");
    let page = String::from_utf8(out.stdout).expect("utf-8");
    assert!(page.contains(".TH chami 1"), "{page}");
    assert!(
        page.contains("serve") && page.contains("\\-\\-server"),
        "{page}"
    );

    let dir = tempfile::tempdir().expect("tmp");
    let out = chami()
        .args(["man", "--out-dir"])
        .arg(dir.path())
        .output()
        .expect("run");
    assert!(out.status.success(), "{out:?}");
    for page in [
        "chami.1",
        "chami-serve.1",
        "chami-power-on.1",
        "chami-token-mint.1",
    ] {
        let text = std::fs::read_to_string(dir.path().join(page))
            .unwrap_or_else(|e| panic!("{page}: {e}"));
        assert!(text.contains(".TH"), "{page} is roff");
    }
}
