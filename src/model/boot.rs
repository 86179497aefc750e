//! Boot parameters (BSS): the wire body, the names entries are kept under, validation of what
//! ends up in an iPXE script, and ETags over entry versions.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::enums::Role;
use super::xname::Xname;
use crate::model::xname::HmsType;

/// Longest kernel command line accepted, in bytes (Linux's `COMMAND_LINE_SIZE` on most arches).
pub const MAX_PARAMS: usize = 4096;
/// Longest kernel or initrd location accepted, in bytes.
pub const MAX_IMAGE: usize = 2048;

/// `null` reads as the type's default (Go clients send `"macs": null`).
fn nullable<'de, D, T>(d: D) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
    T: Default + Deserialize<'de>,
{
    Option::<T>::deserialize(d).map(Option::unwrap_or_default)
}

/// BSS's `BootParams`: which nodes (`hosts`, `macs`, `nids`) and what they boot.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BootParams {
    /// Node xnames, or `Default`, a role (`Compute`), `Unknown-<arch>`, or a group label.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub hosts: Vec<String>,
    /// MAC addresses of node interfaces.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub macs: Vec<String>,
    /// Node IDs.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub nids: Vec<i64>,
    /// Kernel command line.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub params: String,
    /// Kernel URL (http, https, tftp) or path.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub kernel: String,
    /// Initrd URL (http, https, tftp) or path.
    #[serde(
        default,
        deserialize_with = "nullable",
        skip_serializing_if = "String::is_empty"
    )]
    pub initrd: String,
    /// Cloud-init data; always present on the wire, as BSS sends it.
    #[serde(rename = "cloud-init", default, deserialize_with = "nullable")]
    pub cloud_init: CloudInit,
}

/// Cloud-init data kept with boot parameters.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct CloudInit {
    /// Free-form meta-data (`null` when none).
    #[serde(rename = "meta-data", default)]
    pub meta_data: Option<Map<String, Value>>,
    /// Free-form user-data (`null` when none).
    #[serde(rename = "user-data", default)]
    pub user_data: Option<Map<String, Value>>,
    /// What the node reported when it phoned home.
    #[serde(rename = "phone-home", default, deserialize_with = "nullable")]
    pub phone_home: PhoneHome,
}

/// Keys and names a node reports to cloud-init's phone-home.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(default)]
pub struct PhoneHome {
    /// DSA host key.
    pub pub_key_dsa: String,
    /// RSA host key.
    pub pub_key_rsa: String,
    /// ECDSA host key.
    pub pub_key_ecdsa: String,
    /// Ed25519 host key.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub pub_key_ed25519: String,
    /// Cloud-init instance ID.
    pub instance_id: String,
    /// Host name.
    pub hostname: String,
    /// Fully qualified name.
    pub fqdn: String,
}

impl PhoneHome {
    /// Whether any field is set.
    pub fn is_set(&self) -> bool {
        self != &PhoneHome::default()
    }
}

/// What one entry boots.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BootData {
    /// Kernel command line.
    #[serde(default)]
    pub params: String,
    /// Kernel location.
    #[serde(default)]
    pub kernel: String,
    /// Initrd location.
    #[serde(default)]
    pub initrd: String,
    /// Cloud-init data.
    #[serde(rename = "cloud-init", default)]
    pub cloud_init: CloudInit,
}

impl BootData {
    /// The boot part of a request body.
    pub fn of(body: &BootParams) -> BootData {
        BootData {
            params: body.params.trim().to_string(),
            kernel: body.kernel.trim().to_string(),
            initrd: body.initrd.trim().to_string(),
            cloud_init: body.cloud_init.clone(),
        }
    }

    /// Checks what will be written into iPXE scripts: locations are http, https or tftp URLs
    /// or paths; nothing holds control characters or iPXE command separators.
    pub fn validate(&self) -> Result<(), String> {
        validate_params(&self.params)?;
        validate_image("kernel", &self.kernel)?;
        validate_image("initrd", &self.initrd)
    }

    /// Applies a PATCH as BSS does: non-empty params, kernel and initrd replace; meta-data and
    /// user-data are JSON merge patches (RFC 7386); a non-empty phone-home replaces.
    pub fn patched(&self, patch: &BootParams) -> BootData {
        let mut out = self.clone();
        if !patch.params.trim().is_empty() {
            out.params = patch.params.trim().to_string();
        }
        if !patch.kernel.trim().is_empty() {
            out.kernel = patch.kernel.trim().to_string();
        }
        if !patch.initrd.trim().is_empty() {
            out.initrd = patch.initrd.trim().to_string();
        }
        merge_map(&mut out.cloud_init.meta_data, &patch.cloud_init.meta_data);
        merge_map(&mut out.cloud_init.user_data, &patch.cloud_init.user_data);
        if patch.cloud_init.phone_home.is_set() {
            out.cloud_init.phone_home = patch.cloud_init.phone_home.clone();
        }
        out
    }
}

fn merge_map(target: &mut Option<Map<String, Value>>, patch: &Option<Map<String, Value>>) {
    let Some(patch) = patch else { return };
    match target {
        None => *target = Some(patch.clone()),
        Some(t) => {
            let mut v = Value::Object(std::mem::take(t));
            merge_patch(&mut v, &Value::Object(patch.clone()));
            if let Value::Object(m) = v {
                *t = m;
            }
        }
    }
}

/// RFC 7386 JSON merge patch: objects merge key by key, `null` removes, anything else replaces.
pub fn merge_patch(target: &mut Value, patch: &Value) {
    let Value::Object(p) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in p {
            if v.is_null() {
                t.remove(k);
            } else {
                merge_patch(t.entry(k.clone()).or_insert(Value::Null), v);
            }
        }
    }
}

fn validate_params(params: &str) -> Result<(), String> {
    if params.len() > MAX_PARAMS {
        return Err(format!(
            "params is {} bytes long; the most a kernel command line may be here is {MAX_PARAMS}",
            params.len()
        ));
    }
    if let Some(c) = params.chars().find(|c| c.is_control()) {
        return Err(format!(
            "params contains the control character {c:?}; a kernel command line is one line of text"
        ));
    }
    for sep in ["||", "&&"] {
        if params.contains(sep) {
            return Err(format!(
                "params contains '{sep}', which iPXE would run as a command separator"
            ));
        }
    }
    Ok(())
}

fn validate_image(what: &str, loc: &str) -> Result<(), String> {
    if loc.is_empty() {
        return Ok(());
    }
    if loc.len() > MAX_IMAGE {
        return Err(format!("{what} is longer than {MAX_IMAGE} bytes"));
    }
    if let Some(c) = loc.chars().find(|c| c.is_control() || c.is_whitespace()) {
        return Err(format!(
            "{what} '{loc}' contains {c:?}; a location has no spaces or control characters"
        ));
    }
    match loc.split_once("://") {
        Some((scheme, rest)) => {
            let scheme = scheme.to_ascii_lowercase();
            // s3:// is CSM's image store: passed through as BSS stores it; the node must be
            // able to fetch it (see the README).
            if !matches!(scheme.as_str(), "http" | "https" | "tftp" | "s3") {
                return Err(format!(
                    "{what} '{loc}' uses the scheme '{scheme}'; iPXE here fetches http, https or tftp URLs (s3 is passed through)"
                ));
            }
            if rest.is_empty() || rest.starts_with('/') {
                return Err(format!("{what} '{loc}' names no host"));
            }
            Ok(())
        }
        None if loc.contains(':') => Err(format!(
            "{what} '{loc}' is neither an http, https, tftp or s3 URL nor a path"
        )),
        None => Ok(()),
    }
}

/// The name an entry is kept under, and which nodes it applies to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum BootName {
    /// One node.
    Node(Xname),
    /// Every node of a group (chami: a node's groups come before its role).
    Group(String),
    /// Every node of an HSM role (`Compute`, ...), as BSS does it.
    Role(Role),
    /// Nodes inventory does not know, by iPXE's `${buildarch}`.
    Unknown(String),
    /// Every node without anything more specific.
    Default,
}

impl BootName {
    /// Reads a `hosts` value: an xname of a node, `Default`, a role spelt as HSM spells it,
    /// `Unknown-<arch>`, or else a group label.
    pub fn parse(raw: &str) -> Result<BootName, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("empty host name in hosts".into());
        }
        if s == "Default" {
            return Ok(BootName::Default);
        }
        if let Some(arch) = s.strip_prefix("Unknown-") {
            if arch.is_empty()
                || !arch
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
            {
                return Err(format!(
                    "'{s}': Unknown- is followed by an iPXE architecture such as x86_64 or arm64"
                ));
            }
            return Ok(BootName::Unknown(arch.to_string()));
        }
        if let Some(role) = Role::all().iter().find(|r| r.as_str() == s) {
            return Ok(BootName::Role(*role));
        }
        if let Ok(x) = Xname::parse(s) {
            if x.kind() != HmsType::Node {
                return Err(format!(
                    "'{s}' is a {}, not a node: boot parameters are for nodes",
                    x.kind()
                ));
            }
            return Ok(BootName::Node(x));
        }
        if s.starts_with('x') && s[1..].starts_with(|c: char| c.is_ascii_digit()) {
            return Err(format!("'{s}' is not a valid node xname"));
        }
        let label = super::group::normalize_label(s, "group label").map_err(|e| {
            format!(
                "'{s}' is not a node xname, Default, a role ({}), Unknown-<arch>, or a group label: {}",
                Role::NAMES.join(", "),
                e.0
            )
        })?;
        Ok(BootName::Group(label))
    }

    /// The stored key.
    pub fn key(&self) -> String {
        match self {
            BootName::Node(x) => x.as_str().to_string(),
            BootName::Group(g) => g.clone(),
            BootName::Role(r) => r.as_str().to_string(),
            BootName::Unknown(a) => format!("Unknown-{a}"),
            BootName::Default => "Default".into(),
        }
    }
}

/// One stored entry.
#[derive(Debug, Clone, PartialEq)]
pub struct BootEntry {
    /// Its key (see [`BootName::key`]).
    pub name: String,
    /// What it boots.
    pub data: BootData,
    /// The referral token BSS hands out with it.
    pub token: String,
    /// Increases by one with every write.
    pub version: u64,
    /// When it was last written (RFC 3339).
    pub updated_at: String,
    /// Who last wrote it (the token's subject).
    pub updated_by: String,
}

impl BootEntry {
    /// The entry as BSS returns it: `hosts` holds its name.
    pub fn to_params(&self) -> BootParams {
        BootParams {
            hosts: vec![self.name.clone()],
            macs: Vec::new(),
            nids: Vec::new(),
            params: self.data.params.clone(),
            kernel: self.data.kernel.clone(),
            initrd: self.data.initrd.clone(),
            cloud_init: self.data.cloud_init.clone(),
        }
    }
}

/// What a write did to an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum BootOp {
    /// POST.
    Create,
    /// PUT.
    Replace,
    /// PATCH.
    Update,
    /// DELETE.
    Delete,
    /// A previous version brought back.
    Restore,
}

impl BootOp {
    /// The stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            BootOp::Create => "create",
            BootOp::Replace => "replace",
            BootOp::Update => "update",
            BootOp::Delete => "delete",
            BootOp::Restore => "restore",
        }
    }
}

impl std::str::FromStr for BootOp {
    type Err = String;
    fn from_str(s: &str) -> Result<BootOp, String> {
        Ok(match s {
            "create" => BootOp::Create,
            "replace" => BootOp::Replace,
            "update" => BootOp::Update,
            "delete" => BootOp::Delete,
            "restore" => BootOp::Restore,
            other => return Err(format!("unknown boot operation '{other}'")),
        })
    }
}

/// One version of an entry in its history.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BootVersion {
    /// The entry's name.
    pub name: String,
    /// The version this write produced.
    pub version: u64,
    /// What the write was.
    pub op: BootOp,
    /// When (RFC 3339).
    pub time: String,
    /// Who (the token's subject).
    pub by: String,
    /// The entry after the write; absent for a delete.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub data: Option<BootData>,
}

/// A strong ETag over the versions of some entries (absent entries count as version 0), so a
/// GET and a later write that address the same entries see the same tag.
pub fn etag(versions: &[(&str, u64)]) -> String {
    let mut v: Vec<&(&str, u64)> = versions.iter().collect();
    v.sort();
    // FNV-1a, 64 bits: stable across builds and platforms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for (name, version) in v {
        for b in name.bytes().chain([0]).chain(version.to_le_bytes()) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }
    format!("\"{h:016x}\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn names_parse_by_kind() {
        assert_eq!(BootName::parse("Default"), Ok(BootName::Default));
        assert_eq!(
            BootName::parse("Compute"),
            Ok(BootName::Role(Role::Compute))
        );
        assert_eq!(
            BootName::parse("Unknown-x86_64"),
            Ok(BootName::Unknown("x86_64".into()))
        );
        assert_eq!(
            BootName::parse("X1000C0S0B0N0").unwrap().key(),
            "x1000c0s0b0n0"
        );
        assert_eq!(
            BootName::parse("compute"),
            Ok(BootName::Group("compute".into()))
        );
        let bmc = BootName::parse("x1000c0s0b0").unwrap_err();
        assert!(bmc.contains("NodeBMC, not a node"), "{bmc}");
        assert!(BootName::parse("x1000c9s0b0n0").is_err());
        assert!(BootName::parse("Unknown-x 86").is_err());
        assert!(BootName::parse("").is_err());
    }

    #[test]
    fn validation_names_the_problem() {
        let ok = BootData {
            params: "console=ttyS0 root=live:http://10.0.0.1/img".into(),
            kernel: "http://10.0.0.1/vmlinuz".into(),
            initrd: "/boot/initrd.img".into(),
            ..Default::default()
        };
        ok.validate().unwrap();
        let bad = |d: BootData| d.validate().unwrap_err();
        assert!(bad(BootData {
            params: "quiet\nshell".into(),
            ..ok.clone()
        })
        .contains("control character"));
        assert!(bad(BootData {
            params: "quiet || shell".into(),
            ..ok.clone()
        })
        .contains("'||'"));
        assert!(bad(BootData {
            kernel: "ftp://boot/vmlinuz".into(),
            ..ok.clone()
        })
        .contains("scheme 'ftp'"));
        assert!(BootData {
            kernel: "s3://boot-images/k".into(),
            initrd: "S3://boot-images/i".into(),
            ..ok.clone()
        }
        .validate()
        .is_ok());
        assert!(bad(BootData {
            initrd: "http://x/a b".into(),
            ..ok.clone()
        })
        .contains("initrd"));
        assert!(bad(BootData {
            kernel: "http:///vmlinuz".into(),
            ..ok.clone()
        })
        .contains("no host"));
        assert!(bad(BootData {
            params: "a".repeat(MAX_PARAMS + 1),
            ..ok
        })
        .contains("4096"));
    }

    #[test]
    fn patch_merges_as_bss_does() {
        let stored = BootData {
            params: "quiet".into(),
            kernel: "http://s/k1".into(),
            initrd: "http://s/i1".into(),
            cloud_init: CloudInit {
                meta_data: Some(json!({"a": 1, "b": {"c": 2}}).as_object().unwrap().clone()),
                ..Default::default()
            },
        };
        let patch: BootParams = serde_json::from_value(json!({
            "hosts": ["x1"], "params": "", "kernel": "http://s/k2",
            "cloud-init": {"meta-data": {"b": {"c": null, "d": 3}}}
        }))
        .unwrap();
        let out = stored.patched(&patch);
        assert_eq!(out.params, "quiet");
        assert_eq!(out.kernel, "http://s/k2");
        assert_eq!(out.initrd, "http://s/i1");
        assert_eq!(
            Value::Object(out.cloud_init.meta_data.unwrap()),
            json!({"a": 1, "b": {"d": 3}})
        );
    }

    #[test]
    fn wire_form_matches_bss() {
        let entry = BootEntry {
            name: "x0c0s1b0n0".into(),
            data: BootData {
                params: "console=ttyS0".into(),
                kernel: "http://s/k".into(),
                ..Default::default()
            },
            token: "t".into(),
            version: 1,
            updated_at: String::new(),
            updated_by: String::new(),
        };
        assert_eq!(
            serde_json::to_value(entry.to_params()).unwrap(),
            json!({"hosts": ["x0c0s1b0n0"], "params": "console=ttyS0", "kernel": "http://s/k",
                   "cloud-init": {"meta-data": null, "user-data": null, "phone-home": {
                       "pub_key_dsa": "", "pub_key_rsa": "", "pub_key_ecdsa": "",
                       "instance_id": "", "hostname": "", "fqdn": ""}}})
        );
        // Go clients send nulls for empty lists.
        let p: BootParams =
            serde_json::from_value(json!({"hosts": null, "macs": null, "cloud-init": null}))
                .unwrap();
        assert_eq!(p, BootParams::default());
    }

    #[test]
    fn etags_depend_on_names_and_versions_not_order() {
        let a = etag(&[("x1", 1), ("x2", 4)]);
        assert_eq!(a, etag(&[("x2", 4), ("x1", 1)]));
        assert_ne!(a, etag(&[("x1", 2), ("x2", 4)]));
        assert_ne!(etag(&[("x1", 1)]), etag(&[("x2", 1)]));
        assert!(a.starts_with('"') && a.ends_with('"') && a.len() == 18);
    }
}
