//! Hardware history: its columns and the reading of a row.

use super::{stored_xname, Fields};
use crate::model::hardware::HwEvent;
use crate::store::StoreError;

/// History columns.
pub(crate) const COLUMNS: &str = "id, fru_id, ts, event_type";

/// An event from a row of [`COLUMNS`].
pub(crate) fn event_from(row: &impl Fields) -> Result<HwEvent, StoreError> {
    Ok(HwEvent {
        id: stored_xname(&row.text("id")?)?,
        fru_id: row.text("fru_id")?,
        timestamp: row.text("ts")?,
        event_type: row.text("event_type")?,
    })
}
