//! Property tests: the invariants of `chami::invariants` over generated input, both shaped
//! (real-looking xnames, hostlists, filters, bodies) and arbitrary. The fuzz targets in
//! `fuzz/` check the same functions with coverage guidance.

use chami::invariants;
use proptest::prelude::*;

/// Node xnames of a few cabinets, as a site has them.
fn node_xname() -> impl Strategy<Value = String> {
    (1000u32..1004, 0u32..8, 0u32..8, 0u32..2, 0u32..4)
        .prop_map(|(x, c, s, b, n)| format!("x{x}c{c}s{s}b{b}n{n}"))
}

/// xnames of any level, with odd case and padding the parser normalizes.
fn any_level_xname() -> impl Strategy<Value = String> {
    (
        0u32..10_000,
        0u32..8,
        0u32..65,
        0u32..2,
        0u32..8,
        0usize..6,
        any::<bool>(),
    )
        .prop_map(|(x, c, s, b, n, depth, upper)| {
            let parts = [
                format!("x{x}"),
                format!("c{c}"),
                format!("s{s}"),
                format!("b{b}"),
                format!("n{n:02}"),
                "p0".to_string(),
            ];
            let t = parts[..depth.max(1)].concat();
            if upper {
                t.to_uppercase()
            } else {
                t
            }
        })
}

/// A console filter built from its grammar's pieces.
fn filter_text() -> impl Strategy<Value = String> {
    let word = prop_oneof![
        Just("state=ready".to_string()),
        Just("role=Compute,Management".to_string()),
        Just("state!=off".to_string()),
        Just("enabled=false".to_string()),
        Just("x1000c0s[0-1]b0n0".to_string()),
        Just("nid=1".to_string()),
        "[a-z0-9]{1,6}",
        "[a-z]{1,8}=[a-z0-9,]{0,6}",
    ];
    prop::collection::vec((any::<bool>(), word), 1..4).prop_map(|ws| {
        ws.into_iter()
            .map(|(not, w)| if not { format!("!{w}") } else { w })
            .collect::<Vec<_>>()
            .join(" ")
    })
}

/// JSON bodies shaped like the write endpoints', with values that are sometimes wrong.
fn body() -> impl Strategy<Value = Vec<u8>> {
    let text = prop_oneof![
        node_xname(),
        any_level_xname(),
        Just(String::new()),
        Just("compute".to_string()),
        Just("Ready".to_string()),
        Just("On".to_string()),
        Just("http://10.0.0.1/k".to_string()),
        Just("a && b".to_string()),
        ".{0,12}",
    ];
    let value = prop_oneof![
        text.clone().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<bool>().prop_map(serde_json::Value::from),
        prop::collection::vec(text.clone(), 0..4).prop_map(serde_json::Value::from),
    ];
    let keys = prop_oneof![
        Just("ID"),
        Just("State"),
        Just("Role"),
        Just("NID"),
        Just("Enabled"),
        Just("Flag"),
        Just("kernel"),
        Just("params"),
        Just("hosts"),
        Just("tenantname"),
        Just("operation"),
        Just("FQDN"),
        Just("MACAddress"),
        Just("ComponentID"),
    ];
    let object = prop::collection::btree_map(keys, value, 0..6).prop_map(|m| {
        serde_json::Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())
    });
    prop_oneof![
        object
            .clone()
            .prop_map(|o| serde_json::to_vec(&o).unwrap_or_default()),
        prop::collection::vec(object, 0..3)
            .prop_map(|l| serde_json::to_vec(&l).unwrap_or_default()),
        (node_xname(), prop::collection::vec(node_xname(), 1..4)).prop_map(|(name, xs)| {
            serde_json::to_vec(&serde_json::json!({"tenantname": "t1", "tenantresources": [
                {"type": "compute", "xnames": xs, "hsmgrouplabel": name}]}))
            .unwrap_or_default()
        }),
        prop::collection::vec(any::<u8>(), 0..64),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn xnames_are_canonical(s in any_level_xname()) {
        invariants::xname(&s);
        // Shaped ones parse at all: the generator is not just feeding noise.
        prop_assert!(chami::model::xname::Xname::parse(&s).is_ok(), "{s}");
    }

    #[test]
    fn arbitrary_text_never_breaks_the_xname_parser(s in ".{0,40}") {
        invariants::xname(&s);
    }

    #[test]
    fn node_sets_survive_compression(names in prop::collection::vec(node_xname(), 1..40)) {
        invariants::names_round_trip(&names);
    }

    #[test]
    fn hostlists_round_trip(s in "[a-z]{0,3}(\\[[0-9]{1,2}(-[0-9]{1,2})?(,[0-9]{1,2})?\\])?[a-z0-9]{0,3}(,[a-z]{1,3}[0-9]{0,2})?") {
        invariants::hostlist(&s);
    }

    #[test]
    fn arbitrary_text_never_breaks_the_hostlist_parser(s in ".{0,40}") {
        invariants::hostlist(&s);
    }

    #[test]
    fn filters_invert_and_narrow(text in filter_text()) {
        invariants::filter(&text);
    }

    #[test]
    fn arbitrary_text_never_breaks_the_filter(s in ".{0,30}") {
        invariants::filter(&s);
    }

    #[test]
    fn write_bodies_check_without_panics_and_normalize_once(data in body()) {
        invariants::bodies(&data);
    }
}
