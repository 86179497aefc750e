//! Components as the CLI prints them: SMD's rows as the API answers them (every field kept),
//! and the bulk changes the CLI makes.

use serde_json::{json, Value};

use super::{Client, ClientError};

/// The rows under `key` in an answer (none when it has none).
fn rows(v: Value, key: &str) -> Vec<Value> {
    match v {
        Value::Object(mut o) => match o.remove(key) {
            Some(Value::Array(a)) => a,
            _ => Vec::new(),
        },
        _ => Vec::new(),
    }
}

impl Client {
    /// Components matching SMD's query parameters (`type`, `state`, `role`, `group`,
    /// `partition`, `id`, each repeatable), as rows.
    pub async fn component_rows(
        &self,
        params: &[(&str, String)],
    ) -> Result<Vec<Value>, ClientError> {
        let mut q = form_urlencoded::Serializer::new(String::new());
        for (k, v) in params {
            q.append_pair(k, v);
        }
        let v: Value = self
            .get(&format!("/hsm/v2/State/Components?{}", q.finish()))
            .await?;
        Ok(rows(v, "Components"))
    }

    /// These components as rows (unknown ones are left out).
    pub async fn component_rows_named(&self, ids: &[String]) -> Result<Vec<Value>, ClientError> {
        let v: Value = self
            .post(
                "/hsm/v2/State/Components/Query",
                &json!({ "ComponentIDs": ids }),
            )
            .await?;
        Ok(rows(v, "Components"))
    }

    /// Sets these components' State (and Flag, when given), all or none.
    pub async fn set_state(
        &self,
        ids: &[String],
        state: &str,
        flag: Option<&str>,
    ) -> Result<(), ClientError> {
        let mut body = json!({"ComponentIDs": ids, "State": state});
        if let Some(f) = flag {
            body["Flag"] = json!(f);
        }
        self.patch("/hsm/v2/State/Components/BulkStateData", &body)
            .await
    }

    /// Enables or disables these components, all or none.
    pub async fn set_enabled(&self, ids: &[String], enabled: bool) -> Result<(), ClientError> {
        let body = json!({"ComponentIDs": ids, "Enabled": enabled});
        self.patch("/hsm/v2/State/Components/BulkEnabled", &body)
            .await
    }

    /// PCS's power status of these nodes (all when empty), as rows.
    pub async fn power_status_rows(&self, ids: &[String]) -> Result<Vec<Value>, ClientError> {
        let v: Value = self
            .post("/power-control/v1/power-status", &json!({ "xname": ids }))
            .await?;
        Ok(rows(v, "status"))
    }
}

const ENDPOINTS: &str = "/hsm/v2/Inventory/RedfishEndpoints";
const INTERFACES: &str = "/hsm/v2/Inventory/EthernetInterfaces";

/// A query string of the non-empty pairs.
fn query(params: &[(&str, &str)]) -> String {
    let mut q = form_urlencoded::Serializer::new(String::new());
    for (k, v) in params {
        if !v.is_empty() {
            q.append_pair(k, v);
        }
    }
    q.finish()
}

/// Redfish endpoints and Ethernet interfaces, as rows.
impl Client {
    /// Redfish endpoints matching SMD's parameters (`id`, `type`, `fqdn`, `laststatus`; empty
    /// values are left out), as rows (never with passwords).
    pub async fn endpoint_rows(&self, params: &[(&str, &str)]) -> Result<Vec<Value>, ClientError> {
        let v: Value = self.get(&format!("{ENDPOINTS}?{}", query(params))).await?;
        Ok(rows(v, "RedfishEndpoints"))
    }

    /// One Redfish endpoint as a row.
    pub async fn endpoint_row(&self, id: &str) -> Result<Value, ClientError> {
        self.get(&format!("{ENDPOINTS}/{}", super::enc(id))).await
    }

    /// Registers a Redfish endpoint (SMD's body).
    pub async fn endpoint_add(&self, body: &Value) -> Result<(), ClientError> {
        self.write(reqwest::Method::POST, ENDPOINTS, body).await
    }

    /// Deletes a Redfish endpoint.
    pub async fn endpoint_delete(&self, id: &str) -> Result<(), ClientError> {
        self.delete(&format!("{ENDPOINTS}/{}", super::enc(id)))
            .await
    }

    /// Ethernet interfaces matching SMD's parameters (`MACAddress`, `IPAddress`,
    /// `ComponentID`, `Type`), as rows.
    pub async fn interface_rows(&self, params: &[(&str, &str)]) -> Result<Vec<Value>, ClientError> {
        self.get(&format!("{INTERFACES}?{}", query(params))).await
    }

    /// One Ethernet interface by ID as a row; None when there is none.
    pub async fn interface_row(&self, id: &str) -> Result<Option<Value>, ClientError> {
        self.get_optional(&format!("{INTERFACES}/{}", super::enc(id)))
            .await
    }

    /// Adds an Ethernet interface (SMD's body).
    pub async fn interface_add(&self, body: &Value) -> Result<(), ClientError> {
        self.write(reqwest::Method::POST, INTERFACES, body).await
    }

    /// Deletes an Ethernet interface.
    pub async fn interface_delete(&self, id: &str) -> Result<(), ClientError> {
        self.delete(&format!("{INTERFACES}/{}", super::enc(id)))
            .await
    }
}

const NODE_MAPS: &str = "/hsm/v2/Defaults/NodeMaps";

/// SMD's node maps (each node's default NID, Role and SubRole), as rows.
impl Client {
    /// Every node map, as rows.
    pub async fn node_map_rows(&self) -> Result<Vec<Value>, ClientError> {
        let v: Value = self.get(NODE_MAPS).await?;
        Ok(rows(v, "NodeMaps"))
    }

    /// Creates or replaces node maps (`{"NodeMaps": [...]}`), all or none.
    pub async fn node_maps_put(&self, maps: &[Value]) -> Result<(), ClientError> {
        self.write(
            reqwest::Method::POST,
            NODE_MAPS,
            &json!({ "NodeMaps": maps }),
        )
        .await
    }

    /// Deletes one node map.
    pub async fn node_map_delete(&self, xname: &str) -> Result<(), ClientError> {
        self.delete(&format!("{NODE_MAPS}/{}", super::enc(xname)))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_leave_out_empty_values() {
        assert_eq!(
            query(&[("type", "NodeBMC"), ("fqdn", ""), ("x", "a b")]),
            "type=NodeBMC&x=a+b"
        );
    }

    #[test]
    fn rows_are_the_array_under_their_key() {
        assert_eq!(
            rows(json!({"Components": [{"ID": "x1"}]}), "Components").len(),
            1
        );
        assert!(rows(json!({"Components": null}), "Components").is_empty());
        assert!(rows(json!([1, 2]), "Components").is_empty());
    }
}
