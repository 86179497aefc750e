//! Component filters: SMD's query parameters (fields ANDed, repeats ORed, `!` negates) parsed
//! into a [`ComponentFilter`], plus hostlist ids and NID ranges.

use super::component::{Component, FieldSelect, InputError};
use super::enums::{Arch, Class, Flag, Role, State, SubRole};
use super::hostlist;
use super::xname::{HmsType, Xname};

/// A set of accepted values and a set of refused ones (SMD's `!value` negation).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match<T> {
    /// A row matches if its value is any of these (or this is empty).
    pub any_of: Vec<T>,
    /// A row never matches if its value is one of these.
    pub none_of: Vec<T>,
}

impl<T> Default for Match<T> {
    fn default() -> Self {
        Match {
            any_of: Vec::new(),
            none_of: Vec::new(),
        }
    }
}

impl<T: PartialEq> Match<T> {
    /// True when this match places no condition.
    pub fn is_empty(&self) -> bool {
        self.any_of.is_empty() && self.none_of.is_empty()
    }

    /// Whether `v` passes (an absent value only passes an unconditional match or a pure exclusion).
    pub fn accepts(&self, v: Option<&T>) -> bool {
        match v {
            Some(v) => {
                (self.any_of.is_empty() || self.any_of.contains(v)) && !self.none_of.contains(v)
            }
            None => self.any_of.is_empty(),
        }
    }
}

/// Filters on a component listing; fields are ANDed, values within a field ORed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ComponentFilter {
    /// Exact xnames (hostlists already expanded); empty means any.
    pub ids: Vec<Xname>,
    /// HMS types.
    pub kinds: Match<HmsType>,
    /// States.
    pub states: Match<State>,
    /// Flags.
    pub flags: Match<Flag>,
    /// Enabled values.
    pub enabled: Match<bool>,
    /// Locked values (locking API).
    pub locked: Match<bool>,
    /// ReservationDisabled values (locking API).
    pub reservation_disabled: Match<bool>,
    /// Software status, compared case-insensitively (stored lowercased here).
    pub software_status: Match<String>,
    /// Roles.
    pub roles: Match<Role>,
    /// Subroles.
    pub subroles: Match<SubRole>,
    /// Subtypes.
    pub subtypes: Match<String>,
    /// Architectures.
    pub archs: Match<Arch>,
    /// Hardware classes.
    pub classes: Match<Class>,
    /// NIDs.
    pub nids: Match<i64>,
    /// Lowest NID (inclusive).
    pub nid_start: Option<i64>,
    /// Highest NID (inclusive).
    pub nid_end: Option<i64>,
    /// Group labels (member of any).
    pub groups: Vec<String>,
    /// Partition names (member of any).
    pub partitions: Vec<String>,
}

impl ComponentFilter {
    /// Whether a component passes every condition except group and partition membership.
    pub fn accepts(&self, c: &Component) -> bool {
        let sw = c.software_status.as_ref().map(|s| s.to_lowercase());
        (self.ids.is_empty() || self.ids.contains(&c.id))
            && self.kinds.accepts(Some(&c.kind))
            && self.states.accepts(c.state.as_ref())
            && self.flags.accepts(c.flag.as_ref())
            && self.enabled.accepts(c.enabled.as_ref())
            && self.locked.accepts(Some(&c.locked))
            && self
                .reservation_disabled
                .accepts(Some(&c.reservation_disabled))
            && self.software_status.accepts(sw.as_ref())
            && self.roles.accepts(c.role.as_ref())
            && self.subroles.accepts(c.subrole.as_ref())
            && self.subtypes.accepts(c.subtype.as_ref())
            && self.archs.accepts(c.arch.as_ref())
            && self.classes.accepts(c.class.as_ref())
            && self.nids.accepts(c.nid.as_ref())
            && self
                .nid_start
                .is_none_or(|lo| c.nid.is_some_and(|n| n >= lo))
            && self.nid_end.is_none_or(|hi| c.nid.is_some_and(|n| n <= hi))
    }
}

/// Builds a [`ComponentFilter`] from `key=value` pairs as SMD reads them from a query string
/// or a query body; keys are case-insensitive and repeat to OR values.
#[derive(Debug, Default)]
pub struct FilterBuilder {
    filter: ComponentFilter,
    fields: FieldSelect,
    budget: Budget,
}

/// Parameter names a component listing understands.
pub const FILTER_KEYS: &[&str] = &[
    "id",
    "type",
    "state",
    "flag",
    "role",
    "subrole",
    "enabled",
    "softwarestatus",
    "subtype",
    "arch",
    "class",
    "nid",
    "nid_start",
    "nid_end",
    "locked",
    "reservation_disabled",
    "partition",
    "group",
    "stateonly",
    "flagonly",
    "roleonly",
    "nidonly",
];

/// Adds `value` (or, with a leading `!`, its negation) to a match after parsing it.
fn push<T>(
    m: &mut Match<T>,
    value: &str,
    parse: impl Fn(&str) -> Result<T, InputError>,
) -> Result<(), InputError> {
    let (neg, v) = split_neg(value);
    let parsed = parse(v.trim())?;
    if neg {
        m.none_of.push(parsed);
    } else {
        m.any_of.push(parsed);
    }
    Ok(())
}

/// Parses an enum filter value; the enum's error names the field and the valid values.
fn enum_value<T: std::str::FromStr>(v: &str) -> Result<T, InputError>
where
    T::Err: std::fmt::Display,
{
    v.parse().map_err(|e| InputError(format!("{e}")))
}

fn parse_bool(key: &str, v: &str) -> Result<bool, InputError> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "t" | "yes" => Ok(true),
        "false" | "0" | "f" | "no" => Ok(false),
        _ => Err(InputError(format!(
            "{key} '{v}' is not a boolean (expected true or false)"
        ))),
    }
}

fn parse_nid(key: &str, v: &str) -> Result<i64, InputError> {
    v.trim()
        .parse::<i64>()
        .map_err(|_| InputError(format!("{key} '{v}' is not an integer")))
}

impl FilterBuilder {
    /// Adds one `key=value` pair; unknown keys are refused so typos do not widen a query.
    /// Errors start with SMD's "bad query param: ".
    pub fn add(&mut self, key: &str, value: &str) -> Result<(), InputError> {
        self.add_pair(key, value)
            .map_err(|e| InputError(format!("bad query param: {}", e.0)))
    }

    fn add_pair(&mut self, key: &str, value: &str) -> Result<(), InputError> {
        let key = key.to_ascii_lowercase();
        let f = &mut self.filter;
        match key.as_str() {
            "id" => {
                for name in expand_ids_within(value, &mut self.budget)? {
                    f.ids.push(name);
                }
            }
            "type" => push(&mut f.kinds, value, enum_value)?,
            "state" => push(&mut f.states, value, enum_value)?,
            "flag" => push(&mut f.flags, value, enum_value)?,
            "role" => push(&mut f.roles, value, enum_value)?,
            "subrole" => push(&mut f.subroles, value, enum_value)?,
            "arch" => push(&mut f.archs, value, enum_value)?,
            "class" => push(&mut f.classes, value, enum_value)?,
            "enabled" => push(&mut f.enabled, value, |v| parse_bool("enabled", v))?,
            "locked" => push(&mut f.locked, value, |v| parse_bool("locked", v))?,
            // The locking API's status listing spells it without the underscore.
            "reservation_disabled" | "reservationdisabled" => {
                push(&mut f.reservation_disabled, value, |v| {
                    parse_bool("reservation_disabled", v)
                })?
            }
            "softwarestatus" => push(&mut f.software_status, value, |v| Ok(v.to_lowercase()))?,
            "subtype" => push(&mut f.subtypes, value, |v| Ok(v.to_string()))?,
            "nid" => push(&mut f.nids, value, |v| parse_nid("nid", v))?,
            // ochami-rs spells these without the underscore.
            "nid_start" | "nidstart" => {
                let n = parse_nid("nid_start", value)?;
                f.nid_start = Some(f.nid_start.map_or(n, |o| o.max(n)));
            }
            "nid_end" | "nidend" => {
                let n = parse_nid("nid_end", value)?;
                f.nid_end = Some(f.nid_end.map_or(n, |o| o.min(n)));
            }
            "group" => f.groups.push(value.to_lowercase()),
            "partition" => f.partitions.push(value.to_lowercase()),
            "stateonly" | "flagonly" | "roleonly" | "nidonly" => {
                if parse_bool(&key, value)? {
                    self.fields = match key.as_str() {
                        "stateonly" => FieldSelect::StateOnly,
                        "flagonly" => FieldSelect::FlagOnly,
                        "roleonly" => FieldSelect::RoleOnly,
                        _ => FieldSelect::NidOnly,
                    };
                }
            }
            _ => {
                return Err(InputError(format!(
                    "unknown parameter '{key}': expected one of {}",
                    FILTER_KEYS.join(", ")
                )))
            }
        }
        Ok(())
    }

    /// The finished filter and field selection.
    pub fn build(self) -> (ComponentFilter, FieldSelect) {
        (self.filter, self.fields)
    }
}

fn split_neg(v: &str) -> (bool, &str) {
    match v.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, v),
    }
}

/// How many names one request's hostlists may expand to, in all its parameters or its body.
pub const REQUEST_NAMES: usize = 100_000;

/// What is left of a request's [`REQUEST_NAMES`]: every expansion counts against it, so no
/// request, however short its text, makes the core build more than that many names.
#[derive(Debug, Clone)]
pub struct Budget {
    left: usize,
}

impl Default for Budget {
    fn default() -> Budget {
        Budget {
            left: REQUEST_NAMES,
        }
    }
}

impl Budget {
    fn spend(&mut self, value: &str, n: usize) -> Result<(), InputError> {
        if n > self.left {
            return Err(past_budget(value));
        }
        self.left -= n;
        Ok(())
    }
}

fn past_budget(value: &str) -> InputError {
    let shown: String = value.chars().take(80).collect();
    InputError(format!(
        "'{shown}' takes the request past {REQUEST_NAMES} names in all (hostlists expanded): \
         narrow the ranges or split the request"
    ))
}

/// Expands one `id` value: an xname, or (chami extension) a hostlist of xnames.
pub fn expand_ids(value: &str) -> Result<Vec<Xname>, InputError> {
    expand_ids_within(value, &mut Budget::default())
}

/// As [`expand_ids`], counting the names against `budget`.
pub fn expand_ids_within(value: &str, budget: &mut Budget) -> Result<Vec<Xname>, InputError> {
    let names = if hostlist::is_hostlist(value) {
        // An xname is short: 64 bytes a name bounds the text as well as the count.
        let max = budget.left;
        match hostlist::expand_within(value, max, max as u64 * 64) {
            Err(hostlist::HostlistError::TooMany { .. }) => return Err(past_budget(value)),
            other => other.map_err(|e| InputError(e.to_string()))?,
        }
    } else {
        vec![value.trim().to_string()]
    };
    budget.spend(value, names.len())?;
    names
        .iter()
        .map(|n| Xname::parse(n).map_err(|e| InputError(e.to_string())))
        .collect()
}

/// Parses SMD NID ranges (`"0-24"`, `"2"`) into inclusive (low, high) pairs.
pub fn parse_nid_ranges(ranges: &[String]) -> Result<Vec<(i64, i64)>, InputError> {
    ranges
        .iter()
        .map(|r| {
            let r = r.trim();
            let (lo, hi) = match r.split_once('-') {
                Some((a, b)) => (a.trim(), b.trim()),
                None => (r, r),
            };
            let bad = || InputError(format!("bad NID range '{r}': expected N or N-M"));
            let lo: i64 = lo.parse().map_err(|_| bad())?;
            let hi: i64 = hi.parse().map_err(|_| bad())?;
            if lo > hi {
                return Err(InputError(format!(
                    "bad NID range '{r}': start {lo} is above end {hi}"
                )));
            }
            Ok((lo, hi))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn build(pairs: &[(&str, &str)]) -> Result<(ComponentFilter, FieldSelect), InputError> {
        let mut b = FilterBuilder::default();
        for (k, v) in pairs {
            b.add(k, v)?;
        }
        Ok(b.build())
    }

    #[test]
    fn keys_ignore_case_repeat_and_negate() {
        let (f, fields) = build(&[
            ("State", "Off"),
            ("state", "!ready"),
            ("NIDSTART", "5"),
            ("nid_start", "7"),
            ("nidend", "9"),
            ("stateonly", "true"),
        ])
        .expect("valid");
        assert_eq!(f.states.any_of, vec![State::Off]);
        assert_eq!(f.states.none_of, vec![State::Ready]);
        assert_eq!(
            (f.nid_start, f.nid_end),
            (Some(7), Some(9)),
            "the tighter bound wins"
        );
        assert_eq!(fields, FieldSelect::StateOnly);
    }

    #[test]
    fn hostlist_ids_expand() {
        let (f, _) = build(&[("id", "x1c0s[0-1]b0n0")]).expect("valid");
        let ids: Vec<&str> = f.ids.iter().map(Xname::as_str).collect();
        assert_eq!(ids, ["x1c0s0b0n0", "x1c0s1b0n0"]);
    }

    #[test]
    fn errors_name_the_parameter_and_value() {
        let cases = [
            (("nid", "x"), "bad query param: nid 'x' is not an integer"),
            (
                ("enabled", "maybe"),
                "bad query param: enabled 'maybe' is not a boolean (expected true or false)",
            ),
            (
                ("stat", "Off"),
                "bad query param: unknown parameter 'stat': expected one of id, type,",
            ),
        ];
        for ((k, v), want) in cases {
            let err = build(&[(k, v)]).expect_err("invalid");
            assert!(err.0.starts_with(want), "{k}={v}: {}", err.0);
        }
    }

    #[test]
    fn nid_ranges() {
        let r = parse_nid_ranges(&["1-3".into(), " 7 ".into()]).expect("valid");
        assert_eq!(r, vec![(1, 3), (7, 7)]);
        assert_eq!(
            parse_nid_ranges(&["3-1".into()]).expect_err("reversed").0,
            "bad NID range '3-1': start 3 is above end 1"
        );
        assert!(parse_nid_ranges(&["a-b".into()]).is_err());
    }
}
