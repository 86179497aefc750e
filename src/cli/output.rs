//! What the scriptable nouns share: output formats, targets (xnames, hostlists or stdin), and
//! exit codes (0 ok, 1 request failed, 2 usage, 3 some targets failed).

use std::io::{BufRead, IsTerminal, Write};
use std::process::ExitCode;

use clap::ValueEnum;
use serde_json::Value;

use crate::model::hostlist;
use crate::model::xname::Xname;

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns (the default on a terminal).
    Table,
    /// JSON (the default in a pipe).
    Json,
    /// YAML.
    Yaml,
    /// One name per line, for the next command's `-`.
    Name,
}

/// The format asked for, or table on a terminal and JSON in a pipe.
pub fn format_or_default(asked: Option<Format>) -> Format {
    asked.unwrap_or_else(|| {
        if std::io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::Json
        }
    })
}

/// Why a command failed, with its exit code.
#[derive(Debug)]
pub enum Failure {
    /// The command line is wrong (2).
    Usage(String),
    /// A request failed (1).
    Request(String),
    /// Some targets failed; they were named on stderr (3).
    Partial,
    /// Standard output was closed (the reader of a pipe quit, as `| head` does): the command
    /// ends quietly (0).
    Closed,
}

impl From<crate::client::ClientError> for Failure {
    fn from(e: crate::client::ClientError) -> Self {
        Failure::Request(e.to_string())
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Request(format!("{e:#}"))
    }
}

/// The exit code of a result, with the error on stderr.
pub fn exit(result: Result<(), Failure>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(m)) => {
            eprintln!("chami: {m}");
            ExitCode::from(2)
        }
        Err(Failure::Request(m)) => {
            eprintln!("chami: {m}");
            ExitCode::FAILURE
        }
        Err(Failure::Partial) => ExitCode::from(3),
        Err(Failure::Closed) => ExitCode::SUCCESS,
    }
}

fn write_stdout(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}

/// Writes `text` to standard output. A reader that quit is [`Failure::Closed`], not a panic.
pub fn out(text: &str) -> Result<(), Failure> {
    write_stdout(text).map_err(|e| match e.kind() {
        std::io::ErrorKind::BrokenPipe => Failure::Closed,
        _ => Failure::Request(format!("cannot write to standard output: {e}")),
    })
}

/// [`out`] for commands that report with `anyhow`: a closed output is success.
pub fn out_or_closed(text: &str) -> anyhow::Result<()> {
    match write_stdout(text) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::anyhow!("cannot write to standard output: {e}"))
        }
        _ => Ok(()),
    }
}

/// The words of `args`, each `-` replaced by the words on standard input (blank lines and
/// `#` comments skipped).
pub fn words(args: &[String]) -> Result<Vec<String>, Failure> {
    let mut words: Vec<String> = Vec::new();
    for a in args {
        if a == "-" {
            for line in std::io::stdin().lock().lines() {
                let line = line.map_err(|e| Failure::Usage(format!("reading stdin: {e}")))?;
                let line = line.trim();
                if !line.is_empty() && !line.starts_with('#') {
                    words.extend(line.split_whitespace().map(String::from));
                }
            }
        } else {
            words.push(a.clone());
        }
    }
    Ok(words)
}

/// The xnames named by `args`: xnames, hostlists (`x1000c0s[0-3]b0n[0-1]`), or `-` for
/// standard input (one per line; blank lines and `#` comments skipped). Normalised, in order,
/// without repeats; a bad one is a usage error naming it.
pub fn targets(args: &[String]) -> Result<Vec<String>, Failure> {
    expand_words(&words(args)?)
}

/// [`targets`] without stdin.
pub fn expand_words(words: &[String]) -> Result<Vec<String>, Failure> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for w in words {
        let names = if w.contains('[') || w.contains(',') {
            hostlist::expand(w).map_err(|e| Failure::Usage(format!("bad hostlist '{w}': {e}")))?
        } else {
            vec![w.clone()]
        };
        for n in names {
            let x = Xname::parse(&n).map_err(|e| Failure::Usage(format!("'{n}': {e}")))?;
            if seen.insert(x.to_string()) {
                out.push(x.to_string());
            }
        }
    }
    if out.is_empty() {
        return Err(Failure::Usage(
            "no targets: name xnames or hostlists, or - to read them from stdin".into(),
        ));
    }
    Ok(out)
}

/// The text of `v` at `path` (`a.b`; a step into an array goes into each element), empty
/// when missing.
fn cell(v: &Value, path: &str) -> String {
    let mut at = vec![v];
    for k in path.split('.') {
        at = at
            .into_iter()
            .flat_map(|x| match x {
                Value::Array(items) => items.iter().map(|i| &i[k]).collect(),
                other => vec![&other[k]],
            })
            .collect();
    }
    joined(
        at.iter()
            .filter(|x| !x.is_null())
            .map(|x| text(x))
            .collect(),
    )
}

/// A value as table text: strings bare, arrays [`joined`].
fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(a) => joined(a.iter().map(text).collect()),
        other => other.to_string(),
    }
}

/// Items joined with commas; xnames as one hostlist (`x1000c0s[0-7]b0n0`), which is what
/// the other commands take back.
fn joined(items: Vec<String>) -> String {
    if items.len() > 1 && items.iter().all(|i| Xname::parse(i).is_ok()) {
        return hostlist::compress(&items);
    }
    items.join(",")
}

/// Aligned columns: `(title, path into each row)`; trailing spaces dropped.
pub fn table(rows: &[Value], columns: &[(&str, &str)]) -> String {
    let cells: Vec<Vec<String>> = rows
        .iter()
        .map(|r| columns.iter().map(|(_, p)| cell(r, p)).collect())
        .collect();
    let mut width: Vec<usize> = columns.iter().map(|(t, _)| t.len()).collect();
    for row in &cells {
        for (w, c) in width.iter_mut().zip(row) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |items: Vec<&str>| {
        let mut s = String::new();
        for (i, (c, w)) in items.iter().zip(&width).enumerate() {
            if i > 0 {
                s.push_str("  ");
            }
            s.push_str(c);
            let pad = w.saturating_sub(c.chars().count());
            s.extend(std::iter::repeat_n(' ', pad));
        }
        s.trim_end().to_string()
    };
    let mut out = line(columns.iter().map(|(t, _)| *t).collect());
    out.push('\n');
    for row in &cells {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
        out.push('\n');
    }
    out
}

/// Prints those of `rows` whose `ID` is one of `names` and, on stderr, `chami: NAME: missing`
/// for each name no row has (exit 3 when some are missing).
pub fn print_found(
    rows: Vec<Value>,
    names: &[String],
    format: Option<Format>,
    columns: &[(&str, &str)],
    missing: &str,
) -> Result<(), Failure> {
    let has = |r: &Value, n: &str| r["ID"] == n;
    let rows: Vec<Value> = rows
        .into_iter()
        .filter(|r| names.iter().any(|n| has(r, n)))
        .collect();
    print(format_or_default(format), &rows, columns, "ID")?;
    let absent: Vec<&String> = names
        .iter()
        .filter(|n| !rows.iter().any(|r| has(r, n)))
        .collect();
    for n in &absent {
        eprintln!("chami: {n}: {missing}");
    }
    if absent.is_empty() {
        Ok(())
    } else {
        Err(Failure::Partial)
    }
}

/// Prints `rows` in `format`: `columns` for a table, `name` (a path) for `-o name`.
pub fn print(
    format: Format,
    rows: &[Value],
    columns: &[(&str, &str)],
    name: &str,
) -> Result<(), Failure> {
    let text = match format {
        Format::Table => table(rows, columns),
        Format::Json => {
            serde_json::to_string_pretty(rows).map_err(|e| Failure::Request(e.to_string()))? + "\n"
        }
        Format::Yaml => serde_yaml::to_string(rows).map_err(|e| Failure::Request(e.to_string()))?,
        Format::Name => rows.iter().map(|r| cell(r, name) + "\n").collect(),
    };
    out(&text)
}

/// Deletes each of `names` with `delete_one`, naming each one deleted on stdout and each failure on
/// stderr (exit 3 when some failed).
pub async fn delete_each(
    names: &[String],
    delete_one: impl AsyncFn(&str) -> Result<(), crate::client::ClientError>,
) -> Result<(), Failure> {
    let mut failed = false;
    for n in names {
        match delete_one(n).await {
            Ok(()) => out(&format!("{n}\n"))?,
            Err(crate::client::ClientError::Api { status: 404, .. }) => {
                eprintln!("chami: {n}: not found");
                failed = true;
            }
            Err(e) => {
                eprintln!("chami: {n}: {e}");
                failed = true;
            }
        }
    }
    if failed {
        return Err(Failure::Partial);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn words_expand_to_normal_xnames_without_repeats() {
        let got = expand_words(&[
            "x1000c0s[0-1]b0n0".into(),
            "X1000C0S1B0N0".into(),
            "x1000c0s5b0n1,x1000c0s6b0n1".into(),
        ])
        .unwrap();
        assert_eq!(
            got,
            [
                "x1000c0s0b0n0",
                "x1000c0s1b0n0",
                "x1000c0s5b0n1",
                "x1000c0s6b0n1"
            ]
        );
        assert!(
            matches!(expand_words(&["bogus".into()]), Err(Failure::Usage(m)) if m.contains("'bogus'"))
        );
        assert!(matches!(expand_words(&[]), Err(Failure::Usage(_))));
    }

    #[test]
    fn tables_align_and_read_nested_paths() {
        let rows = [
            json!({"ID": "x1", "State": "On", "m": {"g": ["a", "b"]}}),
            json!({"ID": "x1000c0s0b0n0", "State": null, "m": [{"g": "c"}, {"g": ["d"]}]}),
        ];
        assert_eq!(
            table(
                &rows,
                &[("ID", "ID"), ("STATE", "State"), ("GROUPS", "m.g")]
            ),
            "ID             STATE  GROUPS\nx1             On     a,b\nx1000c0s0b0n0         c,d\n"
        );
        // Lists of xnames are one hostlist; a list with anything else stays as it is.
        let rows = [
            json!({"n": ["x1000c0s0b0n0", "x1000c0s1b0n0", "x1000c0s2b0n0"]}),
            json!({"n": ["x1000c0s0b0n0", "blue"]}),
        ];
        assert_eq!(
            table(&rows, &[("N", "n")]),
            "N\nx1000c0s[0-2]b0n0\nx1000c0s0b0n0,blue\n"
        );
    }
}
