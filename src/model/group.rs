//! SMD groups, partitions and memberships: named sets of components. A component is in any
//! number of groups, but in at most one group per exclusive label and at most one partition.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::component::InputError;
use super::xname::Xname;

/// Members of a group or partition (`Members.1.0.0`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Members {
    /// Member xnames.
    #[serde(default)]
    #[schema(value_type = Vec<String>)]
    pub ids: Vec<Xname>,
}

/// A group (`Group.1.0.0`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Group {
    /// Unique label, lowercase.
    pub label: String,
    /// Free text (always present, as SMD writes it).
    #[serde(default)]
    pub description: String,
    /// Free-form tags, lowercase.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Groups sharing an exclusive label have disjoint members.
    #[serde(
        rename = "exclusiveGroup",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub exclusive_group: String,
    /// Members.
    #[serde(default)]
    pub members: Members,
}

/// A partition (`Partition.1.0.0`): a hard division of the system.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Partition {
    /// Unique name: `p#` or `p#.#`.
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Free-form tags, lowercase.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// Members.
    #[serde(default)]
    pub members: Members,
}

/// Where one component belongs (`Membership.1.0.0`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Membership {
    /// The component.
    #[schema(value_type = String)]
    pub id: Xname,
    /// Labels of the groups it is in.
    #[serde(rename = "groupLabels")]
    pub group_labels: Vec<String>,
    /// Its partition, empty when none.
    #[serde(rename = "partitionName")]
    pub partition_name: String,
}

/// A change to a group's or partition's description or tags (PATCH).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, ToSchema)]
pub struct SetPatch {
    /// New description, when given.
    pub description: Option<String>,
    /// New tags, when given (replacing the old ones).
    pub tags: Option<Vec<String>>,
}

/// The longest label, tag or exclusive label accepted.
pub const MAX_NAME: usize = 255;

/// Normalises a group label, tag or exclusive label: trimmed, lowercase, made of letters,
/// digits and `-_.:`; `what` names the field in the error.
pub fn normalize_label(raw: &str, what: &str) -> Result<String, InputError> {
    let s = raw.trim().to_ascii_lowercase();
    if s.is_empty() {
        return Err(InputError(format!("{what} is empty")));
    }
    if s.len() > MAX_NAME {
        return Err(InputError(format!(
            "{what} '{raw}' is longer than {MAX_NAME} characters"
        )));
    }
    if let Some(c) = s
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':')))
    {
        return Err(InputError(format!(
            "{what} '{raw}' has '{c}'; use letters, digits and - _ . :"
        )));
    }
    Ok(s)
}

/// Normalises a partition name: `p` then a number, optionally `.` and a number (`p1`, `p2.3`).
pub fn normalize_partition_name(raw: &str) -> Result<String, InputError> {
    let s = raw.trim().to_ascii_lowercase();
    let number = |t: &str| !t.is_empty() && t.len() <= 9 && t.bytes().all(|b| b.is_ascii_digit());
    let ok = s
        .strip_prefix('p')
        .is_some_and(|rest| match rest.split_once('.') {
            Some((a, b)) => number(a) && number(b),
            None => number(rest),
        });
    if ok {
        Ok(s)
    } else {
        Err(InputError(format!(
            "bad partition name '{raw}': use p# or p#.# (for example p1 or p1.2)"
        )))
    }
}

fn normalize_tags(tags: &[String]) -> Result<Vec<String>, InputError> {
    let mut out = tags
        .iter()
        .map(|t| normalize_label(t, "tag"))
        .collect::<Result<Vec<_>, _>>()?;
    out.sort();
    out.dedup();
    Ok(out)
}

fn normalize_members(ids: &mut Vec<Xname>) {
    ids.sort();
    ids.dedup();
}

impl Group {
    /// The group with label, tags and exclusive label normalised and members sorted.
    pub fn normalized(mut self) -> Result<Group, InputError> {
        self.label = normalize_label(&self.label, "group label")?;
        self.tags = normalize_tags(&self.tags)?;
        if !self.exclusive_group.trim().is_empty() {
            self.exclusive_group = normalize_label(&self.exclusive_group, "exclusiveGroup")?;
        } else {
            self.exclusive_group.clear();
        }
        normalize_members(&mut self.members.ids);
        Ok(self)
    }
}

impl Partition {
    /// The partition with name and tags normalised and members sorted.
    pub fn normalized(mut self) -> Result<Partition, InputError> {
        self.name = normalize_partition_name(&self.name)?;
        self.tags = normalize_tags(&self.tags)?;
        normalize_members(&mut self.members.ids);
        Ok(self)
    }
}

impl SetPatch {
    /// The patch with tags normalised.
    pub fn normalized(mut self) -> Result<SetPatch, InputError> {
        if let Some(t) = &self.tags {
            self.tags = Some(normalize_tags(t)?);
        }
        Ok(self)
    }

    /// True when it changes nothing.
    pub fn is_empty(&self) -> bool {
        self.description.is_none() && self.tags.is_none()
    }
}

/// Which groups or partitions to list: any of `names` (all when empty) having any of `tags`
/// (any tags when empty).
#[derive(Debug, Clone, Default)]
pub struct SetFilter {
    /// Labels or partition names, normalised.
    pub names: Vec<String>,
    /// Tags, normalised.
    pub tags: Vec<String>,
}

impl SetFilter {
    /// The set with this (normalised) name.
    pub fn named(name: &str) -> SetFilter {
        SetFilter {
            names: vec![name.to_string()],
            tags: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_lowercased_and_checked() {
        assert_eq!(
            normalize_label(" Blue-1 ", "group label").unwrap(),
            "blue-1"
        );
        assert_eq!(normalize_label("a.b:c_d", "tag").unwrap(), "a.b:c_d");
        for bad in ["", "  ", "a b", "x/y", "ä"] {
            let e = normalize_label(bad, "group label").unwrap_err();
            assert!(e.0.starts_with("group label"), "{bad}: {}", e.0);
        }
        assert!(normalize_label(&"a".repeat(256), "tag").is_err());
    }

    #[test]
    fn partition_names() {
        for (raw, want) in [("p1", "p1"), ("P2.3", "p2.3"), (" p10 ", "p10")] {
            assert_eq!(normalize_partition_name(raw).unwrap(), want);
        }
        for bad in [
            "",
            "p",
            "p1.",
            "p.1",
            "q1",
            "p1.2.3",
            "p-1",
            "partition1",
            "p1a",
        ] {
            let e = normalize_partition_name(bad).unwrap_err();
            assert!(e.0.contains("p#.#"), "{bad}: {}", e.0);
        }
    }

    #[test]
    fn group_normalisation_sorts_and_dedups() {
        let g: Group = serde_json::from_value(serde_json::json!({
            "label": "Red", "tags": ["B", "a", "b"], "exclusiveGroup": "Colors",
            "members": {"ids": ["x1c0s1b0n0", "X1C0S0B0N0", "x1c0s1b0n0"]}
        }))
        .unwrap();
        let g = g.normalized().unwrap();
        assert_eq!(g.label, "red");
        assert_eq!(g.tags, ["a", "b"]);
        assert_eq!(g.exclusive_group, "colors");
        let ids: Vec<&str> = g.members.ids.iter().map(Xname::as_str).collect();
        assert_eq!(ids, ["x1c0s0b0n0", "x1c0s1b0n0"]);
    }

    #[test]
    fn bad_member_xname_is_a_parse_error() {
        let r: Result<Group, _> = serde_json::from_value(serde_json::json!({
            "label": "red", "members": {"ids": ["node7"]}
        }));
        let e = r.unwrap_err().to_string();
        assert!(e.contains("node7"), "{e}");
    }
}
