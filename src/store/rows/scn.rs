//! SCN subscriptions: their columns and the reading of a row.

use super::Fields;
use crate::model::scn::{Subscription, SubscriptionSpec};
use crate::store::StoreError;

/// Subscription columns.
pub(crate) const COLUMNS: &str = "id, doc";

/// A subscription from a row of [`COLUMNS`].
pub(crate) fn subscription_from(row: &impl Fields) -> Result<Subscription, StoreError> {
    let spec: SubscriptionSpec = serde_json::from_str(&row.text("doc")?)
        .map_err(|e| StoreError::Corrupt(format!("scn subscription: {e}")))?;
    Ok(Subscription {
        id: row.int("id")?,
        spec,
    })
}

/// The refusal of a subscriber and URL another subscription holds.
pub(crate) fn taken(spec: &SubscriptionSpec, other: i64) -> StoreError {
    StoreError::Conflict(format!(
        "subscription {other} already sends {}'s notifications to that Url",
        spec.subscriber
    ))
}
