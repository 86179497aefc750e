//! Storage: one [`Store`] trait that hides SQL; SQLite is the embedded default.

pub mod cache;
pub mod sqlite;

use async_trait::async_trait;

use crate::model::component::{Component, ComponentChange};
use crate::model::enums::State;
use crate::model::filter::ComponentFilter;
use crate::model::xname::Xname;

pub use cache::CachedStore;
pub use sqlite::SqliteStore;

/// What went wrong in storage, in words an API error can carry.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The named things do not exist.
    #[error("{0}")]
    NotFound(String),
    /// The change conflicts with what is stored; nothing was changed.
    #[error("{0}")]
    Conflict(String),
    /// The request names something invalid (for example an unknown group).
    #[error("{0}")]
    Invalid(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// A stored value could not be read back.
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

/// Persistent state of the core: one trait per resource, each call atomic. Code holds an
/// `Arc<dyn Store>`, on which every resource trait's methods can be called.
pub trait Store: ComponentStore + Send + Sync + 'static {}

impl<T: ComponentStore + Send + Sync + 'static> Store for T {}

/// Components (`State/Components`).
#[async_trait]
pub trait ComponentStore: Send + Sync {
    /// Checks that the database answers.
    async fn ping(&self) -> Result<(), StoreError>;

    /// Components matching `filter`, in natural xname order.
    async fn components(&self, filter: &ComponentFilter) -> Result<Vec<Component>, StoreError>;

    /// One component by xname.
    async fn component(&self, id: &Xname) -> Result<Option<Component>, StoreError>;

    /// The component with this NID (the lowest xname if several share it).
    async fn component_by_nid(&self, nid: i64) -> Result<Option<Component>, StoreError>;

    /// Creates components; existing ones are kept unless `force`, which overwrites their
    /// State, Flag, Subtype, NetType, Arch and Class. Returns the xnames created or changed.
    async fn upsert_components(
        &self,
        components: &[Component],
        force: bool,
    ) -> Result<Vec<Xname>, StoreError>;

    /// Applies `change` to every component in `ids`, all or nothing: an unknown xname is
    /// `NotFound`; with `required_states`, a target in any other state is `Conflict`. Returns
    /// the xnames whose values changed.
    async fn update_components(
        &self,
        ids: &[Xname],
        change: &ComponentChange,
        required_states: Option<&[State]>,
    ) -> Result<Vec<Xname>, StoreError>;

    /// Sets a NID on each listed component, all or nothing.
    async fn set_nids(&self, nids: &[(Xname, i64)]) -> Result<(), StoreError>;

    /// Deletes one component; false when it did not exist.
    async fn delete_component(&self, id: &Xname) -> Result<bool, StoreError>;

    /// Deletes every component; returns how many there were.
    async fn delete_all_components(&self) -> Result<u64, StoreError>;
}

/// Names of xnames compactly for an error message (a hostlist, cut short when very long).
pub fn name_list(ids: &[Xname]) -> String {
    const MAX: usize = 400;
    let text = crate::model::hostlist::compress(ids);
    if text.len() <= MAX {
        return text;
    }
    let mut cut = MAX;
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}... ({} components)", &text[..cut], ids.len())
}
