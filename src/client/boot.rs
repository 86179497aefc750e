//! Boot parameters for the console's editor: read with their ETag, written with `If-Match`.

use reqwest::header::{ETAG, IF_MATCH, IF_NONE_MATCH};
use reqwest::Method;
use serde_json::Value;

use super::{api_error, enc, Client, ClientError};
use crate::model::boot::{BootParams, BootVersion};

/// What the editor starts from for a set of names.
#[derive(Debug, Clone, PartialEq)]
pub struct BootBase {
    /// The parameters shown (hosts, MACs and NIDs cleared).
    pub params: BootParams,
    /// The ETag over the names, when every name has its own entry.
    pub etag: Option<String>,
    /// How many of the names have their own entry.
    pub existing: usize,
    /// Where the parameters come from: the entry itself, or the entry a node inherits from.
    pub source: String,
}

/// `a,b,c` with each name form-encoded.
fn names_query(names: &[String]) -> String {
    names.iter().map(|n| enc(n)).collect::<Vec<_>>().join(",")
}

fn bare(mut p: BootParams) -> BootParams {
    p.hosts.clear();
    p.macs.clear();
    p.nids.clear();
    p
}

impl Client {
    /// Every boot-parameters entry.
    pub async fn boot_entries(&self) -> Result<Vec<BootParams>, ClientError> {
        self.get("/boot/v1/bootparameters").await
    }

    /// An entry's last `limit` versions, newest first.
    pub async fn boot_history(
        &self,
        name: &str,
        limit: u32,
    ) -> Result<Vec<BootVersion>, ClientError> {
        self.get(&format!(
            "/boot/v1/bootparameters/history?name={}&limit={limit}",
            enc(name)
        ))
        .await
    }

    /// The stored parameters of `names` and their ETag. When none of them has an entry, the
    /// first one's effective parameters (what it boots from now) are the starting point.
    pub async fn boot_base(&self, names: &[String]) -> Result<BootBase, ClientError> {
        let first = names
            .first()
            .ok_or_else(|| ClientError::Setup("no names to edit".into()))?;
        let path = format!("/boot/v1/bootparameters?name={}", names_query(names));
        let req = self.request(Method::GET, &format!("{}{path}", self.base));
        let (status, headers, text) = self.exchange(req).await?;
        let etag = headers
            .get(ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        if status.as_u16() == 404 {
            // Nothing of its own: start from what it inherits, or from nothing.
            let v: Option<Value> = self
                .get_optional(&format!(
                    "/boot/v1/bootparameters/effective?name={}",
                    enc(first)
                ))
                .await?;
            let source = v
                .as_ref()
                .and_then(|v| v["source"].as_str())
                .unwrap_or("nothing")
                .to_string();
            let params = match v {
                None => BootParams::default(),
                Some(v) => {
                    serde_json::from_value(v).map_err(|e| ClientError::Decode(e.to_string()))?
                }
            };
            return Ok(BootBase {
                params: bare(params),
                etag: None,
                existing: 0,
                source: format!("inherited from {source}"),
            });
        }
        if !status.is_success() {
            return Err(api_error(status, &text));
        }
        let found: Vec<BootParams> =
            serde_json::from_str(&text).map_err(|e| ClientError::Decode(format!("{path}: {e}")))?;
        let existing = names
            .iter()
            .filter(|n| found.iter().any(|p| p.hosts.contains(n)))
            .count();
        let mine = found
            .iter()
            .find(|p| p.hosts.contains(first))
            .or(found.first())
            .cloned()
            .unwrap_or_default();
        let source = mine.hosts.first().cloned().unwrap_or_default();
        Ok(BootBase {
            params: bare(mine),
            // The ETag covers only the entries found; with some missing it would never match.
            etag: etag.filter(|_| existing == names.len()),
            existing,
            source,
        })
    }

    /// Writes `params` for `names`: a POST with `If-None-Match: *` when none of them exists
    /// yet, else a PUT with `If-Match` when an ETag is given; either is a 412 if another
    /// writer created or changed an entry since it was read.
    pub async fn boot_write(
        &self,
        names: &[String],
        params: &BootParams,
        etag: Option<&str>,
        create: bool,
    ) -> Result<(), ClientError> {
        let mut body = bare(params.clone());
        body.hosts = names.to_vec();
        let method = if create { Method::POST } else { Method::PUT };
        let mut req = self
            .request(method, &format!("{}/boot/v1/bootparameters", self.base))
            .json(&body);
        if let Some(tag) = etag {
            req = req.header(IF_MATCH, tag);
        }
        if create {
            req = req.header(IF_NONE_MATCH, "*");
        }
        let (status, _, text) = self.exchange(req).await?;
        if !status.is_success() {
            return Err(api_error(status, &text));
        }
        Ok(())
    }
}
