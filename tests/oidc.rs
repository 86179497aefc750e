//! chami against a real OpenID Provider: oidc-provider (npm, an OpenID-certified provider)
//! on loopback issues client-credentials JWT access tokens, and `chami serve --jwks-url
//! --issuer --audience` trusts it: its tokens work with roles mapped from their scopes; a
//! token for another audience, an expired one, and one signed by a key the IdP does not hold
//! are refused; a key rotation at the IdP is picked up without restarting chami.
//!
//! Needs node and `npm install oidc-provider@9` in the directory `CHAMI_OIDC_PROVIDER` names;
//! `.ci/run` installs both and runs this with `--ignored`.

mod common;

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::TestServer;
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const AUDIENCE: &str = "https://chami.test/api";
const COMPONENTS: &str = "/hsm/v2/State/Components";
const OPS: (&str, &str) = ("ops", "ops-secret-ops-secret-ops-secret");
const BRIEF: (&str, &str) = ("brief", "brief-secret-brief-secret-brief");

/// The IdP process, stopped on drop.
struct Idp {
    child: Child,
    port: u16,
}

impl Drop for Idp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Idp {
    /// Starts the IdP on `port` with a new signing key named `kid`; waits (at most 30 s) for
    /// it to say it is ready.
    fn start(port: u16, kid: &str) -> Idp {
        let dir = std::env::var("CHAMI_OIDC_PROVIDER").unwrap_or_else(|_| {
            panic!(
                "CHAMI_OIDC_PROVIDER is not set: name a directory where \
                 `npm install oidc-provider@9` ran (.ci/run does this)"
            )
        });
        let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/oidc/idp.mjs");
        let mut child = Command::new("node")
            .arg(script)
            .arg(port.to_string())
            .arg(kid)
            .env("OIDC_PROVIDER_DIR", &dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start node (needed for oidc-provider): {e}"));
        let stdout = child.stdout.take().expect("stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let idp = Idp { child, port };
        loop {
            match rx.recv_timeout(Duration::from_secs(30)) {
                Ok(line) if line.starts_with("ready ") => return idp,
                Ok(_) => {}
                Err(e) => panic!("oidc-provider did not get ready on port {port}: {e}"),
            }
        }
    }

    fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// A client-credentials access token for `scope` and `resource` (the audience).
    async fn token(&self, client: (&str, &str), scope: &str, resource: &str) -> String {
        let resp = reqwest::Client::new()
            .post(format!("{}/token", self.issuer()))
            .basic_auth(client.0, Some(client.1))
            .form(&[
                ("grant_type", "client_credentials"),
                ("scope", scope),
                ("resource", resource),
            ])
            .send()
            .await
            .expect("token request");
        let status = resp.status();
        let body: Value = resp.json().await.expect("token JSON");
        assert_eq!(status, StatusCode::OK, "{body}");
        body["access_token"]
            .as_str()
            .expect("access_token")
            .to_string()
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    l.local_addr().expect("addr").port()
}

/// The 401's detail, asserting it is one.
async fn refused(t: &TestServer, token: &str) -> String {
    let (status, body) = t.call(Method::GET, COMPONENTS, Some(token), None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
    body["detail"].as_str().unwrap_or_default().to_string()
}

/// A token with the IdP's issuer, audience and key id, signed by a key the IdP does not hold.
fn forged(issuer: &str, kid: &str) -> String {
    let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
    let enc = jsonwebtoken::EncodingKey::from_ec_pem(key.serialize_pem().as_bytes()).expect("pem");
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some(kid.to_string());
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs();
    let claims = json!({"iss": issuer, "aud": AUDIENCE, "sub": "mallory", "iat": now,
                        "exp": now + 300, "scope": "admin", "client_id": "ops"});
    jsonwebtoken::encode(&header, &claims, &enc).expect("sign")
}

#[tokio::test]
#[ignore = "needs node and oidc-provider from npm; .ci/run installs them and runs this with --ignored"]
async fn a_real_idps_tokens_are_trusted_checked_and_rotated() {
    let port = free_port();
    let idp = Idp::start(port, "k1");
    let issuer = idp.issuer();
    let t = TestServer::start_with(|a| {
        a.jwks_urls = vec![format!("{issuer}/jwks")];
        a.issuers = vec![issuer.clone()];
        a.audiences = vec![AUDIENCE.into()];
        // Expiry is checked to the second.
        a.clock_skew = 0;
    })
    .await;
    let write = json!({"Components": [{"ID": "x1000c0s0b0n0", "State": "Ready"}]});

    // Scopes map to roles: admin writes inventory; read only reads.
    let admin = idp.token(OPS, "admin", AUDIENCE).await;
    let (status, body) = t
        .call(Method::POST, COMPONENTS, Some(&admin), Some(write.clone()))
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    let reader = idp.token(BRIEF, "read", AUDIENCE).await;
    let (status, body) = t.call(Method::GET, COMPONENTS, Some(&reader), None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["Components"][0]["ID"], "x1000c0s0b0n0");
    let (status, body) = t
        .call(Method::POST, COMPONENTS, Some(&reader), Some(write.clone()))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["detail"]
            .as_str()
            .unwrap_or_default()
            .contains("viewer"),
        "{body}"
    );

    // A token the same IdP issued for another service.
    let elsewhere = idp.token(OPS, "admin", "https://other.test/api").await;
    let why = refused(&t, &elsewhere).await;
    assert!(why.contains("audience"), "{why}");

    // "brief" tokens live one second.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let why = refused(&t, &reader).await;
    assert!(why.contains("expired"), "{why}");

    // The IdP's issuer, audience and key id, but not its key.
    let why = refused(&t, &forged(&issuer, "k1")).await;
    assert!(why.contains("signature"), "{why}");

    // Rotation: the IdP restarts with a new key (k2); chami is not restarted.
    drop(idp);
    let idp = Idp::start(port, "k2");
    let rotated = idp.token(OPS, "admin", AUDIENCE).await;
    // Refreshes on an unknown kid are at most one per 5 s; bounded wait.
    let mut status = StatusCode::UNAUTHORIZED;
    for _ in 0..24 {
        status = t
            .call(Method::GET, COMPONENTS, Some(&rotated), None)
            .await
            .0;
        if status == StatusCode::OK {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(status, StatusCode::OK, "the rotated key was not picked up");
    // The old key is gone from the IdP: its tokens no longer verify once the set is re-read.
    let why = refused(&t, &admin).await;
    assert!(
        why.contains("not trusted") || why.contains("signature"),
        "{why}"
    );
}
