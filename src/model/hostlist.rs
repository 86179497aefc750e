//! Hostlists: expanding and compressing the compact name sets (`nid[001-128]`, `x1000c0s[0-3]b0n[0-1]`) that Slurm and pdsh write.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::fmt::Write;

use super::enums::shorten;
use super::xname::natural_cmp;

/// The most names one hostlist may expand to; larger patterns are refused before anything is allocated.
pub const MAX_EXPANSION: usize = 1_000_000;

// A bound on the bytes of an expansion as well, so a long literal part times a
// big range cannot exhaust memory while staying under the name limit.
const MAX_EXPANSION_BYTES: u64 = 256 << 20;

/// The longest number (in digits) a range may use; keeps values in u64 and names short.
const MAX_DIGITS: usize = 18;

/// How much of a pattern error messages quote.
const SHOWN: usize = 80;

/// Why a hostlist cannot be expanded; positions count characters from 1.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HostlistError {
    /// Nothing but whitespace was given.
    #[error("hostlist is empty")]
    Empty,
    /// A '[' is never closed.
    #[error("hostlist '{input}' has an unclosed '[' at position {pos}")]
    Unclosed {
        /// The pattern, cut short if long.
        input: String,
        /// Where the '[' is.
        pos: usize,
    },
    /// A ']' has no '[' before it.
    #[error("hostlist '{input}' has a ']' with no matching '[' at position {pos}")]
    UnmatchedClose {
        /// The pattern, cut short if long.
        input: String,
        /// Where the ']' is.
        pos: usize,
    },
    /// A '[' inside another bracket.
    #[error(
        "hostlist '{input}' has a '[' inside brackets at position {pos} (brackets do not nest)"
    )]
    Nested {
        /// The pattern, cut short if long.
        input: String,
        /// Where the inner '[' is.
        pos: usize,
    },
    /// Two commas in a row, or a comma at either end.
    #[error("hostlist '{input}' has an empty name at position {pos}")]
    EmptyName {
        /// The pattern, cut short if long.
        input: String,
        /// Where the name should be.
        pos: usize,
    },
    /// Whitespace inside a name rather than around a comma.
    #[error("hostlist '{input}' has whitespace inside a name at position {pos}")]
    Whitespace {
        /// The pattern, cut short if long.
        input: String,
        /// Where the whitespace is.
        pos: usize,
    },
    /// Brackets with nothing (or nothing between commas) inside.
    #[error(
        "hostlist '{input}' has an empty range at position {pos} (expected a number or low-high)"
    )]
    EmptyRange {
        /// The pattern, cut short if long.
        input: String,
        /// Where the range should be.
        pos: usize,
    },
    /// A range that is not `N` or `N-M` with decimal digits.
    #[error("hostlist '{input}' has a non-numeric range '{range}' at position {pos} (expected a number or low-high)")]
    NotNumeric {
        /// The pattern, cut short if long.
        input: String,
        /// Where the range starts.
        pos: usize,
        /// The range as written.
        range: String,
    },
    /// A range whose low end is above its high end.
    #[error("hostlist '{input}' has a reversed range '{range}' at position {pos} (write the low end first)")]
    Reversed {
        /// The pattern, cut short if long.
        input: String,
        /// Where the range starts.
        pos: usize,
        /// The range as written.
        range: String,
    },
    /// A number with more digits than a range may use.
    #[error("hostlist '{input}' has a number too large in '{range}' at position {pos} (at most {MAX_DIGITS} digits)")]
    TooLarge {
        /// The pattern, cut short if long.
        input: String,
        /// Where the range starts.
        pos: usize,
        /// The range as written.
        range: String,
    },
    /// The pattern names more than [`MAX_EXPANSION`] hosts (or too many bytes of them).
    #[error("hostlist '{input}' expands to more than {MAX_EXPANSION} names (or too much text); narrow the ranges")]
    TooMany {
        /// The pattern, cut short if long.
        input: String,
    },
}

/// Whether `s` needs expanding, i.e. contains a bracket range or a comma list.
pub fn is_hostlist(s: &str) -> bool {
    s.contains(['[', ','])
}

/// Inclusive run of numbers, each zero-padded to `width` digits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Item {
    lo: u64,
    hi: u64,
    width: usize,
}

impl Item {
    fn len(&self) -> u64 {
        (self.hi - self.lo).saturating_add(1)
    }
}

/// A piece of one name pattern: literal text or a bracketed set.
enum Part<'a> {
    Text(&'a str),
    Set(Vec<Item>),
}

/// Builds errors that quote the pattern and point at a byte offset in it.
struct Pattern<'a>(&'a str);

impl Pattern<'_> {
    fn shown(&self) -> String {
        shorten(self.0, SHOWN)
    }

    fn pos(&self, byte: usize) -> usize {
        self.0[..byte].chars().count() + 1
    }
}

/// Expands a hostlist into its names, in the order written, without duplicates.
///
/// Top-level commas separate names; commas inside brackets separate ranges.
/// A range keeps the zero padding of its low end (`nid[001-010]`).
pub fn expand(pattern: &str) -> Result<Vec<String>, HostlistError> {
    expand_within(pattern, MAX_EXPANSION, MAX_EXPANSION_BYTES)
}

/// As [`expand`], refusing (`TooMany`, before anything is allocated) a pattern of more than
/// `max_names` names or `max_bytes` bytes of them.
pub fn expand_within(
    pattern: &str,
    max_names: usize,
    max_bytes: u64,
) -> Result<Vec<String>, HostlistError> {
    if pattern.trim().is_empty() {
        return Err(HostlistError::Empty);
    }
    let p = Pattern(pattern);
    let mut terms = Vec::new();
    let mut names: u64 = 0;
    let mut bytes: u64 = 0;
    for (start, end) in split_names(&p)? {
        let parts = parse_name(&p, start, end)?;
        let (count, longest) = measure(&parts);
        names = names.saturating_add(count);
        bytes = bytes.saturating_add(count.saturating_mul(longest));
        if names > max_names as u64 || bytes > max_bytes {
            return Err(HostlistError::TooMany { input: p.shown() });
        }
        terms.push(parts);
    }
    let mut out = Vec::with_capacity(names as usize);
    for parts in &terms {
        generate(parts, &mut out);
    }
    dedup_in_order(&mut out);
    Ok(out)
}

/// Splits at top-level commas and checks brackets; returns the byte range of each trimmed name.
fn split_names(p: &Pattern) -> Result<Vec<(usize, usize)>, HostlistError> {
    let mut out = Vec::new();
    let mut open: Option<usize> = None;
    let mut start = 0;
    for (i, c) in p.0.char_indices() {
        match c {
            '[' if open.is_some() => {
                return Err(HostlistError::Nested {
                    input: p.shown(),
                    pos: p.pos(i),
                })
            }
            '[' => open = Some(i),
            ']' if open.is_none() => {
                return Err(HostlistError::UnmatchedClose {
                    input: p.shown(),
                    pos: p.pos(i),
                })
            }
            ']' => open = None,
            ',' if open.is_none() => {
                out.push(trimmed(p, start, i)?);
                start = i + 1;
            }
            _ => {}
        }
    }
    if let Some(i) = open {
        return Err(HostlistError::Unclosed {
            input: p.shown(),
            pos: p.pos(i),
        });
    }
    out.push(trimmed(p, start, p.0.len())?);
    Ok(out)
}

/// The byte range of `start..end` without surrounding whitespace; empty is an error.
fn trimmed(p: &Pattern, start: usize, end: usize) -> Result<(usize, usize), HostlistError> {
    let raw = &p.0[start..end];
    let lead = raw.len() - raw.trim_start().len();
    let len = raw.trim().len();
    if len == 0 {
        return Err(HostlistError::EmptyName {
            input: p.shown(),
            pos: p.pos(start),
        });
    }
    Ok((start + lead, start + lead + len))
}

/// Parses one name (brackets already known to be balanced) into text and sets.
fn parse_name<'a>(
    p: &Pattern<'a>,
    start: usize,
    end: usize,
) -> Result<Vec<Part<'a>>, HostlistError> {
    let mut parts = Vec::new();
    let mut i = start;
    while i < end {
        let open = p.0[i..end].find('[').map(|o| i + o);
        let text_end = open.unwrap_or(end);
        if text_end > i {
            let text = &p.0[i..text_end];
            if let Some((w, _)) = text.char_indices().find(|(_, c)| c.is_whitespace()) {
                return Err(HostlistError::Whitespace {
                    input: p.shown(),
                    pos: p.pos(i + w),
                });
            }
            parts.push(Part::Text(text));
        }
        let Some(open) = open else { break };
        let close = p.0[open..end].find(']').map_or(end, |c| open + c);
        parts.push(Part::Set(parse_set(p, open + 1, close)?));
        i = close + 1;
    }
    Ok(parts)
}

/// Parses the inside of one bracket: comma-separated `N` or `N-M`.
fn parse_set(p: &Pattern, start: usize, end: usize) -> Result<Vec<Item>, HostlistError> {
    let mut items = Vec::new();
    let mut at = start;
    for piece in p.0[start..end].split(',') {
        let lead = piece.len() - piece.trim_start().len();
        let range = piece.trim();
        let pos = p.pos(at + lead);
        at += piece.len() + 1;
        if range.is_empty() {
            return Err(HostlistError::EmptyRange {
                input: p.shown(),
                pos,
            });
        }
        let (lo, hi) = match range.split_once('-') {
            Some((lo, hi)) => (lo.trim(), hi.trim()),
            None => (range, range),
        };
        let numeric = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        if !numeric(lo) || !numeric(hi) {
            return Err(HostlistError::NotNumeric {
                input: p.shown(),
                pos,
                range: range.to_string(),
            });
        }
        if lo.len() > MAX_DIGITS || hi.len() > MAX_DIGITS {
            return Err(HostlistError::TooLarge {
                input: p.shown(),
                pos,
                range: range.to_string(),
            });
        }
        let (lo_value, hi_value) = (digits_value(lo), digits_value(hi));
        if lo_value > hi_value {
            return Err(HostlistError::Reversed {
                input: p.shown(),
                pos,
                range: range.to_string(),
            });
        }
        items.push(Item {
            lo: lo_value,
            hi: hi_value,
            width: lo.len(),
        });
    }
    Ok(items)
}

/// The value of a string of at most [`MAX_DIGITS`] ASCII digits (so it cannot overflow).
fn digits_value(s: &str) -> u64 {
    s.bytes().fold(0, |acc, b| acc * 10 + u64::from(b - b'0'))
}

fn digit_count(v: u64) -> u64 {
    u64::from(v.checked_ilog10().unwrap_or(0)) + 1
}

/// How many names a pattern makes and an upper bound on the length of each, saturating.
fn measure(parts: &[Part]) -> (u64, u64) {
    let mut count: u64 = 1;
    let mut longest: u64 = 0;
    for part in parts {
        match part {
            Part::Text(t) => longest += t.len() as u64,
            Part::Set(items) => {
                let n = items.iter().fold(0u64, |a, i| a.saturating_add(i.len()));
                count = count.saturating_mul(n);
                longest += items
                    .iter()
                    .map(|i| (i.width as u64).max(digit_count(i.hi)))
                    .max()
                    .unwrap_or(0);
            }
        }
    }
    (count, longest)
}

/// Appends every name of one pattern, the rightmost bracket varying fastest.
fn generate(parts: &[Part], out: &mut Vec<String>) {
    let sets: Vec<&[Item]> = parts
        .iter()
        .filter_map(|p| match p {
            Part::Set(items) => Some(items.as_slice()),
            Part::Text(_) => None,
        })
        .collect();
    // Per set: which item and which value within it. Iterative so that a
    // pattern with thousands of brackets cannot overflow the stack.
    let mut cursor: Vec<(usize, u64)> = sets
        .iter()
        .map(|s| (0, s.first().map_or(0, |i| i.lo)))
        .collect();
    if sets.iter().any(|s| s.is_empty()) {
        return;
    }
    loop {
        let mut name = String::new();
        let mut k = 0;
        for part in parts {
            match part {
                Part::Text(t) => name.push_str(t),
                Part::Set(items) => {
                    let (item, value) = cursor[k];
                    let _ = write!(name, "{value:0width$}", width = items[item].width);
                    k += 1;
                }
            }
        }
        out.push(name);
        let mut k = sets.len();
        loop {
            if k == 0 {
                return;
            }
            k -= 1;
            let (item, value) = cursor[k];
            let items = sets[k];
            if value < items[item].hi {
                cursor[k].1 = value + 1;
                break;
            }
            if item + 1 < items.len() {
                cursor[k] = (item + 1, items[item + 1].lo);
                break;
            }
            cursor[k] = (0, items[0].lo);
        }
    }
}

/// Removes repeated names, keeping the first of each.
fn dedup_in_order(names: &mut Vec<String>) {
    let keep: Vec<bool> = {
        let mut seen = HashSet::with_capacity(names.len());
        names.iter().map(|n| seen.insert(n.as_str())).collect()
    };
    if keep.iter().all(|&k| k) {
        return;
    }
    let mut keep = keep.into_iter();
    names.retain(|_| keep.next().unwrap_or(true));
}

/// One number field of a name during compression: as written, or merged into a set.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Field<'a> {
    Fixed(&'a str),
    Set(Vec<Item>),
}

/// A group of names: literal texts with a number field between each pair.
struct Template<'a> {
    texts: Vec<&'a str>,
    fields: Vec<Field<'a>>,
}

impl<'a> Template<'a> {
    /// Splits a name at its digit runs; runs too long for a range stay part of the text.
    fn from_name(name: &'a str) -> Template<'a> {
        let b = name.as_bytes();
        let mut texts = Vec::new();
        let mut fields = Vec::new();
        let mut text_start = 0;
        let mut i = 0;
        while i < b.len() {
            if !b[i].is_ascii_digit() {
                i += 1;
                continue;
            }
            let run = i;
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            if i - run <= MAX_DIGITS {
                texts.push(&name[text_start..run]);
                fields.push(Field::Fixed(&name[run..i]));
                text_start = i;
            }
        }
        texts.push(&name[text_start..]);
        Template { texts, fields }
    }

    /// Writes the template as a hostlist term; `first_only` writes its smallest name instead.
    fn write(&self, out: &mut String, first_only: bool) {
        for (i, text) in self.texts.iter().enumerate() {
            out.push_str(text);
            match self.fields.get(i) {
                None => {}
                Some(Field::Fixed(digits)) => out.push_str(digits),
                Some(Field::Set(items)) => match items.as_slice() {
                    [first, ..] if first_only => {
                        let _ = write!(out, "{:0w$}", first.lo, w = first.width);
                    }
                    [one] if one.lo == one.hi => {
                        let _ = write!(out, "{:0w$}", one.lo, w = one.width);
                    }
                    _ => write_set(items, out),
                },
            }
        }
    }
}

fn write_set(items: &[Item], out: &mut String) {
    out.push('[');
    for (n, i) in items.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        let w = i.width;
        let _ = if i.lo == i.hi {
            write!(out, "{:0w$}", i.lo)
        } else {
            write!(out, "{:0w$}-{:0w$}", i.lo, i.hi)
        };
    }
    out.push(']');
}

/// Turns the numbers of one field (as written) into sorted runs that reproduce exactly those strings.
fn runs(numbers: &[&str]) -> Vec<Item> {
    // A number written with leading zeros fixes its width; one written plainly
    // can join the widest padded class no wider than itself ("100" fits "001"'s
    // class of 3), or else the unpadded class (width 0).
    let padded: BTreeSet<usize> = numbers
        .iter()
        .filter(|n| n.len() > 1 && n.starts_with('0'))
        .map(|n| n.len())
        .collect();
    let mut by_width: BTreeMap<usize, Vec<u64>> = BTreeMap::new();
    for n in numbers {
        let width = if n.len() > 1 && n.starts_with('0') {
            n.len()
        } else {
            padded.range(..=n.len()).next_back().copied().unwrap_or(0)
        };
        by_width.entry(width).or_default().push(digits_value(n));
    }
    let mut items = Vec::new();
    for (width, mut values) in by_width {
        values.sort_unstable();
        values.dedup();
        let mut iter = values.into_iter();
        let Some(first) = iter.next() else { continue };
        let mut cur = Item {
            lo: first,
            hi: first,
            width,
        };
        for v in iter {
            if v == cur.hi + 1 {
                cur.hi = v;
            } else {
                items.push(cur);
                cur = Item {
                    lo: v,
                    hi: v,
                    width,
                };
            }
        }
        items.push(cur);
    }
    items.sort_unstable_by_key(|i| (i.lo, i.width));
    items
}

/// Merges templates that are identical except for field `k` into one template with a set there.
fn merge_field(templates: Vec<Template<'_>>, k: usize) -> Vec<Template<'_>> {
    enum Slot {
        Alone(usize),
        Group(usize),
    }
    let mut slots = Vec::with_capacity(templates.len());
    let mut groups: Vec<(usize, Vec<usize>)> = Vec::new();
    {
        type Key<'k, 'a> = (&'k [&'a str], &'k [Field<'a>], &'k [Field<'a>]);
        let mut index: HashMap<Key, usize> = HashMap::new();
        for (t, tpl) in templates.iter().enumerate() {
            if !matches!(tpl.fields.get(k), Some(Field::Fixed(_))) {
                slots.push(Slot::Alone(t));
                continue;
            }
            let key = (tpl.texts.as_slice(), &tpl.fields[..k], &tpl.fields[k + 1..]);
            if let Some(&g) = index.get(&key) {
                groups[g].1.push(t);
            } else {
                index.insert(key, groups.len());
                slots.push(Slot::Group(groups.len()));
                groups.push((t, vec![t]));
            }
        }
    }
    let sets: Vec<Vec<Item>> = groups
        .iter()
        .map(|(_, members)| {
            let numbers: Vec<&str> = members
                .iter()
                .filter_map(|&m| match templates[m].fields.get(k) {
                    Some(Field::Fixed(d)) => Some(*d),
                    _ => None,
                })
                .collect();
            runs(&numbers)
        })
        .collect();
    let mut owned: Vec<Option<Template>> = templates.into_iter().map(Some).collect();
    let mut sets = sets.into_iter();
    let mut out = Vec::with_capacity(slots.len());
    for slot in slots {
        let t = match slot {
            Slot::Alone(t) => owned[t].take(),
            Slot::Group(g) => {
                let mut tpl = owned[groups[g].0].take();
                if let (Some(tpl), Some(set)) = (tpl.as_mut(), sets.next()) {
                    tpl.fields[k] = Field::Set(set);
                }
                tpl
            }
        };
        out.extend(t);
    }
    out
}

/// Writes names as a compact hostlist, the inverse of [`expand`].
///
/// Names that differ only in their last number become one `prefix[a-b,c]suffix`
/// term (zero padding kept), then terms that differ only in one earlier number
/// are merged the same way, right to left (`x1000c0s[0-3]b0n[0-1]`). Terms come
/// out in natural order; duplicates and empty names are dropped. Names holding
/// `[`, `]`, `,` or whitespace cannot be written as a hostlist and will not
/// survive a round trip.
pub fn compress<S: AsRef<str>>(names: &[S]) -> String {
    let mut seen = HashSet::with_capacity(names.len());
    let mut templates: Vec<Template> = names
        .iter()
        .map(AsRef::as_ref)
        .filter(|n| !n.is_empty() && seen.insert(*n))
        .map(Template::from_name)
        .collect();
    drop(seen);
    let depth = templates.iter().map(|t| t.fields.len()).max().unwrap_or(0);
    for k in (0..depth).rev() {
        templates = merge_field(templates, k);
    }
    let mut keyed: Vec<(String, &Template)> = templates
        .iter()
        .map(|t| {
            let mut first = String::new();
            t.write(&mut first, true);
            (first, t)
        })
        .collect();
    keyed.sort_by(|a, b| natural_cmp(&a.0, &b.0));
    let mut out = String::new();
    for (n, (_, t)) in keyed.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        t.write(&mut out, false);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    fn set(v: &[String]) -> HashSet<String> {
        v.iter().cloned().collect()
    }

    #[test]
    fn expand_table() {
        let cases: &[(&str, &[&str])] = &[
            ("x1000c0s0b0n0", &["x1000c0s0b0n0"]),
            ("a,b,c", &["a", "b", "c"]),
            (" a , b ,c ", &["a", "b", "c"]),
            (
                "nid[001-004,010]",
                &["nid001", "nid002", "nid003", "nid004", "nid010"],
            ),
            ("nid[08-11]", &["nid08", "nid09", "nid10", "nid11"]),
            ("nid[9-11]", &["nid9", "nid10", "nid11"]),
            ("nid[98-101]", &["nid98", "nid99", "nid100", "nid101"]),
            ("nid[1, 3 - 4 ]", &["nid1", "nid3", "nid4"]),
            ("[1-3]", &["1", "2", "3"]),
            ("x[1,01]", &["x1", "x01"]),
            ("nid[1-3],nid2,nid[2-4]", &["nid1", "nid2", "nid3", "nid4"]),
            ("a[1-2]b[3-4]c", &["a1b3c", "a1b4c", "a2b3c", "a2b4c"]),
            ("x[10,1-2]", &["x10", "x1", "x2"]),
            (
                "x1000c0s[0-3]b0n[0-1]",
                &[
                    "x1000c0s0b0n0",
                    "x1000c0s0b0n1",
                    "x1000c0s1b0n0",
                    "x1000c0s1b0n1",
                    "x1000c0s2b0n0",
                    "x1000c0s2b0n1",
                    "x1000c0s3b0n0",
                    "x1000c0s3b0n1",
                ],
            ),
            ("x1c0s[1-2]b0,d0", &["x1c0s1b0", "x1c0s2b0", "d0"]),
        ];
        for (pattern, want) in cases {
            assert_eq!(expand(pattern).unwrap(), strings(want), "{pattern}");
        }
        let big = expand("nid[001-1000]").unwrap();
        assert_eq!(big.len(), 1000);
        assert_eq!((big[0].as_str(), big[999].as_str()), ("nid001", "nid1000"));
    }

    #[test]
    fn expand_errors() {
        let cases: &[(&str, &str)] = &[
            ("", "hostlist is empty"),
            ("  ", "hostlist is empty"),
            ("x[1-3", "hostlist 'x[1-3' has an unclosed '[' at position 2"),
            ("x1-3]", "hostlist 'x1-3]' has a ']' with no matching '[' at position 5"),
            ("x[1[2]]", "hostlist 'x[1[2]]' has a '[' inside brackets at position 4 (brackets do not nest)"),
            ("a,,b", "hostlist 'a,,b' has an empty name at position 3"),
            ("a,", "hostlist 'a,' has an empty name at position 3"),
            (",a", "hostlist ',a' has an empty name at position 1"),
            ("nid 1", "hostlist 'nid 1' has whitespace inside a name at position 4"),
            ("x[]", "hostlist 'x[]' has an empty range at position 3 (expected a number or low-high)"),
            ("x[1,]", "hostlist 'x[1,]' has an empty range at position 5 (expected a number or low-high)"),
            (
                "x[5-3]",
                "hostlist 'x[5-3]' has a reversed range '5-3' at position 3 (write the low end first)",
            ),
            (
                "x[1-2],y[ 9-08]",
                "hostlist 'x[1-2],y[ 9-08]' has a reversed range '9-08' at position 11 (write the low end first)",
            ),
            (
                "x[a-b]",
                "hostlist 'x[a-b]' has a non-numeric range 'a-b' at position 3 (expected a number or low-high)",
            ),
            (
                "x[1-]",
                "hostlist 'x[1-]' has a non-numeric range '1-' at position 3 (expected a number or low-high)",
            ),
            (
                "x[-1]",
                "hostlist 'x[-1]' has a non-numeric range '-1' at position 3 (expected a number or low-high)",
            ),
            (
                "x[1-2-3]",
                "hostlist 'x[1-2-3]' has a non-numeric range '1-2-3' at position 3 (expected a number or low-high)",
            ),
            (
                "x[1-9999999999999999999]",
                "hostlist 'x[1-9999999999999999999]' has a number too large in '1-9999999999999999999' at position 3 (at most 18 digits)",
            ),
            (
                "x[0-999999999]",
                "hostlist 'x[0-999999999]' expands to more than 1000000 names (or too much text); narrow the ranges",
            ),
            (
                "x[0-999]y[0-9999]",
                "hostlist 'x[0-999]y[0-9999]' expands to more than 1000000 names (or too much text); narrow the ranges",
            ),
            (
                "é[1-2]ü,[",
                "hostlist 'é[1-2]ü,[' has an unclosed '[' at position 9",
            ),
        ];
        for (pattern, want) in cases {
            let got = expand(pattern).expect_err(pattern).to_string();
            assert_eq!(got, *want, "{pattern}");
        }
    }

    #[test]
    fn expansion_limit_is_checked_before_allocating() {
        assert_eq!(expand("x[1-1000000]").unwrap().len(), MAX_EXPANSION);
        assert!(matches!(
            expand("x[0-1000000]"),
            Err(HostlistError::TooMany { .. })
        ));
        assert!(matches!(
            expand("a[0-600000],b[0-600000]"),
            Err(HostlistError::TooMany { .. })
        ));
        // 2^40 names and a product that overflows u64: both refused at once.
        assert!(matches!(
            expand(&"[0-1]".repeat(40)),
            Err(HostlistError::TooMany { .. })
        ));
        assert!(matches!(
            expand(&"[0-999999999999999999]".repeat(5)),
            Err(HostlistError::TooMany { .. })
        ));
        // Few names but very long ones.
        let long = format!("{}[0-999999]", "a".repeat(1000));
        assert!(matches!(expand(&long), Err(HostlistError::TooMany { .. })));
        let err = expand(&format!("{}[0-99999999]", "n".repeat(100)))
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with(&format!("hostlist '{}...' expands", "n".repeat(80))),
            "{err}"
        );
    }

    #[test]
    fn compress_table() {
        let nids: Vec<String> = (1..=128).map(|i| format!("nid{i:03}")).collect();
        assert_eq!(compress(&nids), "nid[001-128]");
        let cases: &[(&[&str], &str)] = &[
            (&[], ""),
            (&["nid7"], "nid7"),
            (&["b", "a", "b"], "a,b"),
            (&["nid1", "nid2", "nid3", "nid5"], "nid[1-3,5]"),
            (&["nid5", "nid3", "nid1", "nid2"], "nid[1-3,5]"),
            (&["n9", "n10", "n11"], "n[9-11]"),
            (&["n08", "n09", "n10"], "n[08-10]"),
            (&["x1", "x01", "x2", "x02"], "x[1-2,01-02]"),
            (&["b", "a10", "a9"], "a[9-10],b"),
            (&["x1c0", "x1c1", "x2c0", "x2c1"], "x[1-2]c[0-1]"),
            (&["x1c0", "x1c1", "x2c0"], "x1c[0-1],x2c0"),
            (&["7", "8", "9"], "[7-9]"),
            (&["", "a1", ""], "a1"),
            (
                &["x1c0s0b0n0", "x1c0s0b0n1", "x1c0s1b0n0"],
                "x1c0s0b0n[0-1],x1c0s1b0n0",
            ),
            (
                &[
                    "x1000c0s0b0n0",
                    "x1000c0s0b0n1",
                    "x1000c0s1b0n0",
                    "x1000c0s1b0n1",
                    "x1000c0s2b0n0",
                    "x1000c0s2b0n1",
                    "x1000c0s3b0n0",
                    "x1000c0s3b0n1",
                ],
                "x1000c0s[0-3]b0n[0-1]",
            ),
            (&["d0", "s0", "x1", "x2"], "d0,s0,x[1-2]"),
            (&["n1a", "n2a", "n1b"], "n[1-2]a,n1b"),
        ];
        for (names, want) in cases {
            let got = compress(names);
            assert_eq!(got, *want, "{names:?}");
            if !names.iter().all(|n| n.is_empty()) {
                let want_set: HashSet<String> = names
                    .iter()
                    .filter(|n| !n.is_empty())
                    .map(|n| n.to_string())
                    .collect();
                assert_eq!(set(&expand(&got).unwrap()), want_set, "{names:?}");
            }
        }
    }

    #[test]
    fn compress_accepts_xnames() {
        use super::super::xname::Xname;
        let ids: Vec<Xname> = ["x1c0s1b0n0", "x1c0s0b0n0"]
            .iter()
            .filter_map(|s| Xname::parse(s).ok())
            .collect();
        assert_eq!(compress(&ids), "x1c0s[0-1]b0n0");
    }

    #[test]
    fn round_trip_100k_nodes() {
        let pattern = "x[1000-1024]c[0-7]s[0-63]b[0-1]n[0-3]";
        let names = expand(pattern).unwrap();
        assert_eq!(names.len(), 25 * 8 * 64 * 2 * 4);
        assert_eq!(names[1], "x1000c0s0b0n1");
        assert_eq!(compress(&names), pattern);
        let mut reversed = names.clone();
        reversed.reverse();
        assert_eq!(compress(&reversed), pattern);
        // Remove a few so the result is ragged, and check the set survives.
        let holey: Vec<&String> = names
            .iter()
            .enumerate()
            .filter(|(i, _)| i % 97 != 3)
            .map(|(_, n)| n)
            .collect();
        let text = compress(&holey);
        let back = expand(&text).unwrap();
        assert_eq!(back.len(), holey.len());
        let want: HashSet<&str> = holey.iter().map(|s| s.as_str()).collect();
        assert!(back.iter().all(|n| want.contains(n.as_str())));
    }

    #[test]
    fn round_trip_mixed_names() {
        // A small deterministic generator keeps the test free of extra crates.
        let mut state: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move |m: u64| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            state % m
        };
        let mut names = Vec::new();
        for _ in 0..5000 {
            let name = match next(7) {
                0 => format!("nid{:03}", next(1200)),
                1 => format!("nid{}", next(1200)),
                2 => format!("x{}c{}s{}b0n{}", 1000 + next(3), next(8), next(16), next(2)),
                3 => format!("login{}", ["", "a", "b"][next(3) as usize]),
                4 => format!("r{:02}u{:02}-{}", next(12), next(40), next(3)),
                5 => format!("{}", next(50)),
                _ => format!("gpu{:04}x{}", next(300), next(4)),
            };
            names.push(name);
        }
        names.push("plain".into());
        names.push("99999999999999999999999x1".into());
        let text = compress(&names);
        let back = expand(&text).unwrap();
        assert_eq!(set(&back), set(&names));
        assert_eq!(back.len(), set(&names).len());
    }

    #[test]
    fn recognises_hostlists() {
        assert!(is_hostlist("x1c0s[0-3]"));
        assert!(is_hostlist("a,b"));
        assert!(!is_hostlist("x1000c0s0b0n0"));
        assert!(!is_hostlist(""));
    }
}
