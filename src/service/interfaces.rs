//! Component Ethernet interfaces: validation and events over the store.

use std::sync::Arc;

use super::events::{Event, EventBus};
use super::ServiceError;
use crate::model::ethernet::{
    normalize_mac, now_rfc3339, EthInterface, EthInterfaceInput, InterfaceChange, InterfaceFilter,
};
use crate::store::Store;

/// Interface operations.
#[derive(Clone)]
pub struct Interfaces {
    store: Arc<dyn Store>,
    bus: EventBus,
}

/// An interface ID from a URL: a MAC in any accepted spelling.
pub fn interface_id(raw: &str) -> Result<String, ServiceError> {
    normalize_mac(raw)
        .map(|(id, _)| id)
        .map_err(|e| ServiceError::BadRequest(format!("bad Ethernet interface ID: {}", e.0)))
}

fn no_such(id: &str) -> ServiceError {
    ServiceError::NotFound(format!("no such Ethernet interface: {id}"))
}

impl Interfaces {
    /// Interfaces over a store, publishing changes on `bus`.
    pub fn new(store: Arc<dyn Store>, bus: EventBus) -> Interfaces {
        Interfaces { store, bus }
    }

    fn changed(&self, id: &str, deleted: bool) {
        self.bus.publish(Event::InterfaceChanged {
            id: id.to_string(),
            deleted,
        });
    }

    /// Interfaces matching `filter`.
    pub async fn list(&self, filter: &InterfaceFilter) -> Result<Vec<EthInterface>, ServiceError> {
        Ok(self.store.interfaces(filter).await?)
    }

    /// One interface.
    pub async fn get(&self, id: &str) -> Result<EthInterface, ServiceError> {
        self.store.interface(id).await?.ok_or_else(|| no_such(id))
    }

    /// Creates an interface; returns its ID.
    pub async fn create(&self, input: EthInterfaceInput) -> Result<String, ServiceError> {
        let iface = input
            .validate(&now_rfc3339())
            .map_err(|e| ServiceError::BadRequest(e.0))?;
        self.store.create_interface(&iface).await?;
        self.changed(&iface.id, false);
        Ok(iface.id)
    }

    /// Applies one change; returns the interface as it now is.
    pub async fn change(
        &self,
        id: &str,
        change: InterfaceChange,
    ) -> Result<EthInterface, ServiceError> {
        let iface = self
            .store
            .change_interface(id, &change, &now_rfc3339())
            .await?;
        self.changed(id, false);
        Ok(iface)
    }

    /// Deletes one interface.
    pub async fn delete(&self, id: &str) -> Result<(), ServiceError> {
        if !self.store.delete_interface(id).await? {
            return Err(no_such(id));
        }
        self.changed(id, true);
        Ok(())
    }

    /// Deletes every interface; NotFound when there were none (as SMD answers).
    pub async fn delete_all(&self) -> Result<u64, ServiceError> {
        let n = self.store.delete_all_interfaces().await?;
        if n == 0 {
            return Err(ServiceError::NotFound("no entries to delete".into()));
        }
        self.changed("", true);
        Ok(n)
    }
}
