//! Sets, tenants, the audit and boot parameters as the CLI prints them: the API's rows with
//! every field kept.

use serde_json::{json, Value};

use super::{enc, Client, ClientError};

fn set_base(partitions: bool) -> &'static str {
    if partitions {
        "/hsm/v2/partitions"
    } else {
        "/hsm/v2/groups"
    }
}

impl Client {
    /// Every group (or partition) as a row.
    pub async fn set_rows(&self, partitions: bool) -> Result<Vec<Value>, ClientError> {
        self.get(set_base(partitions)).await
    }

    /// One group (or partition) as a row.
    pub async fn set_row(&self, partitions: bool, name: &str) -> Result<Value, ClientError> {
        self.get(&format!("{}/{}", set_base(partitions), enc(name)))
            .await
    }

    /// Creates a group (or partition) from SMD's body.
    pub async fn set_create(&self, partitions: bool, body: &Value) -> Result<(), ClientError> {
        self.write(reqwest::Method::POST, set_base(partitions), body)
            .await
    }

    /// Deletes a group (or partition).
    pub async fn set_delete(&self, partitions: bool, name: &str) -> Result<(), ClientError> {
        self.delete(&format!("{}/{}", set_base(partitions), enc(name)))
            .await
    }

    /// Every tenant the caller may see, as rows.
    pub async fn tenant_rows(&self) -> Result<Vec<Value>, ClientError> {
        self.get("/apis/tapms/v1alpha3/tenants").await
    }

    /// One tenant as a row.
    pub async fn tenant_row(&self, name: &str) -> Result<Value, ClientError> {
        self.get(&format!("/apis/tapms/v1alpha3/tenants/{}", enc(name)))
            .await
    }

    /// Audit entries as rows, oldest first; `query` is `/audit`'s query string.
    pub async fn audit_rows(&self, query: &str) -> Result<Vec<Value>, ClientError> {
        self.get(&format!("/audit?{query}")).await
    }

    /// The boot parameters a node (or name) boots from, with `source` naming the entry.
    pub async fn boot_effective_row(&self, name: &str) -> Result<Value, ClientError> {
        self.get(&format!(
            "/boot/v1/bootparameters/effective?name={}",
            enc(name)
        ))
        .await
    }

    /// The iPXE script a node (or name) boots.
    pub async fn boot_script(&self, name: &str) -> Result<String, ClientError> {
        self.text(&format!("/boot/v1/bootscript?name={}", enc(name)))
            .await
    }

    /// The same script as a preview: an operator looking, so the fetch is not recorded as the
    /// node's boot.
    pub async fn boot_script_preview(&self, name: &str) -> Result<String, ClientError> {
        self.text(&format!("/boot/v1/bootscript?name={}&preview=1", enc(name)))
            .await
    }

    /// The boot entries of these names (comma-joined in one query), as rows.
    pub async fn boot_rows(&self, names: &[String]) -> Result<Vec<Value>, ClientError> {
        self.get(&format!(
            "/boot/v1/bootparameters?name={}",
            enc(&names.join(","))
        ))
        .await
    }

    /// Changes the given fields of these hosts' entries, creating those that do not exist.
    pub async fn boot_patch(&self, body: &Value) -> Result<(), ClientError> {
        self.patch_or_create("/boot/v1/bootparameters", body).await
    }

    /// Boot entry versions as rows, newest first (of one name when given).
    pub async fn boot_history_rows(
        &self,
        name: Option<&str>,
        limit: u32,
    ) -> Result<Vec<Value>, ClientError> {
        let mut path = format!("/boot/v1/bootparameters/history?limit={limit}");
        if let Some(n) = name {
            path.push_str(&format!("&name={}", enc(n)));
        }
        self.get(&path).await
    }

    /// Brings back version `version` of the entry `name`; the entry as it now is, as rows.
    pub async fn boot_restore(&self, name: &str, version: u64) -> Result<Vec<Value>, ClientError> {
        self.post(
            "/boot/v1/bootparameters/restore",
            &json!({"name": name, "version": version}),
        )
        .await
    }
}
