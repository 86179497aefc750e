//! Creating inventory in bulk, as a loader (the demo's seeding) writes it: components, Redfish
//! endpoints with what they describe, groups and partitions.

use reqwest::Method;
use serde_json::json;

use super::{Client, ClientError};
use crate::model::component::Component;
use crate::model::group::{Group, Partition};
use crate::model::redfish::EndpointInput;

impl Client {
    /// Creates components (existing ones are kept), all or none.
    pub async fn create_components(&self, components: &[Component]) -> Result<(), ClientError> {
        let body = json!({ "Components": components });
        self.write(Method::POST, "/hsm/v2/State/Components", &body)
            .await
    }

    /// Creates Redfish endpoints, with the components, component endpoints, interfaces and
    /// hardware their `Systems` and `Managers` describe, all or none.
    pub async fn create_endpoints(&self, endpoints: &[EndpointInput]) -> Result<(), ClientError> {
        let body = json!({ "RedfishEndpoints": endpoints });
        self.write(Method::POST, "/hsm/v2/Inventory/RedfishEndpoints", &body)
            .await
    }

    /// Creates a group with its members.
    pub async fn create_group(&self, group: &Group) -> Result<(), ClientError> {
        self.set_create(false, &json!(group)).await
    }

    /// Creates a partition with its members.
    pub async fn create_partition(&self, partition: &Partition) -> Result<(), ClientError> {
        self.set_create(true, &json!(partition)).await
    }
}
