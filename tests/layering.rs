//! The layering in docs/ARCHITECTURE.md, checked: every `crate::<module>` a file under `src/`
//! names must be one its layer may use (faces -> client -> api -> service -> store/redfish ->
//! model). The imports that break it today are listed by file, each with what will fix it; a new
//! one fails this test, and so does a listed one that is gone (take it off the list).

use std::collections::BTreeSet;
use std::path::Path;

/// What each top-level module may name, besides itself.
const ALLOWED: &[(&str, &[&str])] = &[
    ("model", &[]),
    ("fsutil", &[]),
    ("histogram", &[]),
    ("edit", &["model"]),
    ("store", &["model", "fsutil", "histogram"]),
    ("redfish", &["model", "fsutil", "histogram"]),
    // The simulated BMC fleet stands alone: the faces and the demo start it.
    ("sim", &[]),
    (
        "service",
        &["store", "redfish", "model", "fsutil", "histogram"],
    ),
    ("api", &["service", "model", "fsutil", "histogram"]),
    ("client", &["model"]),
    ("tui", &["client", "model", "edit"]),
    // The faces may start a core in-process (the composition root), never reach below it.
    (
        "cli",
        &["client", "tui", "model", "edit", "fsutil", "server", "sim"],
    ),
    // The composition root: it builds everything below the faces, and seeds the demo
    // through the client.
    (
        "server",
        &[
            "api",
            "service",
            "store",
            "redfish",
            "client",
            "sim",
            "model",
            "fsutil",
            "histogram",
        ],
    ),
    ("invariants", &["model"]),
];

/// Imports across the arrows today, by file (issue 21 moves them).
const KNOWN: &[(&str, &str)] = &[
    // The filter grammar the fuzz and property tests share moves out of tui/.
    ("invariants.rs", "tui"),
];

/// The modules a source text names through `crate::`.
fn named(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("crate::") {
        let after = &rest[at + "crate::".len()..];
        let preceded_by_word = rest[..at]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_alphanumeric() || c == '_');
        if !preceded_by_word {
            if let Some(group) = after.strip_prefix('{') {
                out.extend(group_heads(group));
            } else {
                out.insert(ident(after).to_string());
            }
        }
        rest = after;
    }
    out.remove("");
    out
}

/// The first names of each item in `a, b::c, d::{e, f}}`: a, b, d.
fn group_heads(group: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut expect = true;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => break,
            '}' => depth -= 1,
            ',' if depth == 0 => expect = true,
            c if expect && depth == 0 && (c.is_alphabetic() || c == '_') => {
                heads.push(ident(&group[i..]).to_string());
                expect = false;
            }
            _ => {}
        }
    }
    heads
}

fn ident(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

fn sources(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read src") {
        let p = entry.expect("entry").path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn every_import_follows_the_layers() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.sort();
    assert!(files.len() > 50, "found only {} source files", files.len());
    let mut broken = BTreeSet::new();
    for file in &files {
        let rel = file
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let top = rel.split('/').next().unwrap().trim_end_matches(".rs");
        if top == "lib" || top == "main" {
            continue; // the crate root declares every module
        }
        let Some((_, may)) = ALLOWED.iter().find(|(m, _)| *m == top) else {
            panic!("{rel}: module '{top}' has no layer in ALLOWED; give it one");
        };
        let text = std::fs::read_to_string(file).unwrap();
        for target in named(&text) {
            if target != top && !may.contains(&target.as_str()) {
                broken.insert((rel.clone(), target));
            }
        }
    }
    let known: BTreeSet<(String, String)> = KNOWN
        .iter()
        .map(|(f, t)| (f.to_string(), t.to_string()))
        .collect();
    let new: Vec<_> = broken.difference(&known).collect();
    assert!(
        new.is_empty(),
        "imports across the layers (docs/ARCHITECTURE.md): {new:?}"
    );
    let gone: Vec<_> = known.difference(&broken).collect();
    assert!(
        gone.is_empty(),
        "these no longer cross the layers: take them off KNOWN: {gone:?}"
    );
}

#[test]
fn the_scanner_reads_paths_and_groups() {
    let text = "use crate::model::xname::Xname;\nuse crate::{store::Store, service::{a, b}};\n\
                let x = crate::redfish::client::x(0); // notcrate::tui is not a path\n";
    let got: Vec<String> = named(text).into_iter().collect();
    assert_eq!(got, ["model", "redfish", "service", "store"]);
}

/// The crates of the HTTP server side, as a path names them.
const HTTP_SERVER: &[&str] = &["axum", "hyper", "hyper_util", "tower", "tower_http", "http"];

/// The HTTP crates a source text names as paths (`axum::..`, `http::..`).
fn http_named(text: &str) -> BTreeSet<&'static str> {
    let mut out = BTreeSet::new();
    for name in HTTP_SERVER {
        let needle = format!("{name}::");
        let mut rest = text;
        while let Some(at) = rest.find(&needle) {
            let preceded_by_word = rest[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == ':');
            if !preceded_by_word {
                out.insert(*name);
            }
            rest = &rest[at + needle.len()..];
        }
    }
    out
}

#[test]
fn below_the_api_no_file_knows_http_server_types() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut offenders = Vec::new();
    for layer in ["service", "store", "model"] {
        let mut files = Vec::new();
        sources(&src.join(layer), &mut files);
        assert!(!files.is_empty(), "no files under src/{layer}");
        for file in files {
            let text = std::fs::read_to_string(&file).unwrap();
            let named = http_named(&text);
            if !named.is_empty() {
                offenders.push(format!("{}: {named:?}", file.display()));
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "service/, store/ and model/ take and return domain types; HTTP belongs to api/: \
         {offenders:?}"
    );
}

#[test]
fn the_http_scanner_finds_crate_paths_only() {
    let text = "use axum::Router;\nlet u = \"https://x\"; let m = reqwest::Method::GET;\n\
                let h = my_http::x; let s = super::http::y;\n";
    assert_eq!(http_named(text).into_iter().collect::<Vec<_>>(), ["axum"]);
}
