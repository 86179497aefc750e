//! The `/` filter grammar of the inventory view. Words are ANDed:
//! - `field=value` (or `field!=value`): `xname type state flag enabled role subrole nid arch
//!   class group partition`; values are case-insensitive, `a,b` means either;
//! - a hostlist or xname with brackets, e.g. `x1000c0s[0-3]b0n[0-1]`: rows with those xnames;
//! - anything else: a case-insensitive substring of the row's text;
//! - `!` before any word inverts it.

use std::collections::HashSet;

use super::state::Row;

/// A parsed filter; the empty filter accepts every row.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filter {
    terms: Vec<(bool, Term)>,
}

#[derive(Debug, Clone, PartialEq)]
enum Term {
    Field(Field, Vec<String>),
    Hostlist(HashSet<String>),
    Text(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Xname,
    Type,
    State,
    Flag,
    Enabled,
    Role,
    SubRole,
    Nid,
    Arch,
    Class,
    Group,
    Partition,
}

const FIELDS: &[(&str, Field)] = &[
    ("xname", Field::Xname),
    ("id", Field::Xname),
    ("type", Field::Type),
    ("state", Field::State),
    ("flag", Field::Flag),
    ("enabled", Field::Enabled),
    ("role", Field::Role),
    ("subrole", Field::SubRole),
    ("nid", Field::Nid),
    ("arch", Field::Arch),
    ("class", Field::Class),
    ("group", Field::Group),
    ("partition", Field::Partition),
];

/// The field names the grammar knows, for help and completion.
pub fn field_names() -> impl Iterator<Item = &'static str> {
    FIELDS.iter().map(|(n, _)| *n).filter(|n| *n != "id")
}

impl Filter {
    /// Parses filter text; an error names the word at fault (the previous filter should stay).
    pub fn parse(text: &str) -> Result<Filter, String> {
        let mut terms = Vec::new();
        for word in text.split_whitespace() {
            let (neg, word) = match word.strip_prefix('!') {
                Some(rest) => (true, rest),
                None => (false, word),
            };
            if word.is_empty() {
                continue;
            }
            if let Some((key, value)) = word.split_once('=') {
                let (key, neg) = match key.strip_suffix('!') {
                    Some(k) => (k, !neg),
                    None => (key, neg),
                };
                let field = FIELDS
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case(key))
                    .map(|(_, f)| *f)
                    .ok_or_else(|| {
                        format!(
                            "unknown field '{key}' (use {})",
                            field_names().collect::<Vec<_>>().join(", ")
                        )
                    })?;
                let values: Vec<String> = value
                    .split(',')
                    .filter(|v| !v.is_empty())
                    .map(str::to_ascii_lowercase)
                    .collect();
                if values.is_empty() {
                    return Err(format!("'{word}' has no value"));
                }
                terms.push((neg, Term::Field(field, values)));
            } else if word.contains('[') || word.contains(',') {
                // A hostlist, or names joined by commas (as `compress` writes them).
                let ids = crate::model::hostlist::expand(word)
                    .map_err(|e| format!("bad hostlist '{word}': {e}"))?;
                terms.push((
                    neg,
                    Term::Hostlist(ids.into_iter().map(|s| s.to_ascii_lowercase()).collect()),
                ));
            } else {
                terms.push((neg, Term::Text(word.to_ascii_lowercase())));
            }
        }
        Ok(Filter { terms })
    }

    /// True when the filter has no words.
    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// Whether `row` passes every word.
    pub fn accepts(&self, row: &Row) -> bool {
        self.terms.iter().all(|(neg, t)| t.matches(row) != *neg)
    }
}

impl Term {
    fn matches(&self, row: &Row) -> bool {
        match self {
            Term::Text(s) => row.search_text().contains(s.as_str()),
            Term::Hostlist(ids) => ids.contains(row.xname.as_str()),
            Term::Field(field, values) => {
                let any = |v: &str| values.iter().any(|x| x.eq_ignore_ascii_case(v));
                match field {
                    Field::Xname => any(row.xname.as_str()),
                    Field::Type => any(&row.kind),
                    Field::State => any(&row.state),
                    Field::Flag => any(&row.flag),
                    Field::Enabled => any(if row.enabled { "true" } else { "false" }),
                    Field::Role => any(&row.role),
                    Field::SubRole => any(&row.subrole),
                    Field::Nid => any(&row.nid),
                    Field::Arch => any(&row.arch),
                    Field::Class => any(&row.class),
                    Field::Group => row.groups.iter().any(|g| any(g)),
                    Field::Partition => any(&row.partition),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(xname: &str, state: &str, role: &str, groups: &[&str]) -> Row {
        Row {
            xname: xname.parse().unwrap(),
            kind: "Node".into(),
            state: state.into(),
            flag: "OK".into(),
            enabled: true,
            role: role.into(),
            subrole: String::new(),
            nid: "7".into(),
            arch: "X86".into(),
            class: String::new(),
            groups: groups.iter().map(|g| g.to_string()).collect(),
            partition: "p1".into(),
            search: String::new(),
        }
        .indexed()
    }

    fn ok(f: &str, r: &Row) -> bool {
        Filter::parse(f).unwrap().accepts(r)
    }

    #[test]
    fn grammar() {
        let a = row("x1000c0s0b0n0", "Off", "Compute", &["blue"]);
        let b = row("x1000c0s5b0n1", "Ready", "Management", &[]);
        assert!(ok("", &a));
        assert!(ok("state=off", &a) && !ok("state=off", &b));
        assert!(ok("state=Off role=Compute", &a));
        assert!(!ok("state=Off role=Management", &a));
        assert!(ok("state=off,ready", &b));
        assert!(ok("!state=off", &b) && !ok("!state=off", &a));
        assert!(ok("state!=off", &b));
        assert!(ok("group=blue", &a) && !ok("group=blue", &b));
        assert!(ok("x1000c0s[0-3]b0n[0-1]", &a) && !ok("x1000c0s[0-3]b0n[0-1]", &b));
        assert!(ok("s5b0", &b) && !ok("s5b0", &a));
        assert!(ok("manage", &b), "substring over the row text");
        assert!(ok("!manage", &a));
        assert!(ok("partition=p1 nid=7 arch=x86 enabled=true", &a));
    }

    #[test]
    fn errors_name_the_word() {
        assert!(Filter::parse("colour=red")
            .unwrap_err()
            .contains("unknown field 'colour'"));
        assert!(Filter::parse("state=").unwrap_err().contains("no value"));
        assert!(Filter::parse("x1000c0s[3-1]")
            .unwrap_err()
            .contains("bad hostlist"));
    }
}
