//! SMD's hardware inventory beyond the location records of `discovery.rs`: FRUs as their own
//! records (`HardwareByFRU`) and the history of which FRU was seen where
//! (`Hardware/History`, `HardwareByFRU/History`).

use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use super::discovery::Hardware;
use super::xname::{natural_cmp, HmsType, Xname};

/// A bad hardware request, with the message an operator sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct HardwareError(pub String);

/// SMD's history event types.
pub const EVENT_TYPES: &[&str] = &["Added", "Removed", "Scanned", "Detected"];

/// One history event (`HWInventory.1.0.0_HWInventoryHistory`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HwEvent {
    /// Where it happened.
    #[serde(rename = "ID")]
    #[schema(value_type = String)]
    pub id: Xname,
    /// The FRU it concerns.
    #[serde(rename = "FRUID")]
    pub fru_id: String,
    /// When (RFC 3339).
    #[serde(rename = "Timestamp")]
    pub timestamp: String,
    /// Added, Removed, Scanned or Detected.
    #[serde(rename = "EventType")]
    pub event_type: String,
}

/// The events of one location or FRU (`HWInventory.1.0.0_HWInventoryHistoryArray`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HwHistory {
    /// The location's xname, or the FRU ID.
    #[serde(rename = "ID")]
    pub id: String,
    /// Its events, oldest first.
    #[serde(rename = "History")]
    pub history: Vec<HwEvent>,
}

/// Every location's or FRU's events (`HWInventory.1.0.0_HWInventoryHistoryCollection`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct HwHistoryList {
    /// One entry per location or FRU, in the order first seen.
    #[serde(rename = "Components")]
    pub components: Vec<HwHistory>,
}

/// Which history events to list: fields AND, values OR.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HistoryFilter {
    /// Locations.
    pub ids: Vec<Xname>,
    /// FRU IDs.
    pub fru_ids: Vec<String>,
    /// Event types, in SMD's spelling.
    pub event_types: Vec<String>,
    /// Not before this time (RFC 3339).
    pub start: Option<String>,
    /// Not after this time (RFC 3339).
    pub end: Option<String>,
}

/// Which hardware history to delete.
#[derive(Debug, Clone, Copy)]
pub enum HistoryOf<'a> {
    /// Every event.
    All,
    /// The events at one location.
    Location(&'a Xname),
    /// The events of one FRU.
    Fru(&'a str),
}

/// SMD's spelling of an event type given in any case.
pub fn event_type(raw: &str) -> Result<String, HardwareError> {
    EVENT_TYPES
        .iter()
        .find(|t| t.eq_ignore_ascii_case(raw.trim()))
        .map(|t| t.to_string())
        .ok_or_else(|| {
            HardwareError(format!(
                "invalid EventType '{raw}': expected one of {}",
                EVENT_TYPES.join(", ")
            ))
        })
}

/// An RFC 3339 time given in a query, normalised to UTC for comparison.
pub fn rfc3339(key: &str, raw: &str) -> Result<String, HardwareError> {
    use time::format_description::well_known::Rfc3339;
    let t = time::OffsetDateTime::parse(raw.trim(), &Rfc3339)
        .map_err(|_| HardwareError(format!("{key} '{raw}' is not an RFC 3339 time")))?;
    t.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .map_err(|e| HardwareError(e.to_string()))
}

impl HistoryFilter {
    /// Whether `e` passes (times compare as RFC 3339 UTC texts).
    pub fn accepts(&self, e: &HwEvent) -> bool {
        (self.ids.is_empty() || self.ids.contains(&e.id))
            && (self.fru_ids.is_empty() || self.fru_ids.contains(&e.fru_id))
            && (self.event_types.is_empty() || self.event_types.contains(&e.event_type))
            && self.start.as_ref().is_none_or(|s| e.timestamp >= *s)
            && self.end.as_ref().is_none_or(|s| e.timestamp <= *s)
    }
}

/// Events grouped by location (`by_fru` false) or by FRU, each group oldest first, groups in
/// the order first seen (as SMD groups them).
pub fn grouped(events: Vec<HwEvent>, by_fru: bool) -> Vec<HwHistory> {
    let mut at: std::collections::HashMap<String, usize> = Default::default();
    let mut out: Vec<HwHistory> = Vec::new();
    for e in events {
        let key = if by_fru {
            e.fru_id.clone()
        } else {
            e.id.to_string()
        };
        match at.get(&key) {
            Some(&i) => out[i].history.push(e),
            None => {
                at.insert(key.clone(), out.len());
                out.push(HwHistory {
                    id: key,
                    history: vec![e],
                });
            }
        }
    }
    out
}

/// The FRU populating a location, as SMD lists FRUs (`HWInventory.1.0.0_HWInventoryByFRU`):
/// the location's `PopulatedFRU`, when it has one with a FRU ID.
pub fn fru_of(hw: &Hardware) -> Option<(String, Value)> {
    let fru = hw.rest.get("PopulatedFRU")?;
    let id = fru.get("FRUID")?.as_str()?.trim();
    if id.is_empty() {
        return None;
    }
    Some((id.to_string(), fru.clone()))
}

/// A location record as a client POSTs it (`HWInventory.1.0.0_HWInventoryByLocation`),
/// checked: an xname `ID`, and a `PopulatedFRU` (when given) with a FRU ID.
pub fn checked_location(raw: Value, at: usize) -> Result<Hardware, HardwareError> {
    let hw: Hardware =
        serde_json::from_value(raw).map_err(|e| HardwareError(format!("Hardware[{at}]: {e}")))?;
    if let Some(fru) = hw.rest.get("PopulatedFRU").filter(|f| !f.is_null()) {
        let id = fru.get("FRUID").and_then(Value::as_str).unwrap_or("");
        if id.trim().is_empty() {
            return Err(HardwareError(format!(
                "Hardware[{at}] ({}): PopulatedFRU has no FRUID",
                hw.id
            )));
        }
    }
    Ok(hw)
}

/// How `Hardware/Query` lays out its answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TreeFormat {
    /// One array per type, nothing nested.
    FullyFlat,
    /// Node subcomponents (processors, memory, drives, ...) nested in their node, PDU outlets
    /// in their PDU; everything else flat. SMD's default.
    #[default]
    NestNodesOnly,
}

impl TreeFormat {
    /// SMD's name, in any case; `Hierarchical` is named by SMD but not built there either.
    pub fn parse(raw: &str) -> Result<TreeFormat, HardwareError> {
        match raw.to_ascii_lowercase().as_str() {
            "fullyflat" => Ok(TreeFormat::FullyFlat),
            "nestnodesonly" => Ok(TreeFormat::NestNodesOnly),
            _ => Err(HardwareError("Invalid format".into())),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            TreeFormat::FullyFlat => "FullyFlat",
            TreeFormat::NestNodesOnly => "NestNodesOnly",
        }
    }
}

/// The array a location of `kind` is listed in (SMD's `HWInventory` keys); None for types SMD
/// keeps no hardware inventory of.
pub fn array_key(kind: HmsType) -> Option<&'static str> {
    use HmsType as T;
    Some(match kind {
        T::Cabinet => "Cabinets",
        T::Chassis => "Chassis",
        T::ComputeModule => "ComputeModules",
        T::RouterModule => "RouterModules",
        T::NodeEnclosure => "NodeEnclosures",
        T::HsnBoard => "HSNBoards",
        T::MgmtSwitch => "MgmtSwitches",
        T::MgmtHlSwitch => "MgmtHLSwitches",
        T::CduMgmtSwitch => "CDUMgmtSwitches",
        T::Node => "Nodes",
        T::NodeAccel => "NodeAccels",
        T::Processor => "Processors",
        T::Memory => "Memory",
        T::Drive => "Drives",
        T::NodeHsnNic => "NodeHsnNics",
        T::CabinetPdu => "CabinetPDUs",
        T::CabinetPduOutlet | T::CabinetPduPowerConnector => "CabinetPDUPowerConnectors",
        T::CmmRectifier => "CMMRectifiers",
        T::NodeEnclosurePowerSupply => "NodeEnclosurePowerSupplies",
        T::NodeAccelRiser => "NodeAccelRisers",
        T::NodeBmc => "NodeBMCs",
        T::RouterBmc => "RouterBMCs",
        _ => return None,
    })
}

/// What a `Hardware/Query` asks for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HwQuery {
    /// Where it starts; None: the whole system (`s0`, `all`).
    pub root: Option<Xname>,
    /// Only these types (and, with `children`, what lies under them).
    pub types: Vec<HmsType>,
    /// Include what lies under the root (SMD's default unless `parents` is asked for alone).
    pub children: bool,
    /// Include the root's ancestors.
    pub parents: bool,
}

fn under(id: &Xname, top: &Xname) -> bool {
    id == top || id.ancestors().any(|a| a == *top)
}

impl HwQuery {
    /// The locations of `all` the query selects, as SMD's query does: with `children` and
    /// `types` (and no `parents`), the locations of those types under the root and everything
    /// under them; otherwise the root (with what lies under it when `children`, or when
    /// `types` is given without `parents`), filtered by type unless both `children` and
    /// `parents` are asked for, plus the root's ancestors when `parents`.
    pub fn select<'a>(&self, all: &'a [Hardware]) -> Vec<&'a Hardware> {
        let typed = |h: &Hardware| self.types.is_empty() || self.types.contains(&h.id.kind());
        let at_root = |h: &Hardware, deep: bool| match &self.root {
            None => true,
            Some(r) if deep => under(&h.id, r),
            Some(r) => h.id == *r,
        };
        if self.children && !self.types.is_empty() && !self.parents {
            let seeds: Vec<&Xname> = all
                .iter()
                .filter(|h| at_root(h, true) && typed(h))
                .map(|h| &h.id)
                .collect();
            return all
                .iter()
                .filter(|h| seeds.iter().any(|s| under(&h.id, s)))
                .collect();
        }
        let deep = self.children || (!self.types.is_empty() && !self.parents);
        let by_type = !(self.types.is_empty() || (self.parents && self.children));
        let ancestors: Vec<Xname> = match (&self.root, self.parents) {
            (Some(r), true) => r
                .ancestors()
                .filter(|a| a.kind() != HmsType::System)
                .collect(),
            _ => Vec::new(),
        };
        all.iter()
            .filter(|h| {
                let picked = at_root(h, deep) && (!by_type || typed(h));
                // Without children, the ancestors take the type filter too.
                let parent = ancestors.contains(&h.id) && (deep || !by_type || typed(h));
                picked || parent
            })
            .collect()
    }
}

/// The node (or PDU) a location nests under in `NestNodesOnly`, if it nests.
fn nest_parent(id: &Xname) -> Option<Xname> {
    use HmsType as T;
    match id.kind() {
        T::Processor | T::NodeAccel | T::Memory | T::Drive | T::NodeHsnNic | T::NodeAccelRiser => {
            id.ancestors().find(|a| a.kind() == T::Node)
        }
        T::CabinetPduOutlet | T::CabinetPduPowerConnector => {
            id.ancestors().find(|a| a.kind() == T::CabinetPdu)
        }
        _ => None,
    }
}

/// SMD's `HWInventory` of `locations`: `XName`, `Format`, and one array per type (naturally
/// sorted); in `NestNodesOnly`, node subcomponents inside their node and outlets inside their
/// PDU (those whose node or PDU is not among them stay flat). Types SMD keeps no inventory of
/// are left out.
pub fn tree(locations: &[&Hardware], xname: &str, format: TreeFormat) -> Value {
    let mut sorted: Vec<&Hardware> = locations
        .iter()
        .copied()
        .filter(|h| array_key(h.id.kind()).is_some())
        .collect();
    sorted.sort_by(|a, b| natural_cmp(a.id.as_str(), b.id.as_str()));
    let record = |h: &Hardware| {
        let mut m = Map::new();
        m.insert("ID".into(), json!(h.id.as_str()));
        m.extend(h.rest.iter().map(|(k, v)| (k.clone(), v.clone())));
        m
    };
    let nested = format == TreeFormat::NestNodesOnly;
    let present: std::collections::HashSet<&Xname> = sorted.iter().map(|h| &h.id).collect();
    // Each parent's nested children, by parent and array.
    let mut children: std::collections::HashMap<Xname, Map<String, Value>> = Default::default();
    if nested {
        for h in &sorted {
            if let Some(p) = nest_parent(&h.id).filter(|p| present.contains(p)) {
                let key = array_key(h.id.kind()).unwrap_or_default();
                let slot = children
                    .entry(p)
                    .or_default()
                    .entry(key.to_string())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(a) = slot {
                    a.push(Value::Object(record(h)));
                }
            }
        }
    }
    let mut out = Map::new();
    out.insert("XName".into(), json!(xname));
    out.insert("Format".into(), json!(format.as_str()));
    for h in &sorted {
        if nested && nest_parent(&h.id).is_some_and(|p| present.contains(&p)) {
            continue;
        }
        let mut r = record(h);
        if let Some(kids) = children.remove(&h.id) {
            r.extend(kids);
        }
        let key = array_key(h.id.kind()).unwrap_or_default();
        if let Value::Array(a) = out
            .entry(key.to_string())
            .or_insert_with(|| Value::Array(Vec::new()))
        {
            a.push(Value::Object(r));
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hw(ids: &[&str]) -> Vec<Hardware> {
        ids.iter()
            .map(|i| Hardware {
                id: Xname::parse(i).unwrap(),
                rest: serde_json::Map::new(),
            })
            .collect()
    }

    fn picked(q: &HwQuery, all: &[Hardware]) -> Vec<String> {
        q.select(all).iter().map(|h| h.id.to_string()).collect()
    }

    #[test]
    fn a_query_selects_as_smds() {
        let all = hw(&[
            "x1",
            "x1c0",
            "x1c0s0",
            "x1c0s0b0n0",
            "x1c0s0b0n0p0",
            "x1c0s1b0n0",
            "x10c0",
        ]);
        let root = |x: &str| Some(Xname::parse(x).unwrap());
        // Children: the root and what lies under it (not x10c0, whose name starts alike).
        let q = HwQuery {
            root: root("x1c0"),
            children: true,
            ..Default::default()
        };
        assert_eq!(picked(&q, &all).len(), 5);
        // Parents alone: the root and its ancestors.
        let q = HwQuery {
            root: root("x1c0s0b0n0"),
            parents: true,
            ..Default::default()
        };
        assert_eq!(picked(&q, &all), ["x1", "x1c0", "x1c0s0", "x1c0s0b0n0"]);
        // Parents with a type, no children: only those of the type.
        let q = HwQuery {
            root: root("x1c0s0b0n0p0"),
            parents: true,
            types: vec![HmsType::Chassis],
            ..Default::default()
        };
        assert_eq!(picked(&q, &all), ["x1c0"]);
        // Parents and children: no type filter at all.
        let q = HwQuery {
            root: root("x1c0s0"),
            parents: true,
            children: true,
            types: vec![HmsType::Node],
        };
        assert_eq!(
            picked(&q, &all),
            ["x1", "x1c0", "x1c0s0", "x1c0s0b0n0", "x1c0s0b0n0p0"]
        );
        // Neither: the root only.
        let q = HwQuery {
            root: root("x1c0s0"),
            ..Default::default()
        };
        assert_eq!(picked(&q, &all), ["x1c0s0"]);
        assert_eq!(
            TreeFormat::parse("FULLYFLAT").unwrap(),
            TreeFormat::FullyFlat
        );
        assert!(TreeFormat::parse("Hierarchical").is_err());
    }
    use serde_json::json;

    fn ev(id: &str, fru: &str, ts: &str, kind: &str) -> HwEvent {
        HwEvent {
            id: Xname::parse(id).unwrap(),
            fru_id: fru.into(),
            timestamp: ts.into(),
            event_type: kind.into(),
        }
    }

    #[test]
    fn events_group_by_location_or_fru_in_first_seen_order() {
        let events = vec![
            ev("x0c0s1b0n0", "F1", "2026-01-01T00:00:00Z", "Detected"),
            ev("x0c0s0b0n0", "F2", "2026-01-02T00:00:00Z", "Detected"),
            ev("x0c0s1b0n0", "F2", "2026-01-03T00:00:00Z", "Detected"),
        ];
        let by_loc = grouped(events.clone(), false);
        assert_eq!(by_loc[0].id, "x0c0s1b0n0");
        assert_eq!(by_loc[0].history.len(), 2);
        let by_fru = grouped(events, true);
        assert_eq!(
            by_fru.iter().map(|h| h.id.as_str()).collect::<Vec<_>>(),
            ["F1", "F2"]
        );
        assert_eq!(by_fru[1].history.len(), 2);
    }

    #[test]
    fn filters_and_their_refusals() {
        assert_eq!(event_type("detected").unwrap(), "Detected");
        assert!(event_type("Exploded")
            .unwrap_err()
            .0
            .contains("Added, Removed"));
        assert_eq!(
            rfc3339("StartTime", "2026-01-01T01:00:00+01:00").unwrap(),
            "2026-01-01T00:00:00Z"
        );
        assert!(rfc3339("StartTime", "yesterday")
            .unwrap_err()
            .0
            .contains("StartTime"));
        let f = HistoryFilter {
            start: Some("2026-01-02T00:00:00Z".into()),
            ..HistoryFilter::default()
        };
        assert!(!f.accepts(&ev("x0c0s0b0n0", "F", "2026-01-01T00:00:00Z", "Detected")));
        assert!(f.accepts(&ev("x0c0s0b0n0", "F", "2026-01-03T00:00:00Z", "Detected")));
    }

    #[test]
    fn a_posted_location_needs_an_xname_and_a_fru_id() {
        let ok = checked_location(
            json!({"ID": "X0C0S0B0N0", "Type": "Node", "PopulatedFRU": {"FRUID": "N1", "Type": "Node"}}),
            0,
        )
        .unwrap();
        assert_eq!(ok.id.as_str(), "x0c0s0b0n0");
        assert_eq!(fru_of(&ok).unwrap().0, "N1");
        assert!(checked_location(json!({"ID": "bogus"}), 3)
            .unwrap_err()
            .0
            .starts_with("Hardware[3]"));
        assert!(checked_location(
            json!({"ID": "x0c0s0b0n0", "PopulatedFRU": {"Type": "Node"}}),
            0
        )
        .unwrap_err()
        .0
        .contains("no FRUID"));
    }
}
