//! Test harness: a core on an ephemeral loopback port over a temp data dir, and an HTTPS client
//! that trusts the data dir's generated CA.
#![allow(dead_code)]

pub mod fleet;

use std::time::Duration;

use chami::server::config::ServeArgs;
use chami::server::{self, Server};
use chami::service::auth::Role;
use chami::service::issuer::MintRequest;
use reqwest::{Method, StatusCode};
use serde_json::Value;

pub struct TestServer {
    pub server: Server,
    pub client: reqwest::Client,
    pub dir: tempfile::TempDir,
    pub admin: String,
    /// The PostgreSQL database this server uses (`None`: SQLite in `dir`).
    pub database_url: Option<String>,
    /// The settings it was started with.
    pub args: ServeArgs,
}

/// With `CHAMI_TEST_DATABASE_URL` set (a PostgreSQL server's URL, `.ci/postgres` prints one),
/// a new empty database on that server for one test; otherwise `None` (SQLite).
pub async fn fresh_database() -> Option<String> {
    use sqlx::Connection;
    use std::sync::atomic::{AtomicU32, Ordering};
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let admin = std::env::var("CHAMI_TEST_DATABASE_URL").ok()?;
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .subsec_nanos();
    let name = format!(
        "chami_t_{}_{}_{nanos}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    );
    let mut conn = sqlx::PgConnection::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("CHAMI_TEST_DATABASE_URL {admin}: {e}"));
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .expect("create a test database");
    let mut url = reqwest::Url::parse(&admin).expect("CHAMI_TEST_DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    Some(url.to_string())
}

/// The `chami` binary with no `CHAMI_*` settings or config file of the caller's.
pub fn chami() -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_chami"));
    for (k, _) in std::env::vars() {
        if k.starts_with("CHAMI_") || k.ends_with("_JWKS_URL") {
            c.env_remove(k);
        }
    }
    c.env("XDG_CONFIG_HOME", "/nonexistent/chami-test-config")
        .env("RUST_LOG", "warn");
    c
}

pub fn loopback() -> std::net::SocketAddr {
    "127.0.0.1:0".parse().expect("loopback address")
}

pub fn client_for(ca_pem: &[u8]) -> reqwest::Client {
    reqwest::Client::builder()
        .use_rustls_tls()
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem).expect("CA pem"))
        .timeout(Duration::from_secs(30))
        .build()
        .expect("client")
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    pub async fn start_with(tweak: impl FnOnce(&mut ServeArgs)) -> TestServer {
        let dir = tempfile::tempdir().expect("tempdir");
        Self::start_in(dir, tweak).await
    }

    pub async fn start_in(
        dir: tempfile::TempDir,
        tweak: impl FnOnce(&mut ServeArgs),
    ) -> TestServer {
        let database_url = fresh_database().await;
        Self::start_on(dir, database_url, tweak).await
    }

    /// A server over `dir` and, when given, the PostgreSQL database `database_url`.
    pub async fn start_on(
        dir: tempfile::TempDir,
        database_url: Option<String>,
        tweak: impl FnOnce(&mut ServeArgs),
    ) -> TestServer {
        let mut args = ServeArgs::for_data_dir(dir.path().to_path_buf(), loopback());
        args.database_url = database_url.clone();
        tweak(&mut args);
        Self::start_args(dir, args).await
    }

    /// A server over `dir` with exactly these settings.
    pub async fn start_args(dir: tempfile::TempDir, args: ServeArgs) -> TestServer {
        let database_url = args.database_url.clone();
        let server = server::start(&args).await.expect("server starts");
        let ca = std::fs::read(server.ca.as_ref().expect("generated CA")).expect("read CA");
        let client = client_for(&ca);
        let admin = mint(&server, "test-admin", &[Role::Admin]);
        TestServer {
            server,
            client,
            dir,
            admin,
            database_url,
            args,
        }
    }

    /// Stops the server and starts a new one with the same settings (data dir, database).
    pub async fn restart(self) -> TestServer {
        let TestServer {
            server, dir, args, ..
        } = self;
        server.shutdown().await.expect("clean shutdown");
        // A new port: the old one may linger.
        let mut args = args;
        args.listen = loopback();
        Self::start_args(dir, args).await
    }

    pub fn token(&self, sub: &str, roles: &[Role]) -> String {
        mint(&self.server, sub, roles)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.server.url(), path)
    }

    /// Sends a request with an optional bearer token and JSON body; returns status and body
    /// (JSON, or a string when the body is not JSON, or null when empty).
    pub async fn call(
        &self,
        method: Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = self.client.request(method, self.url(path));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp = req.send().await.expect("request sent");
        read(resp).await
    }

    pub async fn raw(&self, method: Method, path: &str, body: &'static str) -> (StatusCode, Value) {
        let resp = self
            .client
            .request(method, self.url(path))
            .bearer_auth(&self.admin)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("request sent");
        read(resp).await
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, Some(&self.admin.clone()), None)
            .await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(&self.admin.clone()), Some(body))
            .await
    }

    pub async fn put(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PUT, path, Some(&self.admin.clone()), Some(body))
            .await
    }

    pub async fn patch(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::PATCH, path, Some(&self.admin.clone()), Some(body))
            .await
    }

    pub async fn delete(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::DELETE, path, Some(&self.admin.clone()), None)
            .await
    }

    /// IDs of the components a GET on `path` returns, in order.
    pub async fn ids(&self, path: &str) -> Vec<String> {
        let (status, body) = self.get(path).await;
        assert_eq!(status, StatusCode::OK, "GET {path}: {body}");
        body["Components"]
            .as_array()
            .expect("Components array")
            .iter()
            .map(|c| c["ID"].as_str().expect("ID").to_string())
            .collect()
    }
}

pub fn mint(server: &Server, sub: &str, roles: &[Role]) -> String {
    mint_for(server, sub, roles, None)
}

/// A token for `sub` with `roles`, administering `tenant` when given.
pub fn mint_for(server: &Server, sub: &str, roles: &[Role], tenant: Option<&str>) -> String {
    server
        .issuer
        .mint(&MintRequest {
            subject: sub.into(),
            roles: roles.to_vec(),
            tenant: tenant.map(str::to_string),
            ttl: Duration::from_secs(600),
        })
        .expect("mint")
}

pub async fn read(resp: reqwest::Response) -> (StatusCode, Value) {
    let status = resp.status();
    let text = resp.text().await.expect("body");
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or(Value::String(text))
    };
    (status, body)
}

/// Asserts a problem+json error with `status` whose detail contains `needle`.
pub fn assert_problem(got: &(StatusCode, Value), status: StatusCode, needle: &str) {
    assert_eq!(got.0, status, "body: {}", got.1);
    assert_eq!(
        got.1["status"],
        status.as_u16(),
        "problem status: {}",
        got.1
    );
    assert_eq!(got.1["type"], "about:blank", "problem type: {}", got.1);
    let detail = got.1["detail"].as_str().unwrap_or_default();
    assert!(
        detail.contains(needle),
        "detail {detail:?} should contain {needle:?}"
    );
}
