//! Cloud-init data (OpenCHAMI's metadata-service, the cloud-init server's API): cluster
//! defaults, groups with their cloud-config file, per-node instance info, and what a node is
//! served: `meta-data` (YAML), `user-data`, `vendor-data` (an `#include` of its groups' files)
//! and each group's file. No I/O.

use std::net::IpAddr;

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

/// A bad cloud-init request, with the message an operator sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MetadataError(pub String);

/// Values every node's meta-data starts from (`/admin/cluster-defaults`), with upstream's keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClusterDefaults {
    /// Cloud provider name.
    #[serde(
        rename = "cloud_provider",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub cloud_provider: String,
    /// Region.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub region: String,
    /// Availability zone.
    #[serde(
        rename = "availability-zone",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub availability_zone: String,
    /// The cluster's long name.
    #[serde(
        rename = "cluster-name",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub cluster_name: String,
    /// SSH keys every node gets.
    #[serde(rename = "public-keys", default, skip_serializing_if = "Vec::is_empty")]
    pub public_keys: Vec<String>,
    /// Where nodes fetch group files (`http://10.0.0.1:8081/cloud-init`).
    #[serde(rename = "base-url", default, skip_serializing_if = "String::is_empty")]
    pub base_url: String,
    /// The boot subnet.
    #[serde(
        rename = "boot-subnet",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub boot_subnet: String,
    /// The WireGuard subnet.
    #[serde(
        rename = "wg-subnet",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub wg_subnet: String,
    /// Prefix of generated host names (`nid`); the cluster name's first two letters if empty.
    #[serde(
        rename = "short-name",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub short_name: String,
    /// Digits of the NID in generated host names (4 if 0).
    #[serde(rename = "nid-length", default, skip_serializing_if = "is_zero")]
    pub nid_length: u32,
}

fn is_zero(n: &u32) -> bool {
    *n == 0
}

/// A group's cloud-config file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CloudConfigFile {
    /// The content, as `encoding` says.
    #[serde(default)]
    pub content: String,
    /// Its name.
    #[serde(default)]
    pub filename: String,
    /// `plain` (or empty) or `base64`.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub encoding: String,
}

/// A cloud-init group: an SMD group's label, meta-data its nodes see, and its file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MetaGroup {
    /// The SMD group label whose nodes it serves (from the path on a PUT).
    #[serde(default)]
    pub name: String,
    /// Free text.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Meta-data its nodes see under `vendor_data.groups.<name>`.
    #[serde(rename = "meta-data", default, skip_serializing_if = "Map::is_empty")]
    #[schema(value_type = Object)]
    pub meta_data: Map<String, Value>,
    /// Its cloud-config file.
    #[serde(default)]
    pub file: CloudConfigFile,
}

impl MetaGroup {
    /// A group as written: a name SMD takes as a label, a known encoding, content that decodes.
    pub fn check(&self) -> Result<(), MetadataError> {
        let n = &self.name;
        let ok = !n.is_empty()
            && n.len() <= 255
            && n.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | ':'));
        if !ok {
            return Err(MetadataError(format!(
                "group name '{n}' is not valid: 1 to 255 letters, digits, '-', '_', '.' or ':'"
            )));
        }
        self.file_text().map(|_| ())
    }

    /// The file's text, decoded.
    pub fn file_text(&self) -> Result<String, MetadataError> {
        match self.file.encoding.as_str() {
            "" | "plain" => Ok(self.file.content.clone()),
            "base64" => {
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(self.file.content.trim())
                    .map_err(|e| {
                        MetadataError(format!(
                            "group '{}': file content is not base64: {e}",
                            self.name
                        ))
                    })?;
                String::from_utf8(bytes).map_err(|_| {
                    MetadataError(format!(
                        "group '{}': file content is not UTF-8 text once decoded",
                        self.name
                    ))
                })
            }
            other => Err(MetadataError(format!(
                "group '{}': encoding '{other}' is not plain or base64",
                self.name
            ))),
        }
    }
}

/// What one node's meta-data overrides (`/admin/instance-info/{id}`), with upstream's keys.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InstanceInfo {
    /// The node (set from the path).
    #[serde(default)]
    pub id: String,
    /// Cloud-init's instance ID (a stable one is made when empty).
    #[serde(rename = "instance-id", default)]
    pub instance_id: String,
    /// Short host name.
    #[serde(
        rename = "local-hostname",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub local_hostname: String,
    /// Host name (often the FQDN).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hostname: String,
    /// Cluster name.
    #[serde(
        rename = "cluster-name",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub cluster_name: String,
    /// Region.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub region: String,
    /// Availability zone.
    #[serde(
        rename = "availability-zone",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub availability_zone: String,
    /// Cloud provider.
    #[serde(
        rename = "cloud-provider",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub cloud_provider: String,
    /// Instance type.
    #[serde(
        rename = "instance-type",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub instance_type: String,
    /// Where this node fetches group files.
    #[serde(
        rename = "cloud-init-base-url",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub cloud_init_base_url: String,
    /// SSH keys this node gets beside the cluster's.
    #[serde(rename = "public-keys", default, skip_serializing_if = "Vec::is_empty")]
    pub public_keys: Vec<String>,
}

/// A stable instance ID for a node that has none set: `i-` and eight hex digits of its name.
pub fn default_instance_id(xname: &str) -> String {
    // FNV-1a: stable across builds and processes, unlike std's hasher.
    let mut h: u32 = 0x811c_9dc5;
    for b in xname.bytes() {
        h ^= u32::from(b);
        h = h.wrapping_mul(0x0100_0193);
    }
    format!("i-{h:08x}")
}

/// What inventory says of the node asking.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NodeFacts {
    /// Its xname.
    pub id: String,
    /// Its NID.
    pub nid: Option<i64>,
    /// Role and subrole.
    pub role: String,
    pub sub_role: String,
    /// Its first interface's IP and MAC.
    pub ip: String,
    pub mac: String,
    /// The SMD groups it is in.
    pub groups: Vec<String>,
}

/// A host name from the cluster's short name and the NID (`nid0042`), as upstream makes it.
fn generated_hostname(d: &ClusterDefaults, nid: Option<i64>) -> String {
    let short = if d.short_name.is_empty() {
        d.cluster_name.chars().take(2).collect()
    } else {
        d.short_name.clone()
    };
    let width = if d.nid_length == 0 { 4 } else { d.nid_length } as usize;
    format!("{short}{:0width$}", nid.unwrap_or(0))
}

/// A node's meta-data as upstream serves it (YAML keys), from its facts, its groups (each
/// with the stored group, if any), the cluster defaults and its instance info.
pub fn meta_data(
    node: &NodeFacts,
    groups: &[(String, Option<MetaGroup>)],
    d: &ClusterDefaults,
    inst: &InstanceInfo,
) -> Value {
    let instance_id = if inst.instance_id.is_empty() {
        default_instance_id(&node.id)
    } else {
        inst.instance_id.clone()
    };
    let pick = |own: &str, made: &dyn Fn() -> String| {
        if own.is_empty() {
            made()
        } else {
            own.to_string()
        }
    };
    let local = pick(&inst.local_hostname, &|| generated_hostname(d, node.nid));
    let host = pick(&inst.hostname, &|| generated_hostname(d, node.nid));
    let base = pick(&inst.cloud_init_base_url, &|| d.base_url.clone());
    let mut by_group = Map::new();
    for (name, g) in groups {
        let mut m = Map::new();
        let description = g
            .as_ref()
            .map(|g| g.description.clone())
            .filter(|s| !s.is_empty())
            .unwrap_or_else(|| "No description Found".into());
        m.insert("Description".into(), json!(description));
        if let Some(g) = g {
            m.extend(g.meta_data.clone());
        }
        by_group.insert(name.clone(), Value::Object(m));
    }
    let mut keys = d.public_keys.clone();
    keys.extend(inst.public_keys.iter().cloned());
    let mut v1 = Map::new();
    let mut put = |k: &str, v: &str| {
        if !v.is_empty() {
            v1.insert(k.into(), json!(v));
        }
    };
    put("availability_zone", &d.availability_zone);
    put("instance_id", &instance_id);
    put("instance_type", &inst.instance_type);
    put("region", &d.region);
    put("cloud_provider", &d.cloud_provider);
    if !node.ip.is_empty() {
        v1.insert("local_ipv4".into(), json!(node.ip));
    }
    if !keys.is_empty() {
        v1.insert("public_keys".into(), json!(keys));
    }
    let mut vendor = Map::new();
    vendor.insert("version".into(), json!("1.0"));
    if !base.is_empty() {
        vendor.insert("cloud_init_base_url".into(), json!(base));
    }
    if let Some(n) = node.nid {
        vendor.insert("nid".into(), json!(n));
    }
    if !node.role.is_empty() {
        vendor.insert("role".into(), json!(node.role));
    }
    if !node.sub_role.is_empty() {
        vendor.insert("sub_role".into(), json!(node.sub_role));
    }
    if !d.cluster_name.is_empty() {
        vendor.insert("cluster_name".into(), json!(d.cluster_name));
    }
    vendor.insert("groups".into(), Value::Object(by_group));
    v1.insert("vendor_data".into(), Value::Object(vendor));
    json!({
        "instance-id": instance_id,
        "local-hostname": local,
        "hostname": host,
        "cluster-name": d.cluster_name,
        "instance_data": {"v1": v1},
    })
}

/// A node's vendor-data: an `#include` of each of its groups' files under `base`.
pub fn vendor_data(base: &str, groups: &[String]) -> String {
    let mut out = String::from("#include\n");
    for g in groups {
        out.push_str(&format!("{}/{g}.yaml\n", base.trim_end_matches('/')));
    }
    out
}

/// A trusted proxy: an address or a network (`10.0.0.5`, `10.0.0.0/24`, `fd00::/8`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Reads an address or network; the error names it.
    pub fn parse(raw: &str) -> Result<Cidr, MetadataError> {
        let bad = || {
            MetadataError(format!(
                "trusted proxy '{raw}' is not an address or network (10.0.0.5, 10.0.0.0/24)"
            ))
        };
        let (addr, prefix) = match raw.trim().split_once('/') {
            Some((a, p)) => (a, Some(p.parse::<u8>().map_err(|_| bad())?)),
            None => (raw.trim(), None),
        };
        let net: IpAddr = addr.parse().map_err(|_| bad())?;
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = prefix.unwrap_or(max);
        if prefix > max {
            return Err(bad());
        }
        Ok(Cidr { net, prefix })
    }

    /// Whether `ip` lies in it.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let bits = |ip: IpAddr| -> (u128, u8) {
            match ip {
                IpAddr::V4(a) => (u128::from(u32::from(a)), 32),
                IpAddr::V6(a) => (u128::from(a), 128),
            }
        };
        let (ip, ip_len) = bits(normal_ip(ip));
        let (net, net_len) = bits(normal_ip(self.net));
        if ip_len != net_len {
            return false;
        }
        let host = u32::from(net_len - self.prefix);
        let mask = if host >= 128 { 0 } else { !0u128 << host };
        ip & mask == net & mask
    }
}

/// An IPv4-mapped IPv6 address as IPv4.
pub fn normal_ip(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// The address a node-facing request speaks for: the peer's, or, when the peer is a trusted
/// proxy, the last `X-Forwarded-For` entry that proxy appended.
pub fn asking_ip(
    peer: IpAddr,
    forwarded: Option<&str>,
    trusted: &[Cidr],
) -> Result<IpAddr, MetadataError> {
    let peer = normal_ip(peer);
    let Some(xff) = forwarded.filter(|_| trusted.iter().any(|c| c.contains(peer))) else {
        return Ok(peer);
    };
    let last = xff.rsplit(',').next().unwrap_or("").trim();
    last.parse::<IpAddr>().map(normal_ip).map_err(|_| {
        MetadataError(format!(
            "X-Forwarded-For from trusted proxy {peer} ends in '{last}', not an address"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meta_data_has_upstreams_shape() {
        let node = NodeFacts {
            id: "x1000c0s0b0n0".into(),
            nid: Some(42),
            role: "Compute".into(),
            ip: "10.100.0.42".into(),
            groups: vec!["compute".into(), "bare".into()],
            ..NodeFacts::default()
        };
        let defaults = ClusterDefaults {
            cluster_name: "demo".into(),
            short_name: "nid".into(),
            nid_length: 6,
            public_keys: vec!["ssh-ed25519 AAA admin".into()],
            base_url: "http://10.0.0.1:8081/cloud-init".into(),
            ..ClusterDefaults::default()
        };
        let group = MetaGroup {
            name: "compute".into(),
            description: "Compute nodes".into(),
            meta_data: json!({"syslog": "10.0.0.2"}).as_object().unwrap().clone(),
            ..MetaGroup::default()
        };
        let groups = [("compute".into(), Some(group)), ("bare".into(), None)];
        let inst = InstanceInfo {
            public_keys: vec!["ssh-ed25519 BBB user".into()],
            ..InstanceInfo::default()
        };
        let m = meta_data(&node, &groups, &defaults, &inst);
        assert_eq!(m["local-hostname"], "nid000042");
        assert_eq!(m["hostname"], "nid000042");
        assert_eq!(m["instance-id"], default_instance_id("x1000c0s0b0n0"));
        let v1 = &m["instance_data"]["v1"];
        assert_eq!(v1["local_ipv4"], "10.100.0.42");
        assert_eq!(v1["public_keys"].as_array().unwrap().len(), 2);
        let vendor = &v1["vendor_data"];
        assert_eq!(vendor["nid"], 42);
        assert_eq!(vendor["groups"]["compute"]["syslog"], "10.0.0.2");
        assert_eq!(
            vendor["groups"]["bare"]["Description"],
            "No description Found"
        );
        assert_eq!(
            vendor["cloud_init_base_url"],
            "http://10.0.0.1:8081/cloud-init"
        );
        // Set names win; without a short name, the cluster name's first two letters.
        let inst = InstanceInfo {
            local_hostname: "login1".into(),
            instance_id: "i-fixed".into(),
            ..InstanceInfo::default()
        };
        let d = ClusterDefaults {
            cluster_name: "demo".into(),
            ..ClusterDefaults::default()
        };
        let m = meta_data(&node, &[], &d, &inst);
        assert_eq!(m["local-hostname"], "login1");
        assert_eq!(m["hostname"], "de0042");
        assert_eq!(m["instance-id"], "i-fixed");
    }

    #[test]
    fn vendor_data_includes_each_group() {
        assert_eq!(
            vendor_data("http://h/cloud-init/", &["a".into(), "b".into()]),
            "#include\nhttp://h/cloud-init/a.yaml\nhttp://h/cloud-init/b.yaml\n"
        );
    }

    #[test]
    fn groups_are_checked_when_written() {
        let g = |name: &str, encoding: &str, content: &str| MetaGroup {
            name: name.into(),
            file: CloudConfigFile {
                content: content.into(),
                filename: "f".into(),
                encoding: encoding.into(),
            },
            ..MetaGroup::default()
        };
        assert!(g("compute", "plain", "#cloud-config\n").check().is_ok());
        assert_eq!(
            g("compute", "base64", "I2Nsb3VkLWNvbmZpZwo=")
                .file_text()
                .unwrap(),
            "#cloud-config\n"
        );
        assert!(g("compute", "base64", "not base64!")
            .check()
            .unwrap_err()
            .0
            .contains("not base64"));
        assert!(g("compute", "gzip", "")
            .check()
            .unwrap_err()
            .0
            .contains("'gzip'"));
        assert!(g("a b", "", "").check().unwrap_err().0.contains("'a b'"));
        assert!(g("", "", "").check().is_err());
    }

    #[test]
    fn the_asking_address_trusts_only_trusted_proxies() {
        let proxy = Cidr::parse("10.0.0.0/24").unwrap();
        let peer: IpAddr = "10.0.0.5".parse().unwrap();
        let stranger: IpAddr = "10.0.1.5".parse().unwrap();
        let xff = Some("1.2.3.4, 10.100.0.7");
        assert_eq!(
            asking_ip(peer, xff, &[proxy]).unwrap().to_string(),
            "10.100.0.7"
        );
        // An untrusted peer's X-Forwarded-For is ignored: it speaks for itself.
        assert_eq!(asking_ip(stranger, xff, &[proxy]).unwrap(), stranger);
        assert_eq!(asking_ip(peer, None, &[proxy]).unwrap(), peer);
        assert!(asking_ip(peer, Some("nonsense"), &[proxy]).is_err());
        let mapped: IpAddr = "::ffff:10.0.0.9".parse().unwrap();
        assert!(proxy.contains(mapped));
        assert!(Cidr::parse("10.0.0.0/33").is_err());
        assert!(Cidr::parse("host").is_err());
        assert!(Cidr::parse("::1").unwrap().contains("::1".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains(stranger));
    }
}
