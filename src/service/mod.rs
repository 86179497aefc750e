//! Domain logic: inventory rules, auth (verification, policy, the built-in issuer), events.

pub mod audit;
pub mod auth;
pub mod boot;
pub mod discovery;
pub mod endpoints;
pub mod events;
pub mod groups;
pub mod hardware;
pub mod interfaces;
pub mod inventory;
pub mod issuer;
pub mod jwt;
pub mod locks;
pub mod maps;
pub mod metadata;
pub mod metrics;
pub mod power;
pub mod replicas;
pub mod scn;
pub mod scope;
pub mod secrets;
pub mod tenants;

use std::sync::Arc;

use crate::store::{Store, StoreError};

/// What a service call can fail with; the API maps each kind to one HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The request is malformed or names something invalid.
    #[error("{0}")]
    BadRequest(String),
    /// The named thing does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The caller's tenant does not hold what the request names.
    #[error("{0}")]
    Forbidden(String),
    /// The request conflicts with current state; nothing changed.
    #[error("{0}")]
    Conflict(String),
    /// The caller's `If-Match` no longer matches; nothing changed.
    #[error("{0}")]
    Precondition(String),
    /// The core failed; the detail is logged, not sent.
    #[error("{0}")]
    Internal(String),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => ServiceError::NotFound(m),
            StoreError::Conflict(m) => ServiceError::Conflict(m),
            StoreError::Invalid(m) => ServiceError::BadRequest(m),
            other => ServiceError::Internal(other.to_string()),
        }
    }
}

/// The core's domain services over one store and one event bus.
#[derive(Clone)]
pub struct Core {
    /// The store everything persists to.
    pub store: Arc<dyn Store>,
    /// Where changes are published.
    pub bus: events::EventBus,
    /// Components.
    pub inventory: inventory::Inventory,
    /// Groups, partitions and memberships.
    pub groups: groups::Groups,
    /// Component Ethernet interfaces.
    pub interfaces: interfaces::Interfaces,
    /// Redfish endpoints and what they describe.
    pub endpoints: endpoints::Endpoints,
    /// Boot parameters and scripts.
    pub boot: boot::Boot,
    /// Redfish discovery.
    pub discovery: discovery::Discovery,
    /// Power transitions.
    pub power: power::Power,
    /// Component locks and reservations.
    pub locks: locks::Locks,
    /// Node maps (defaults for new nodes) and power maps.
    pub maps: maps::Maps,
    /// Hardware inventory written directly, FRUs and their history.
    pub hardware: hardware::HardwareInventory,
    /// Cloud-init data.
    pub metadata: metadata::Metadata,
    /// State-change notification subscriptions and delivery.
    pub scn: scn::Scn,
    /// Tenants.
    pub tenants: tenants::Tenants,
    /// The audit log.
    pub audit: audit::Audit,
}

/// Whether the database answers, and which one it is.
#[derive(Debug, Clone)]
pub struct Health {
    /// `sqlite` or `postgres`.
    pub store: &'static str,
    /// Why the database does not answer, when it does not.
    pub problem: Option<String>,
}

impl Health {
    /// Whether the database answered.
    pub fn ok(&self) -> bool {
        self.problem.is_none()
    }
}

impl Core {
    /// Asks the database whether it answers.
    pub async fn health(&self) -> Health {
        Health {
            store: self.store.backend(),
            problem: self.store.ping().await.err().map(|e| e.to_string()),
        }
    }

    /// Builds the services over `store`; `secrets` seals BMC passwords; `power` sets the
    /// power engine's limits.
    pub fn new(
        store: Arc<dyn Store>,
        secrets: Arc<secrets::SecretBox>,
        power: power::PowerSettings,
    ) -> Core {
        let bus = events::EventBus::default();
        let scn = scn::Scn::new(store.clone());
        let endpoints = endpoints::Endpoints::new(store.clone(), bus.clone(), secrets, scn.clone());
        let discovery = discovery::Discovery::new(store.clone(), endpoints.clone());
        let locks = locks::Locks::new(store.clone(), bus.clone());
        let power = power::Power::new(
            store.clone(),
            bus.clone(),
            discovery.clone(),
            locks.clone(),
            scn.clone(),
            power,
        );
        let groups = groups::Groups::new(store.clone(), bus.clone());
        Core {
            tenants: tenants::Tenants::new(
                store.clone(),
                bus.clone(),
                groups.clone(),
                power.clone(),
            ),
            audit: audit::Audit::new(store.clone(), bus.clone()),
            power,
            locks,
            maps: maps::Maps::new(store.clone()),
            hardware: hardware::HardwareInventory::new(store.clone()),
            metadata: metadata::Metadata::new(store.clone()),
            discovery,
            inventory: inventory::Inventory::new(store.clone(), bus.clone(), scn.clone()),
            scn,
            groups,
            interfaces: interfaces::Interfaces::new(store.clone(), bus.clone()),
            endpoints,
            boot: boot::Boot::new(store.clone(), bus.clone()),
            store,
            bus,
        }
    }
}
