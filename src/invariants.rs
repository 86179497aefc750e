//! Properties the parsers and the write-body checks keep for any input, written once for the
//! property tests (`tests/properties.rs`) and the fuzz targets (`fuzz/`). Each function takes
//! arbitrary input and panics when a property fails; an input that is simply invalid is fine.

use std::collections::BTreeSet;

use crate::model::boot::{BootData, BootParams};
use crate::model::component::{Component, ComponentInput};
use crate::model::ethernet::EthInterfaceInput;
use crate::model::hostlist;
use crate::model::power::{Operation, TransitionCreate};
use crate::model::redfish::EndpointInput;
use crate::model::tenant::TenantSpec;
use crate::model::xname::Xname;
use crate::tui::filter::Filter;
use crate::tui::state::Row;

/// An xname that parses is in canonical form: parsing its text gives it back, and its parent
/// is a prefix of it (a cabinet's parent is the system, `s0`).
pub fn xname(s: &str) {
    let Ok(x) = Xname::parse(s) else { return };
    let again = Xname::parse(x.as_str())
        .unwrap_or_else(|e| panic!("{s:?} parsed as {x} which does not parse again: {e}"));
    assert_eq!(again, x, "{s:?}");
    assert_eq!(again.as_str(), x.as_str(), "{s:?}");
    if let Some(p) = x.parent() {
        assert!(
            x.as_str().starts_with(p.as_str()) || p.as_str() == "s0",
            "{x}'s parent {p}"
        );
    }
}

/// A hostlist that expands compresses to one that expands to the same names, and compressing
/// that again changes nothing.
pub fn hostlist(s: &str) {
    let Ok(names) = hostlist::expand(s) else {
        return;
    };
    // compress documents that these names cannot be written as a hostlist.
    let writable = |n: &String| {
        !n.is_empty()
            && !n.contains(|c: char| c == '[' || c == ']' || c == ',' || c.is_whitespace())
    };
    if !names.iter().all(writable) {
        return;
    }
    names_round_trip(&names);
}

/// Names compress to a hostlist that expands to the same set; compression is stable.
pub fn names_round_trip(names: &[String]) {
    let want: BTreeSet<&str> = names.iter().map(String::as_str).collect();
    let short = hostlist::compress(names);
    let back = hostlist::expand(&short)
        .unwrap_or_else(|e| panic!("compress({names:?}) = {short:?} does not expand: {e}"));
    let got: BTreeSet<&str> = back.iter().map(String::as_str).collect();
    assert_eq!(got, want, "compress gave {short:?}");
    assert_eq!(hostlist::compress(&back), short, "compression is stable");
}

/// A console filter that parses never panics on a row; a single word and its `!` form
/// disagree on every row; and a second word never lets more rows through.
pub fn filter(text: &str) {
    let Ok(f) = Filter::parse(text) else { return };
    let rows = sample_rows();
    for r in &rows {
        f.accepts(r);
    }
    let words: Vec<&str> = text.split_whitespace().collect();
    if let [one] = words.as_slice() {
        if !one.starts_with('!') {
            if let Ok(not) = Filter::parse(&format!("!{one}")) {
                for r in &rows {
                    assert_ne!(
                        f.accepts(r),
                        not.accepts(r),
                        "{one:?} and !{one} on {}",
                        r.xname
                    );
                }
            }
        }
    }
    if let Some(first) = words.first() {
        if let Ok(narrow) = Filter::parse(first) {
            for r in rows.iter().filter(|r| f.accepts(r)) {
                assert!(
                    narrow.accepts(r),
                    "{text:?} lets {} through, {first:?} not",
                    r.xname
                );
            }
        }
    }
}

fn sample_rows() -> Vec<Row> {
    let c = |json: serde_json::Value| -> Row {
        let c: Component = serde_json::from_value(json).unwrap_or_else(|e| panic!("{e}"));
        Row::new(&c, None)
    };
    vec![
        c(
            serde_json::json!({"ID": "x1000c0s0b0n0", "Type": "Node", "State": "Ready",
            "Role": "Compute", "NID": 1, "Arch": "X86"}),
        ),
        c(serde_json::json!({"ID": "x1000c0s1b0", "Type": "NodeBMC", "State": "Off"})),
        c(
            serde_json::json!({"ID": "x3000c0s19b1n0", "Type": "Node", "State": "Standby",
            "Role": "Management", "Enabled": false}),
        ),
    ]
}

/// The main write bodies: whatever the bytes, deserializing and checking never panics, and
/// what a check accepts it accepts again unchanged (checks normalize once).
pub fn bodies(data: &[u8]) {
    if let Ok(list) = serde_json::from_slice::<Vec<ComponentInput>>(data) {
        for input in list {
            if let Ok(c) = input.validate("Components[0]") {
                let again: ComponentInput = serde_json::to_value(&c)
                    .and_then(serde_json::from_value)
                    .unwrap_or_else(|e| panic!("{c:?} does not serialize back: {e}"));
                let c2 = again
                    .validate("again")
                    .unwrap_or_else(|e| panic!("{c:?} accepted once, then refused: {e}"));
                assert_eq!(c2, c);
            }
        }
    }
    if let Ok(p) = serde_json::from_slice::<BootParams>(data) {
        let _ = BootData::of(&p).validate();
    }
    if let Ok(mut spec) = serde_json::from_slice::<TenantSpec>(data) {
        if spec.validate().is_ok() {
            let mut again = spec.clone();
            again
                .validate()
                .unwrap_or_else(|e| panic!("a valid spec was refused the second time: {e}"));
            assert_eq!(again, spec, "validation normalizes once");
            assert!(
                spec.check_change(&spec).is_ok(),
                "no change is a valid change"
            );
        }
    }
    if let Ok(t) = serde_json::from_slice::<TransitionCreate>(data) {
        let _ = Operation::parse(&t.operation);
        for l in &t.location {
            xname(&l.xname);
        }
    }
    if let Ok(e) = serde_json::from_slice::<EndpointInput>(data) {
        let _ = e.validate();
    }
    if let Ok(i) = serde_json::from_slice::<EthInterfaceInput>(data) {
        let _ = i.validate("2026-12-01T00:00:00Z");
    }
}
