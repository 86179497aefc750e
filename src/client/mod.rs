//! A typed HTTPS client of chami's own API (reqwest + rustls). The faces (console, CLI) reach
//! the core only through this, whether it runs in-process or on another machine.

pub mod boot;
pub mod bulk;
pub mod caps;
pub mod events;
pub mod inventory;
pub mod power;
pub mod rows;
pub mod tenants;

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::model::component::Component;
use crate::model::discovery::{ComponentEndpoint, Hardware};
use crate::model::ethernet::EthInterface;
use crate::model::group::{Group, Membership, Partition};
use crate::model::redfish::RedfishEndpoint;

/// How long one request may take before it is reported as failed.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// Why a call failed, in words for an operator.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientError {
    /// The core could not be reached (refused, timed out, TLS failed).
    #[error("cannot reach {url}: {detail}")]
    Unreachable {
        /// The core's base URL.
        url: String,
        /// What went wrong.
        detail: String,
    },
    /// The core answered with an error (the problem's detail, or the body).
    #[error("{status}: {detail}")]
    Api {
        /// HTTP status.
        status: u16,
        /// The problem detail.
        detail: String,
    },
    /// The answer could not be read.
    #[error("unexpected answer from the core: {0}")]
    Decode(String),
    /// The client could not be set up (bad CA file, bad URL).
    #[error("{0}")]
    Setup(String),
    /// A task the core runs did not end within the wait.
    #[error("{0}")]
    Timeout(String),
}

/// `s` form-encoded, for a path segment or a query value.
pub fn enc(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

/// A client for one core, with one bearer token.
#[derive(Clone)]
pub struct Client {
    http: reqwest::Client,
    base: String,
    token: String,
    tenant: Option<String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Client({})", self.base)
    }
}

/// Everything the core knows about one node, for the detail view.
#[derive(Debug, Clone, Default)]
pub struct NodeDetail {
    /// The component.
    pub component: Option<Component>,
    /// Its groups and partition.
    pub membership: Option<Membership>,
    /// How it is reached over Redfish.
    pub endpoint: Option<ComponentEndpoint>,
    /// The Redfish endpoint (BMC) behind it.
    pub redfish: Option<RedfishEndpoint>,
    /// Its Ethernet interfaces.
    pub interfaces: Vec<EthInterface>,
    /// Its hardware record.
    pub hardware: Option<Hardware>,
    /// The boot parameters it boots from, with `source` naming the entry.
    pub boot: Option<Value>,
}

impl Client {
    /// A client of the core at `base` (`https://host:port`), trusting `ca_pem` when given
    /// (else the system roots), authenticating with `token`.
    pub fn new(base: &str, token: &str, ca_pem: Option<&[u8]>) -> Result<Client, ClientError> {
        let mut b = reqwest::Client::builder()
            .use_rustls_tls()
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(Duration::from_secs(5))
            // Under the core's default --idle-timeout (60 s): the client drops an idle
            // connection before the core closes it, so no request races that close.
            .pool_idle_timeout(Duration::from_secs(50));
        if let Some(pem) = ca_pem {
            let cert = reqwest::Certificate::from_pem(pem)
                .map_err(|e| ClientError::Setup(format!("bad CA certificate: {e}")))?;
            b = b.add_root_certificate(cert);
        }
        let http = b
            .build()
            .map_err(|e| ClientError::Setup(format!("cannot build the HTTPS client: {e}")))?;
        Ok(Client {
            http,
            base: base.trim_end_matches('/').to_string(),
            token: token.to_string(),
            tenant: None,
        })
    }

    /// An access token from the core's token endpoint (OAuth client credentials); a refusal
    /// is an `Api` error with the OAuth error and its description.
    pub async fn oauth_token(&self, id: &str, secret: &str) -> Result<String, ClientError> {
        let req = self
            .http
            .post(format!("{}/oauth/token", self.base))
            .basic_auth(id, Some(secret))
            .form(&[("grant_type", "client_credentials")]);
        let (status, _, text) = self.exchange(req).await?;
        let v: Value = serde_json::from_str(&text).unwrap_or_default();
        if !status.is_success() {
            let detail = match (v["error"].as_str(), v["error_description"].as_str()) {
                (Some(e), Some(d)) => format!("{e}: {d}"),
                _ => text.chars().take(300).collect(),
            };
            return Err(ClientError::Api {
                status: status.as_u16(),
                detail,
            });
        }
        v["access_token"]
            .as_str()
            .map(str::to_string)
            .ok_or_else(|| ClientError::Decode("the token answer has no access_token".into()))
    }

    /// The same client acting for `tenant` (`Cray-Tenant-Name` on every request).
    pub fn for_tenant(mut self, tenant: Option<String>) -> Client {
        self.tenant = tenant.filter(|t| !t.trim().is_empty());
        self
    }

    /// The tenant it acts for, if any.
    pub fn tenant(&self) -> Option<&str> {
        self.tenant.as_deref()
    }

    /// A request with the token and the tenant header.
    fn request(&self, method: Method, url: &str) -> reqwest::RequestBuilder {
        let req = self.http.request(method, url).bearer_auth(&self.token);
        match &self.tenant {
            Some(t) => req.header("Cray-Tenant-Name", t),
            None => req,
        }
    }

    /// Adds each of `ids` to a group or partition (or removes it), at most 16 calls at a
    /// time; one result per node, in the order given.
    pub async fn change_members(
        &self,
        partition: bool,
        name: &str,
        add: bool,
        ids: &[String],
    ) -> Vec<(String, Result<(), ClientError>)> {
        use futures::StreamExt;
        let set = if partition { "partitions" } else { "groups" };
        let base = format!("/hsm/v2/{set}/{}/members", enc(name));
        futures::stream::iter(ids.iter().cloned())
            .map(|id| {
                let base = base.clone();
                async move {
                    let r = if add {
                        self.write(Method::POST, &base, &serde_json::json!({ "id": id }))
                            .await
                    } else {
                        self.delete(&format!("{base}/{}", enc(&id))).await
                    };
                    (id, r)
                }
            })
            .buffered(16)
            .collect()
            .await
    }

    /// The core's base URL.
    pub fn base_url(&self) -> &str {
        &self.base
    }

    async fn call(&self, method: Method, path: &str) -> Result<(StatusCode, String), ClientError> {
        self.send(method, path, None).await
    }

    async fn send(
        &self,
        method: Method,
        path: &str,
        body: Option<&Value>,
    ) -> Result<(StatusCode, String), ClientError> {
        let mut req = self.request(method, &format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(b);
        }
        let (status, _, text) = self.exchange(req).await?;
        Ok((status, text))
    }

    /// Sends a built request; the status, headers and body text of the answer.
    async fn exchange(
        &self,
        req: reqwest::RequestBuilder,
    ) -> Result<(StatusCode, reqwest::header::HeaderMap, String), ClientError> {
        let unreachable = |e: reqwest::Error| ClientError::Unreachable {
            url: self.base.clone(),
            detail: describe_reqwest(&e),
        };
        let resp = req.send().await.map_err(unreachable)?;
        let status = resp.status();
        let headers = resp.headers().clone();
        let text = resp.text().await.map_err(unreachable)?;
        Ok((status, headers, text))
    }

    /// DELETEs `path`; a non-2xx is an `Api` error.
    pub async fn delete(&self, path: &str) -> Result<(), ClientError> {
        let (status, text) = self.call(Method::DELETE, path).await?;
        if !status.is_success() {
            return Err(api_error(status, &text));
        }
        Ok(())
    }

    /// GETs `path` and decodes the JSON answer; a non-2xx is an `Api` error.
    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let (status, text) = self.call(Method::GET, path).await?;
        if !status.is_success() {
            return Err(api_error(status, &text));
        }
        serde_json::from_str(&text).map_err(|e| ClientError::Decode(format!("{path}: {e}")))
    }

    /// POSTs a JSON body to `path` and decodes the JSON answer; a non-2xx is an `Api` error.
    pub async fn post<T: DeserializeOwned>(
        &self,
        path: &str,
        body: &Value,
    ) -> Result<T, ClientError> {
        let (status, text) = self.send(Method::POST, path, Some(body)).await?;
        if !status.is_success() {
            return Err(api_error(status, &text));
        }
        serde_json::from_str(&text).map_err(|e| ClientError::Decode(format!("{path}: {e}")))
    }

    /// PATCHes a JSON body to `path`; a non-2xx is an `Api` error.
    pub async fn patch(&self, path: &str, body: &Value) -> Result<(), ClientError> {
        self.write(Method::PATCH, path, body).await
    }

    /// Sends a JSON body with `method`, ignoring the answer's body; a non-2xx is an `Api` error.
    pub async fn write(&self, method: Method, path: &str, body: &Value) -> Result<(), ClientError> {
        let (status, text) = self.send(method, path, Some(body)).await?;
        if !status.is_success() {
            return Err(api_error(status, &text));
        }
        Ok(())
    }

    /// PATCHes `path`, or POSTs the same body when nothing is there yet (404).
    pub async fn patch_or_create(&self, path: &str, body: &Value) -> Result<(), ClientError> {
        match self.patch(path, body).await {
            Err(ClientError::Api { status: 404, .. }) => self.write(Method::POST, path, body).await,
            other => other,
        }
    }

    /// GETs `path` as text; a non-2xx is an `Api` error.
    pub async fn text(&self, path: &str) -> Result<String, ClientError> {
        let (status, text) = self.call(Method::GET, path).await?;
        if !status.is_success() {
            return Err(api_error(status, &text));
        }
        Ok(text)
    }

    /// Like [`Client::get`], but a 404 is `None`.
    pub async fn get_optional<T: DeserializeOwned>(
        &self,
        path: &str,
    ) -> Result<Option<T>, ClientError> {
        match self.get(path).await {
            Ok(v) => Ok(Some(v)),
            Err(ClientError::Api { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Every component (`State/Components`), in natural xname order.
    pub async fn components(&self) -> Result<Vec<Component>, ClientError> {
        #[derive(serde::Deserialize)]
        struct Array {
            #[serde(rename = "Components")]
            components: Vec<Component>,
        }
        let a: Array = self.get("/hsm/v2/State/Components").await?;
        Ok(a.components)
    }

    /// These components as they are now (unknown ones are left out).
    pub async fn components_named(&self, ids: &[String]) -> Result<Vec<Component>, ClientError> {
        #[derive(serde::Deserialize)]
        struct Array {
            #[serde(rename = "Components")]
            components: Vec<Component>,
        }
        let body = serde_json::json!({ "ComponentIDs": ids });
        let a: Array = self.post("/hsm/v2/State/Components/Query", &body).await?;
        Ok(a.components)
    }

    /// Every tenant the caller may see.
    pub async fn tenants(&self) -> Result<Vec<crate::model::tenant::Tenant>, ClientError> {
        self.get("/apis/tapms/v1alpha3/tenants").await
    }

    /// Audit entries, newest last; `query` is `/audit`'s query string (`outcome=denied&...`).
    pub async fn audit(
        &self,
        query: &str,
    ) -> Result<Vec<crate::model::audit::AuditEntry>, ClientError> {
        if query.is_empty() {
            self.get("/audit").await
        } else {
            self.get(&format!("/audit?{query}")).await
        }
    }

    /// Every component's groups and partition.
    pub async fn memberships(&self) -> Result<Vec<Membership>, ClientError> {
        self.get("/hsm/v2/memberships").await
    }

    /// Every group.
    pub async fn groups(&self) -> Result<Vec<Group>, ClientError> {
        self.get("/hsm/v2/groups").await
    }

    /// Every partition.
    pub async fn partitions(&self) -> Result<Vec<Partition>, ClientError> {
        self.get("/hsm/v2/partitions").await
    }

    /// Starts discovery of these endpoints (xnames); `DiscoveryStatus/0` follows it.
    pub async fn discover(&self, ids: &[String]) -> Result<(), ClientError> {
        self.discover_forced(ids, false).await
    }

    /// [`Client::discover`], with `force` to rediscover endpoints already discovered.
    pub async fn discover_forced(&self, ids: &[String], force: bool) -> Result<(), ClientError> {
        let _: Value = self
            .post(
                "/hsm/v2/Inventory/Discover",
                &serde_json::json!({ "xnames": ids, "force": force }),
            )
            .await?;
        Ok(())
    }

    /// SMD's `DiscoveryStatus/0`: `Status` (`InProgress`, `Complete`) and, per endpoint,
    /// `Details.<xname>.LastDiscoveryStatus` and `Error`.
    pub async fn discovery_status(&self) -> Result<Value, ClientError> {
        self.get("/hsm/v2/Inventory/DiscoveryStatus/0").await
    }

    /// Every Redfish endpoint (never with passwords).
    pub async fn endpoints(&self) -> Result<Vec<RedfishEndpoint>, ClientError> {
        #[derive(serde::Deserialize)]
        struct Array {
            #[serde(rename = "RedfishEndpoints")]
            endpoints: Vec<RedfishEndpoint>,
        }
        let a: Array = self.get("/hsm/v2/Inventory/RedfishEndpoints").await?;
        Ok(a.endpoints)
    }

    /// Who the token says we are: `(subject, roles)` from its claims (for display only; the
    /// core decides what is allowed).
    pub fn identity(&self) -> (String, Vec<String>) {
        token_identity(&self.token)
    }

    /// Everything known about one node; parts that do not exist are left empty. The calls
    /// run together, so a remote core costs two round trips, not six.
    pub async fn node_detail(&self, xname: &str) -> Result<NodeDetail, ClientError> {
        let component = format!("/hsm/v2/State/Components/{xname}");
        let membership = format!("/hsm/v2/memberships/{xname}");
        let endpoint = format!("/hsm/v2/Inventory/ComponentEndpoints/{xname}");
        let interfaces = format!("/hsm/v2/Inventory/EthernetInterfaces?ComponentID={xname}");
        let hardware = format!("/hsm/v2/Inventory/Hardware/{xname}");
        let boot = format!("/boot/v1/bootparameters/effective?name={xname}");
        let (component, membership, endpoint, interfaces, hardware, boot) = tokio::try_join!(
            self.get_optional(&component),
            self.get_optional(&membership),
            self.get_optional::<ComponentEndpoint>(&endpoint),
            self.get(&interfaces),
            self.get_optional(&hardware),
            self.get_optional(&boot),
        )?;
        let redfish = match &endpoint {
            Some(ce) => {
                self.get_optional(&format!(
                    "/hsm/v2/Inventory/RedfishEndpoints/{}",
                    ce.endpoint_id
                ))
                .await?
            }
            None => None,
        };
        Ok(NodeDetail {
            component,
            membership,
            endpoint,
            redfish,
            interfaces,
            hardware,
            boot,
        })
    }
}

/// The problem detail of an error answer, or its body.
fn api_error(status: StatusCode, text: &str) -> ClientError {
    let detail = serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|v| v.get("detail").and_then(Value::as_str).map(String::from))
        .unwrap_or_else(|| text.chars().take(300).collect());
    ClientError::Api {
        status: status.as_u16(),
        detail,
    }
}

/// A reqwest error in plain words, with its innermost cause.
fn describe_reqwest(e: &reqwest::Error) -> String {
    let mut cause: &dyn std::error::Error = e;
    while let Some(next) = cause.source() {
        cause = next;
    }
    if e.is_timeout() {
        format!("timed out ({cause})")
    } else {
        cause.to_string()
    }
}

/// `(sub, roles)` read from a JWT's payload without verifying it (display only).
pub fn token_identity(token: &str) -> (String, Vec<String>) {
    use base64::Engine;
    let claims = token
        .split('.')
        .nth(1)
        .and_then(|p| {
            base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(p.trim_end_matches('='))
                .ok()
        })
        .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
        .unwrap_or(Value::Null);
    let sub = claims
        .get("sub")
        .and_then(Value::as_str)
        .unwrap_or("unknown")
        .to_string();
    let roles = claims
        .get("roles")
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(String::from)
                .collect()
        })
        .unwrap_or_default();
    (sub, roles)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identity_from_a_token_payload() {
        use base64::Engine;
        let payload = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .encode(br#"{"sub":"alice","roles":["operator","viewer"]}"#);
        let (sub, roles) = token_identity(&format!("h.{payload}.s"));
        assert_eq!(sub, "alice");
        assert_eq!(roles, ["operator", "viewer"]);
        assert_eq!(token_identity("garbage").0, "unknown");
    }

    #[test]
    fn problem_detail_is_preferred() {
        let e = api_error(
            StatusCode::NOT_FOUND,
            r#"{"detail":"no such xname: x1","status":404}"#,
        );
        assert_eq!(e.to_string(), "404: no such xname: x1");
        let e = api_error(StatusCode::BAD_GATEWAY, "upstream down");
        assert_eq!(e.to_string(), "502: upstream down");
    }
}
