//! The audit log: records each mutating request with who made it and how it ended, publishes
//! it on the bus, and reads it back with filters.

use std::collections::BTreeSet;
use std::sync::Arc;

use super::events::{Event, EventBus};
use super::ServiceError;
use crate::model::audit::{AuditEntry, AuditFilter};
use crate::model::xname::Xname;
use crate::store::Store;

/// Most xnames kept in one entry.
pub const MAX_XNAMES: usize = 1000;
/// Largest page of entries one read returns.
pub const MAX_PAGE: u32 = 10_000;

/// The audit log over the store.
#[derive(Clone)]
pub struct Audit {
    store: Arc<dyn Store>,
    bus: EventBus,
}

impl Audit {
    /// The log over `store`, published on `bus`.
    pub fn new(store: Arc<dyn Store>, bus: EventBus) -> Audit {
        Audit { store, bus }
    }

    /// Appends `entry` and publishes it with the id it got.
    pub async fn record(&self, mut entry: AuditEntry) -> Result<AuditEntry, ServiceError> {
        entry.id = self.store.append_audit(&entry).await?;
        self.bus.publish(Event::Audited {
            entry: Box::new(entry.clone()),
        });
        Ok(entry)
    }

    /// Entries matching `filter`, oldest first; a zero limit means the largest page, a
    /// larger one is refused.
    pub async fn list(&self, mut filter: AuditFilter) -> Result<Vec<AuditEntry>, ServiceError> {
        if filter.limit > MAX_PAGE {
            return Err(ServiceError::BadRequest(format!(
                "limit {} is more than a page holds ({MAX_PAGE}): read the next page with \
                 after=<the last id>",
                filter.limit
            )));
        }
        if filter.limit == 0 {
            filter.limit = MAX_PAGE;
        }
        if let Some(x) = &filter.xname {
            let parsed = Xname::parse(x)
                .map_err(|e| ServiceError::BadRequest(format!("xname filter '{x}': {e}")))?;
            filter.xname = Some(parsed.to_string());
        }
        Ok(self.store.audit(&filter).await?)
    }
}

/// The xnames a request names: path segments and every string in its JSON body (empty for
/// none) that parses as one, normalised, in order, at most [`MAX_XNAMES`]. The body is read
/// as it streams, without building its tree, so a body of many megabytes costs only the names
/// found; a body that is not JSON names none, one cut short the names before the cut.
pub fn xnames_in(path: &str, body: &[u8]) -> Vec<String> {
    let mut found = BTreeSet::new();
    for seg in path.split('/') {
        add(&mut found, seg);
    }
    if !body.is_empty() {
        let mut de = serde_json::Deserializer::from_slice(body);
        // An error keeps the names found before it: the audit says what the request named.
        let _ = serde::de::DeserializeSeed::deserialize(Seek(&mut found), &mut de);
    }
    found.into_iter().take(MAX_XNAMES).collect()
}

/// Walks any JSON value, adding each string that parses as an xname.
struct Seek<'a>(&'a mut BTreeSet<String>);

impl<'de> serde::de::DeserializeSeed<'de> for Seek<'_> {
    type Value = ();

    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> serde::de::Visitor<'de> for Seek<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, _: bool) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_u64<E>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E>(self, _: f64) -> Result<(), E> {
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_str<E>(self, s: &str) -> Result<(), E> {
        add(self.0, s);
        Ok(())
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let found = self.0;
        while seq.next_element_seed(Seek(&mut *found))?.is_some() {}
        Ok(())
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let found = self.0;
        while map.next_key::<serde::de::IgnoredAny>()?.is_some() {
            map.next_value_seed(Seek(&mut *found))?;
        }
        Ok(())
    }
}

fn add(found: &mut BTreeSet<String>, s: &str) {
    if found.len() > MAX_XNAMES || s.len() < 2 || !s.starts_with(['x', 'X']) {
        return;
    }
    if let Ok(x) = Xname::parse(s) {
        found.insert(x.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn finds_xnames_in_path_and_body() {
        let body = json!({"location": [{"xname": "X1000c0s1b0n0"}, {"xname": "nope"}],
                          "hosts": ["x1000c0s0b0n0", "Default"], "n": 3});
        let bytes = serde_json::to_vec(&body).unwrap();
        assert_eq!(
            xnames_in("/hsm/v2/State/Components/x1000c0s2b0n0/Role", &bytes),
            ["x1000c0s0b0n0", "x1000c0s1b0n0", "x1000c0s2b0n0"]
        );
        assert!(xnames_in("/boot/v1/bootparameters", b"").is_empty());
    }

    #[test]
    fn every_kind_of_value_is_walked_and_bad_bodies_name_what_they_can() {
        let body = json!({"location": [{"xname": "X1000c0s1b0n0"}, {"xname": "nope"}],
                          "hosts": ["x1000c0s0b0n0", "Default"], "n": 3, "f": 1.5,
                          "t": true, "z": null, "deep": [[["x1000c0s3b0n0"]]]});
        let path = "/hsm/v2/State/Components/x1000c0s2b0n0/Role";
        let bytes = serde_json::to_vec(&body).unwrap();
        assert_eq!(
            xnames_in(path, &bytes),
            [
                "x1000c0s0b0n0",
                "x1000c0s1b0n0",
                "x1000c0s2b0n0",
                "x1000c0s3b0n0"
            ]
        );
        // Not JSON: the path's names only; cut short: the names before the cut.
        assert_eq!(xnames_in(path, b"ID: x1000c0s0b0n0"), ["x1000c0s2b0n0"]);
        assert_eq!(
            xnames_in("/", br#"{"a": ["x1000c0s0b0n0", "x1000c0s1"#),
            ["x1000c0s0b0n0"]
        );
    }
}
