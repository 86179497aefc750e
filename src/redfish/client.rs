//! The Redfish client: the only code that talks to BMCs. One HTTPS connection pool per trust
//! setting, so calls to the same BMC reuse their connection; per-endpoint timeouts; basic auth
//! or a Redfish session; every error names the BMC and says what went wrong.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::histogram::{Series, Totals};

/// Default time a BMC gets to answer one request.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);

/// How to reach and trust one BMC.
#[derive(Debug, Clone)]
pub struct Endpoint {
    /// `https://host[:port]`.
    pub base: String,
    /// User name.
    pub user: String,
    /// Password.
    pub password: String,
    /// CA (PEM) that signed the BMC's certificate; `None` uses the system roots.
    pub ca_pem: Option<Arc<Vec<u8>>>,
    /// Accept any certificate (self-signed BMCs); off unless asked for.
    pub insecure: bool,
    /// Time allowed per request.
    pub timeout: Duration,
    /// Log in with a Redfish session instead of sending basic auth on every call.
    pub session: bool,
}

impl Endpoint {
    /// An endpoint with defaults: system roots, 10 s timeout, basic auth.
    pub fn new(base: &str, user: &str, password: &str) -> Endpoint {
        Endpoint {
            base: base.trim_end_matches('/').to_string(),
            user: user.into(),
            password: password.into(),
            ca_pem: None,
            insecure: false,
            timeout: DEFAULT_TIMEOUT,
            session: false,
        }
    }
}

/// What went wrong talking to a BMC.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// No answer within the timeout.
    Timeout,
    /// Could not connect: the request was never sent.
    Connect,
    /// The connection broke after the request was sent (the BMC may have acted on it).
    Broken,
    /// The TLS handshake failed (untrusted or wrong certificate).
    Tls,
    /// Credentials refused.
    Auth,
    /// An HTTP error status.
    Status(u16),
    /// The answer was not the JSON expected.
    Decode,
}

/// A failed Redfish call, naming the BMC and the URL.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{url}: {message}")]
pub struct RedfishError {
    /// The kind of failure.
    pub kind: ErrorKind,
    /// The URL called.
    pub url: String,
    /// What happened, in words.
    pub message: String,
}

impl RedfishError {
    /// Whether trying again later may succeed (timeouts, broken connections, 5xx, 429).
    pub fn is_transient(&self) -> bool {
        match self.kind {
            ErrorKind::Timeout | ErrorKind::Connect | ErrorKind::Broken => true,
            ErrorKind::Status(s) => s >= 500 || s == 429,
            ErrorKind::Tls | ErrorKind::Auth | ErrorKind::Decode => false,
        }
    }

    /// Whether the failure proves the BMC did not act on the request, so even an action that
    /// must not run twice (a reset) may be sent again: no connection was made, the TLS
    /// handshake failed, or the BMC answered that it is busy (503, 429) without taking the
    /// request.
    pub fn did_not_act(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Connect | ErrorKind::Tls | ErrorKind::Status(503 | 429)
        )
    }

    /// Whether the BMC may have acted although the call failed: no answer in time, the
    /// connection broke after the request went out, or an answer that cannot be read.
    pub fn may_have_acted(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Timeout | ErrorKind::Broken | ErrorKind::Decode
        ) || matches!(self.kind, ErrorKind::Status(s) if s >= 500 && s != 503)
    }
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct PoolKey {
    ca: Option<Vec<u8>>,
    insecure: bool,
}

/// Talks Redfish to any number of BMCs; cheap to clone.
#[derive(Clone, Default)]
pub struct RedfishClient {
    pools: Arc<Mutex<HashMap<PoolKey, reqwest::Client>>>,
    sessions: Arc<Mutex<HashMap<String, String>>>,
    calls: Arc<RwLock<HashMap<(reqwest::Method, &'static str), Series>>>,
}

impl ErrorKind {
    /// The outcome label of a failed call.
    fn outcome(&self) -> &'static str {
        match self {
            ErrorKind::Timeout => "timeout",
            ErrorKind::Connect => "connect",
            ErrorKind::Broken => "broken",
            ErrorKind::Tls => "tls",
            ErrorKind::Auth => "auth",
            ErrorKind::Status(s) if *s >= 500 => "status_5xx",
            ErrorKind::Status(_) => "status_4xx",
            ErrorKind::Decode => "decode",
        }
    }
}

/// A system's power state as Redfish reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PowerState {
    /// On.
    On,
    /// Off.
    Off,
    /// PoweringOn.
    PoweringOn,
    /// PoweringOff.
    PoweringOff,
    /// Anything else.
    Unknown,
}

impl PowerState {
    /// Reads Redfish's `PowerState`.
    pub fn parse(s: &str) -> PowerState {
        match s {
            "On" => PowerState::On,
            "Off" => PowerState::Off,
            "PoweringOn" => PowerState::PoweringOn,
            "PoweringOff" => PowerState::PoweringOff,
            _ => PowerState::Unknown,
        }
    }
}

fn classify(url: &str, e: &reqwest::Error) -> RedfishError {
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    let lower = text.to_ascii_lowercase();
    let (kind, message) = if e.is_timeout() {
        (
            ErrorKind::Timeout,
            "no answer within the timeout".to_string(),
        )
    } else if lower.contains("certificate") || lower.contains("tls") || lower.contains("handshake")
    {
        (ErrorKind::Tls, format!("TLS failed: {text}"))
    } else if e.is_connect() {
        (ErrorKind::Connect, format!("connection failed: {text}"))
    } else if e.is_decode() {
        (ErrorKind::Decode, format!("answer is not JSON: {text}"))
    } else {
        // The request may have reached the BMC before the connection broke.
        (
            ErrorKind::Broken,
            format!("connection broke before the answer: {text}"),
        )
    };
    RedfishError {
        kind,
        url: url.to_string(),
        message,
    }
}

/// The Redfish error message in a body, or the start of the body.
fn body_message(text: &str) -> String {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
        .unwrap_or_else(|| text.chars().take(200).collect())
}

impl RedfishClient {
    /// A client with no connections yet.
    pub fn new() -> RedfishClient {
        RedfishClient::default()
    }

    /// Counts one call to a BMC (each HTTP exchange, retries and session logins included).
    fn count(&self, method: &reqwest::Method, outcome: &'static str, took: Duration) {
        let key = (method.clone(), outcome);
        {
            let calls = self.calls.read().unwrap_or_else(|p| p.into_inner());
            if let Some(s) = calls.get(&key) {
                s.record(took);
                return;
            }
        }
        self.calls
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key)
            .or_default()
            .record(took);
    }

    /// Latency of the calls made so far, by (method, outcome), sorted.
    pub fn call_stats(&self) -> Vec<((String, &'static str), Totals)> {
        let calls = self.calls.read().unwrap_or_else(|p| p.into_inner());
        let mut out: Vec<((String, &'static str), Totals)> = calls
            .iter()
            .map(|((m, o), s)| {
                let mut t = Totals::default();
                t.add(s);
                ((m.to_string(), *o), t)
            })
            .collect();
        out.sort_by(|a, b| a.0.cmp(&b.0));
        out
    }

    fn pool(&self, ep: &Endpoint) -> Result<reqwest::Client, RedfishError> {
        let key = PoolKey {
            ca: ep.ca_pem.as_ref().map(|c| c.to_vec()),
            insecure: ep.insecure,
        };
        let mut pools = self.pools.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = pools.get(&key) {
            return Ok(c.clone());
        }
        let setup = |m: String| RedfishError {
            kind: ErrorKind::Tls,
            url: ep.base.clone(),
            message: m,
        };
        let mut b = reqwest::Client::builder()
            .use_rustls_tls()
            .pool_idle_timeout(Duration::from_secs(90))
            .pool_max_idle_per_host(2);
        if let Some(ca) = &key.ca {
            let cert = reqwest::Certificate::from_pem(ca)
                .map_err(|e| setup(format!("the endpoint's CA is not a PEM certificate: {e}")))?;
            b = b.tls_built_in_root_certs(false).add_root_certificate(cert);
        }
        if key.insecure {
            b = b.danger_accept_invalid_certs(true);
        }
        let client = b
            .build()
            .map_err(|e| setup(format!("cannot set up HTTPS: {e}")))?;
        pools.insert(key, client.clone());
        Ok(client)
    }

    async fn send(
        &self,
        ep: &Endpoint,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(reqwest::StatusCode, String), RedfishError> {
        let url = format!("{}{path}", ep.base);
        let client = self.pool(ep)?;
        for attempt in 0..2 {
            let mut req = client.request(method.clone(), &url).timeout(ep.timeout);
            let token = if ep.session {
                Some(self.session_token(ep, &client).await?)
            } else {
                None
            };
            req = match &token {
                Some(t) => req.header("X-Auth-Token", t),
                None => req.basic_auth(&ep.user, Some(&ep.password)),
            };
            if let Some(b) = body {
                req = req.json(b);
            }
            let started = Instant::now();
            let answer = match req.send().await {
                Ok(resp) => {
                    let status = resp.status();
                    resp.text().await.map(|text| (status, text))
                }
                Err(e) => Err(e),
            };
            let (status, text) = match answer {
                Ok(a) => a,
                Err(e) => {
                    let e = classify(&url, &e);
                    self.count(&method, e.kind.outcome(), started.elapsed());
                    return Err(e);
                }
            };
            let outcome = match status.as_u16() {
                200..=399 => "ok",
                500.. => "status_5xx",
                _ => "status_4xx",
            };
            self.count(&method, outcome, started.elapsed());
            if status == reqwest::StatusCode::UNAUTHORIZED && ep.session && attempt == 0 {
                // The session expired: log in again once.
                self.sessions
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .remove(&ep.base);
                continue;
            }
            if status == reqwest::StatusCode::UNAUTHORIZED
                || status == reqwest::StatusCode::FORBIDDEN
            {
                return Err(RedfishError {
                    kind: ErrorKind::Auth,
                    url,
                    message: format!(
                        "the BMC refused the credentials of user '{}' ({status})",
                        ep.user
                    ),
                });
            }
            if !status.is_success() {
                return Err(RedfishError {
                    kind: ErrorKind::Status(status.as_u16()),
                    url,
                    message: format!("{status}: {}", body_message(&text)),
                });
            }
            return Ok((status, text));
        }
        Err(RedfishError {
            kind: ErrorKind::Auth,
            url,
            message: "the BMC refused a fresh session".into(),
        })
    }

    async fn session_token(
        &self,
        ep: &Endpoint,
        client: &reqwest::Client,
    ) -> Result<String, RedfishError> {
        if let Some(t) = self
            .sessions
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&ep.base)
        {
            return Ok(t.clone());
        }
        let url = format!("{}/redfish/v1/SessionService/Sessions", ep.base);
        let started = Instant::now();
        let resp = client
            .post(&url)
            .timeout(ep.timeout)
            .json(&json!({"UserName": ep.user, "Password": ep.password}))
            .send()
            .await
            .map_err(|e| classify(&url, &e));
        let outcome = match &resp {
            Ok(r) if r.status().is_success() => "ok",
            Ok(r) if r.status().is_server_error() => "status_5xx",
            Ok(_) => "status_4xx",
            Err(e) => e.kind.outcome(),
        };
        self.count(&reqwest::Method::POST, outcome, started.elapsed());
        let resp = resp?;
        let status = resp.status();
        let token = resp
            .headers()
            .get("x-auth-token")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        match (status.is_success(), token) {
            (true, Some(t)) => {
                self.sessions
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(ep.base.clone(), t.clone());
                Ok(t)
            }
            (true, None) => Err(RedfishError {
                kind: ErrorKind::Auth,
                url,
                message: "session created without an X-Auth-Token".into(),
            }),
            (false, _) => Err(RedfishError {
                kind: if status.as_u16() == 401 {
                    ErrorKind::Auth
                } else {
                    ErrorKind::Status(status.as_u16())
                },
                url,
                message: format!("session login refused for user '{}' ({status})", ep.user),
            }),
        }
    }

    /// GETs a resource as JSON.
    pub async fn get(&self, ep: &Endpoint, path: &str) -> Result<Value, RedfishError> {
        let (_, text) = self.send(ep, reqwest::Method::GET, path, None).await?;
        serde_json::from_str(&text).map_err(|e| RedfishError {
            kind: ErrorKind::Decode,
            url: format!("{}{path}", ep.base),
            message: format!("answer is not JSON: {e}"),
        })
    }

    /// PATCHes a resource with a JSON body.
    pub async fn patch(&self, ep: &Endpoint, path: &str, body: &Value) -> Result<(), RedfishError> {
        self.send(ep, reqwest::Method::PATCH, path, Some(body))
            .await
            .map(|_| ())
    }

    /// The `@odata.id` of every member of a collection.
    pub async fn members(&self, ep: &Endpoint, path: &str) -> Result<Vec<String>, RedfishError> {
        let v = self.get(ep, path).await?;
        Ok(v["Members"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|m| m["@odata.id"].as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default())
    }

    /// The service root.
    pub async fn service_root(&self, ep: &Endpoint) -> Result<Value, RedfishError> {
        self.get(ep, "/redfish/v1/").await
    }

    /// A system's power state.
    pub async fn power_state(
        &self,
        ep: &Endpoint,
        system: &str,
    ) -> Result<PowerState, RedfishError> {
        let v = self.get(ep, system).await?;
        Ok(PowerState::parse(v["PowerState"].as_str().unwrap_or("")))
    }

    /// `ComputerSystem.Reset` with `reset_type` at `target` (the action's target URI).
    pub async fn reset(
        &self,
        ep: &Endpoint,
        target: &str,
        reset_type: &str,
    ) -> Result<(), RedfishError> {
        self.send(
            ep,
            reqwest::Method::POST,
            target,
            Some(&json!({"ResetType": reset_type})),
        )
        .await
        .map(|_| ())
    }

    /// Polls a system until it reports `want`, every `every`, for at most `within`.
    pub async fn wait_for_power(
        &self,
        ep: &Endpoint,
        system: &str,
        want: PowerState,
        every: Duration,
        within: Duration,
    ) -> Result<(), RedfishError> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let now = self.power_state(ep, system).await?;
            if now == want {
                return Ok(());
            }
            if tokio::time::Instant::now() + every > deadline {
                return Err(RedfishError {
                    kind: ErrorKind::Timeout,
                    url: format!("{}{system}", ep.base),
                    message: format!(
                        "power state is still {now:?} after {} s, expected {want:?}",
                        within.as_secs()
                    ),
                });
            }
            tokio::time::sleep(every).await;
        }
    }
}
