//! SMD's hardware inventory: location records written directly, FRUs, and the history of
//! which FRU was seen where.

use std::sync::Arc;

use serde_json::Value;

use super::scope::Scope;
use super::ServiceError;
use crate::model::discovery::Hardware;
use crate::model::ethernet::now_rfc3339;
use crate::model::hardware::{
    checked_location, fru_of, grouped, tree, HistoryFilter, HwHistory, HwQuery, TreeFormat,
};
use crate::model::xname::Xname;
use crate::store::{HistoryOf, Store};

/// Hardware inventory operations.
#[derive(Clone)]
pub struct HardwareInventory {
    store: Arc<dyn Store>,
}

fn none_to_delete() -> ServiceError {
    ServiceError::NotFound("no entries to delete".into())
}

impl HardwareInventory {
    /// Hardware inventory over a store.
    pub fn new(store: Arc<dyn Store>) -> HardwareInventory {
        HardwareInventory { store }
    }

    /// Creates or replaces location records (SMD's `{"Hardware": [...]}`), all or nothing;
    /// returns how many.
    pub async fn put(&self, raw: Vec<Value>) -> Result<usize, ServiceError> {
        if raw.is_empty() {
            return Err(ServiceError::BadRequest(
                "no Hardware in the body: give {\"Hardware\": [...]}".into(),
            ));
        }
        let mut hardware = Vec::with_capacity(raw.len());
        let mut seen = std::collections::HashSet::new();
        for (i, v) in raw.into_iter().enumerate() {
            let hw = checked_location(v, i).map_err(|e| ServiceError::BadRequest(e.0))?;
            if !seen.insert(hw.id.clone()) {
                return Err(ServiceError::BadRequest(format!(
                    "location {} appears more than once in the request",
                    hw.id
                )));
            }
            hardware.push(hw);
        }
        self.store.put_hardware(&hardware, &now_rfc3339()).await?;
        Ok(hardware.len())
    }

    /// Deletes the hardware at one location.
    pub async fn delete(&self, id: &Xname) -> Result<(), ServiceError> {
        match self
            .store
            .delete_hardware(Some(std::slice::from_ref(id)))
            .await?
        {
            0 => Err(ServiceError::NotFound(format!(
                "no hardware inventory for {id}"
            ))),
            _ => Ok(()),
        }
    }

    /// Deletes every location record; none is NotFound, as SMD answers.
    pub async fn delete_all(&self) -> Result<u64, ServiceError> {
        match self.store.delete_hardware(None).await? {
            0 => Err(none_to_delete()),
            n => Ok(n),
        }
    }

    /// Every FRU populating a location (one record per FRU ID), in FRU ID order.
    pub async fn frus(&self) -> Result<Vec<Value>, ServiceError> {
        let mut frus: Vec<(String, Value)> = self
            .store
            .hardware(&[])
            .await?
            .iter()
            .filter_map(fru_of)
            .collect();
        frus.sort_by(|a, b| a.0.cmp(&b.0));
        frus.dedup_by(|a, b| a.0 == b.0);
        Ok(frus.into_iter().map(|(_, f)| f).collect())
    }

    /// One FRU.
    pub async fn fru(&self, fru_id: &str) -> Result<Value, ServiceError> {
        self.store
            .hardware(&[])
            .await?
            .iter()
            .filter_map(fru_of)
            .find(|(id, _)| id == fru_id)
            .map(|(_, f)| f)
            .ok_or_else(|| ServiceError::NotFound(format!("no such FRU ID: {fru_id}")))
    }

    /// Takes a FRU out of inventory (its locations stay, empty of it).
    pub async fn delete_fru(&self, fru_id: &str) -> Result<(), ServiceError> {
        match self.store.delete_frus(Some(fru_id)).await? {
            0 => Err(ServiceError::NotFound(format!("no such FRU ID: {fru_id}"))),
            _ => Ok(()),
        }
    }

    /// Takes every FRU out of inventory; none is NotFound, as SMD answers.
    pub async fn delete_frus(&self) -> Result<u64, ServiceError> {
        match self.store.delete_frus(None).await? {
            0 => Err(none_to_delete()),
            n => Ok(n),
        }
    }

    /// History events matching `filter`, grouped by location or by FRU.
    pub async fn history(
        &self,
        filter: &HistoryFilter,
        by_fru: bool,
    ) -> Result<Vec<HwHistory>, ServiceError> {
        Ok(grouped(self.store.hardware_history(filter).await?, by_fru))
    }

    /// Deletes history; a location or FRU without any is NotFound.
    pub async fn delete_history(&self, which: HistoryOf<'_>) -> Result<u64, ServiceError> {
        let n = self.store.delete_hardware_history(which).await?;
        match (n, which) {
            (0, HistoryOf::All) => Err(none_to_delete()),
            (0, HistoryOf::Location(id)) => Err(ServiceError::NotFound(format!(
                "no hardware history for {id}"
            ))),
            (0, HistoryOf::Fru(f)) => Err(ServiceError::NotFound(format!(
                "no hardware history for FRU {f}"
            ))),
            (n, _) => Ok(n),
        }
    }

    /// SMD's `Hardware/Query`: the locations `q` selects, within partition `partition` if
    /// given (its members and what lies under them), and within `scope` (a tenant's nodes and
    /// what lies under them), laid out as `format`.
    pub async fn query(
        &self,
        xname: &str,
        q: &HwQuery,
        partition: Option<&str>,
        format: TreeFormat,
        scope: &Scope,
    ) -> Result<Value, ServiceError> {
        let all = self.store.hardware(&[]).await?;
        let members: Option<std::collections::HashSet<Xname>> = match partition {
            None => None,
            Some(name) => Some(
                self.store
                    .partition(name)
                    .await?
                    .map(|p| p.members.ids.into_iter().collect())
                    .unwrap_or_default(),
            ),
        };
        let within =
            |id: &Xname, set: &dyn Fn(&Xname) -> bool| set(id) || id.ancestors().any(|a| set(&a));
        let picked: Vec<&Hardware> = q
            .select(&all)
            .into_iter()
            .filter(|h| {
                members
                    .as_ref()
                    .is_none_or(|m| within(&h.id, &|x| m.contains(x)))
                    && within(&h.id, &|x| scope.allows(x.as_str()))
            })
            .collect();
        Ok(tree(&picked, xname, format))
    }

    /// The hardware at the given locations (every one when empty).
    pub async fn locations(&self, ids: &[Xname]) -> Result<Vec<Hardware>, ServiceError> {
        Ok(self.store.hardware(ids).await?)
    }
}
