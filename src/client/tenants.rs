//! Tenants for the console: read with their version (ETag), written with `If-Match` (or
//! `If-None-Match: *` to create), nodes joined and released by read-modify-write.

use std::collections::HashSet;

use reqwest::header::{ETAG, IF_MATCH, IF_NONE_MATCH};
use reqwest::Method;

use super::{api_error, enc, Client, ClientError};
use crate::model::tenant::{Tenant, TenantSpec};

const TENANTS: &str = "/apis/tapms/v1alpha3/tenants";

/// Per tenant touched: its name, and whether its change was applied or why not.
pub type PerTenant = Vec<(String, Result<(), ClientError>)>;

/// How often a join or release reads the tenant again after someone else changed it.
const TRIES: usize = 3;

impl Client {
    /// One tenant and its ETag.
    pub async fn tenant_get(&self, name: &str) -> Result<(Tenant, Option<String>), ClientError> {
        let path = format!("{TENANTS}/{}", enc(name));
        let req = self.request(Method::GET, &format!("{}{path}", self.base));
        let (status, headers, text) = self.exchange(req).await?;
        if !status.is_success() {
            return Err(api_error(status, &text));
        }
        let etag = headers
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let t =
            serde_json::from_str(&text).map_err(|e| ClientError::Decode(format!("{path}: {e}")))?;
        Ok((t, etag))
    }

    /// Writes a tenant's spec: with `If-Match: etag` when given, else as a create that fails
    /// (412) when the tenant exists.
    pub async fn tenant_put(
        &self,
        spec: &TenantSpec,
        etag: Option<&str>,
    ) -> Result<(), ClientError> {
        let url = format!("{}{TENANTS}/{}", self.base, enc(&spec.tenantname));
        let req = self.request(Method::PUT, &url).json(spec);
        let req = match etag {
            Some(tag) => req.header(IF_MATCH, tag),
            None => req.header(IF_NONE_MATCH, "*"),
        };
        let (status, _, text) = self.exchange(req).await?;
        if !status.is_success() {
            return Err(api_error(status, &text));
        }
        Ok(())
    }

    /// Deletes a tenant (its groups go, its nodes are released); the answer's message.
    pub async fn tenant_delete(&self, name: &str) -> Result<String, ClientError> {
        let path = format!("{TENANTS}/{}", enc(name));
        let (status, text) = self.call(Method::DELETE, &path).await?;
        if !status.is_success() {
            return Err(api_error(status, &text));
        }
        let v: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
        let mut said = format!("tenant {name} deleted");
        if let Some(t) = v["transitionID"].as_str() {
            said.push_str(&format!("; its nodes power off (transition {t})"));
        }
        Ok(said)
    }

    /// Adds `nodes` (xname, Role) to tenant `name`, reading it again when someone changed
    /// it meanwhile (up to 3 times).
    pub async fn tenant_join(
        &self,
        name: &str,
        nodes: &[(String, String)],
    ) -> Result<(), ClientError> {
        self.tenant_change(name, |spec| Ok(spec.with_nodes(nodes)))
            .await
    }

    /// Takes `xnames` out of every tenant that holds them; one result per tenant touched. A
    /// tenant that would be left with no node is not changed (delete it instead).
    pub async fn tenant_release(&self, xnames: &[String]) -> Result<PerTenant, ClientError> {
        let owners: Vec<Tenant> = self.post(TENANTS, &serde_json::json!(xnames)).await?;
        let gone: HashSet<String> = xnames.iter().cloned().collect();
        let mut out = Vec::new();
        for t in owners {
            let name = t.metadata.name.clone();
            let r = self
                .tenant_change(&name, |spec| {
                    let left = spec.without_nodes(&gone);
                    if left.tenantresources.is_empty() {
                        return Err(ClientError::Setup(format!(
                            "tenant {name} would hold no node: delete the tenant instead"
                        )));
                    }
                    Ok(left)
                })
                .await;
            out.push((name, r));
        }
        Ok(out)
    }

    /// Reads tenant `name`, changes its spec with `f` and writes it with `If-Match`; a 412
    /// (changed meanwhile) reads it again.
    async fn tenant_change(
        &self,
        name: &str,
        f: impl Fn(&TenantSpec) -> Result<TenantSpec, ClientError>,
    ) -> Result<(), ClientError> {
        let mut last = None;
        for _ in 0..TRIES {
            let (t, etag) = self.tenant_get(name).await?;
            let spec = f(&t.spec)?;
            let tag = etag.unwrap_or_else(|| format!("\"{}\"", t.metadata.resource_version));
            match self.tenant_put(&spec, Some(&tag)).await {
                Err(e @ ClientError::Api { status: 412, .. }) => last = Some(e),
                other => return other,
            }
        }
        Err(last.unwrap_or_else(|| ClientError::Setup(format!("tenant {name}: no try left"))))
    }
}
