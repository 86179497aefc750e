//! iPXE boot scripts in BSS's format, written into one buffer per request.

use std::fmt::Write;

use crate::model::boot::BootEntry;
use crate::model::mac::Mac;

use super::index::{NodeInfo, Snapshot};

/// Seconds a node waits before asking again after a failed boot (BSS_RETRY_DELAY).
pub const RETRY_DELAY: u32 = 30;
/// Seconds an unknown node waits before asking again with its architecture.
pub const UNKNOWN_DELAY: u32 = 10;

/// Settings that shape every script.
#[derive(Debug, Clone, Default)]
pub struct ScriptConfig {
    /// Base URL of the bootscript path in chain lines (`http://host:port/boot/v1/bootscript`);
    /// `None`: the URL the request came in on.
    pub chain_base: Option<String>,
    /// Cloud-init data source address, appended as `ds=nocloud-net;s=<addr>/`.
    pub cloud_init: Option<String>,
}

/// How the node asked.
#[derive(Debug, Clone, Copy)]
pub enum Selector<'a> {
    /// `mac=`.
    Mac(Mac),
    /// `name=` (an xname).
    Name(&'a str),
    /// `nid=`.
    Nid(i64),
}

/// One bootscript request.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// How the node named itself.
    pub selector: Selector<'a>,
    /// `retry=`.
    pub retry: i64,
    /// `arch=` (empty when absent).
    pub arch: &'a str,
    /// `ts=` (now when absent).
    pub ts: i64,
    /// Chain base when the config has none (scheme and host of the request).
    pub base: &'a str,
    /// Whether to answer BSS's `json=1` form.
    pub json: bool,
    /// Whether the fetch goes into endpoint history; off for a preview (chami's `preview=1`),
    /// which is an operator looking, not a node booting.
    pub record: bool,
}

/// What came out.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome<'a> {
    /// A script (or JSON document); `booted` names the node when it got its boot entry.
    Script {
        /// The body.
        body: String,
        /// The node that got its boot parameters, for endpoint history.
        booted: Option<&'a str>,
        /// Whether the body is JSON.
        json: bool,
    },
    /// Nothing to boot: the reason, for a 404.
    NotConfigured(String),
}

fn chain_base<'a>(cfg: &'a ScriptConfig, req: &Request<'a>) -> &'a str {
    cfg.chain_base.as_deref().unwrap_or(req.base)
}

fn describe(req: &Request, node: Option<&NodeInfo>) -> String {
    let mut d = match req.selector {
        Selector::Mac(m) => format!("MAC {m}"),
        Selector::Name(n) => n.to_string(),
        Selector::Nid(n) => format!("NID {n}"),
    };
    if let (Some(node), Selector::Mac(_) | Selector::Nid(_)) = (node, req.selector) {
        let _ = write!(d, " ({})", node.id);
    }
    d
}

/// True when some space-separated word of `params` starts with `key`.
fn has_param(params: &str, key: &str) -> bool {
    params.split(' ').any(|w| w.starts_with(key))
}

/// The kernel command line: stored params, then `xname=`, `nid=`, `bss_referral_token=`,
/// `BOOTIF=` and `ds=` unless already present, and `initrd=initrd` first when there is an
/// initrd (as BSS builds it, without its double spaces).
fn write_params(
    out: &mut String,
    cfg: &ScriptConfig,
    entry: &BootEntry,
    node: Option<&NodeInfo>,
    bootif: Option<Mac>,
) {
    let stored = entry.data.params.as_str();
    let start = out.len();
    if !entry.data.initrd.is_empty() {
        out.push_str("initrd=initrd");
    }
    for word in stored.split(' ').filter(|w| !w.is_empty()) {
        if !entry.data.initrd.is_empty() && word.starts_with("initrd=") {
            continue;
        }
        if out.len() > start {
            out.push(' ');
        }
        out.push_str(word);
    }
    let add = |out: &mut String, key: &str, value: std::fmt::Arguments| {
        if !has_param(stored, key) {
            if out.len() > start {
                out.push(' ');
            }
            out.push_str(key);
            let _ = out.write_fmt(value);
        }
    };
    if let Some(node) = node {
        add(out, "xname=", format_args!("{}", node.id));
        if let Some(nid) = node.nid {
            add(out, "nid=", format_args!("{nid}"));
        }
        if !entry.token.is_empty() {
            add(out, "bss_referral_token=", format_args!("{}", entry.token));
        }
    }
    if let Some(mac) = bootif {
        // BOOTIF=01-aa-bb-cc-dd-ee-ff: the MAC with dashes, written on the stack.
        let mut dashed = [0u8; 17];
        let dashed = mac.write_with(b'-', &mut dashed);
        add(out, "BOOTIF=", format_args!("01-{dashed}"));
    }
    if let Some(ds) = &cfg.cloud_init {
        add(out, "ds=", format_args!("nocloud-net;s={ds}/"));
    }
}

fn write_script(
    out: &mut String,
    cfg: &ScriptConfig,
    entry: &BootEntry,
    node: Option<&NodeInfo>,
    bootif: Option<Mac>,
    chain: impl FnOnce(&mut String),
) {
    out.push_str("#!ipxe\nkernel --name kernel ");
    out.push_str(&entry.data.kernel);
    out.push(' ');
    let before = out.len();
    write_params(out, cfg, entry, node, bootif);
    if out.len() == before {
        out.pop();
    }
    out.push_str(" || goto boot_retry\n");
    if !entry.data.initrd.is_empty() {
        out.push_str("initrd --name initrd ");
        out.push_str(&entry.data.initrd);
        out.push_str(" || goto boot_retry\n");
    }
    let _ = write!(
        out,
        "boot || goto boot_retry\n:boot_retry\nsleep {RETRY_DELAY}\n"
    );
    chain(out);
    out.push_str("\n\n");
}

/// `chain <base>?mac=..&arch=${buildarch}&ts=..`: asks again, telling the architecture.
fn unknown_chain(out: &mut String, base: &str, req: &Request, node: Option<&NodeInfo>) {
    out.push_str("chain ");
    out.push_str(base);
    match (req.selector, node.and_then(|n| n.mac)) {
        (Selector::Mac(m), _) | (_, Some(m)) => {
            let _ = write!(out, "?mac={m}");
        }
        (Selector::Name(n), None) => {
            out.push_str("?name=");
            out.push_str(n);
        }
        (Selector::Nid(n), None) => {
            let _ = write!(out, "?nid={n}");
        }
    }
    let _ = write!(out, "&arch=${{buildarch}}&ts={}", req.ts);
}

fn write_json(
    out: &mut String,
    cfg: &ScriptConfig,
    entry: Option<&BootEntry>,
    node: Option<&NodeInfo>,
    bootif: Option<Mac>,
) {
    let mut params = String::from("kernel ");
    let (kernel, initrd) = match entry {
        Some(e) => {
            write_params(&mut params, cfg, e, node, bootif);
            (e.data.kernel.as_str(), e.data.initrd.as_str())
        }
        None => ("", ""),
    };
    let doc = serde_json::json!({
        "params": params,
        "kernel": {"path": kernel},
        "initrd": {"path": initrd},
    });
    out.push_str(&doc.to_string());
}

/// Renders the answer to one bootscript request from a snapshot.
pub fn render<'a>(snap: &'a Snapshot, cfg: &ScriptConfig, req: &Request) -> Outcome<'a> {
    let node = match req.selector {
        Selector::Mac(m) => snap.by_mac(m),
        Selector::Name(n) => crate::model::xname::Xname::parse(n)
            .ok()
            .and_then(|x| snap.by_name(&x)),
        Selector::Nid(n) => snap.by_nid(n),
    };
    let bootif = match req.selector {
        Selector::Mac(m) => Some(m),
        _ => None,
    };
    let base = chain_base(cfg, req);
    let entry = node.and_then(|n| snap.effective(n));
    let mut out = String::with_capacity(512);

    if req.json {
        write_json(&mut out, cfg, entry.map(|e| &**e), node, bootif);
        return Outcome::Script {
            body: out,
            booted: None,
            json: true,
        };
    }

    if let (Some(node), Some(entry)) = (node, entry) {
        if node.bootable && !entry.data.kernel.is_empty() {
            let mac = bootif.or(node.mac);
            write_script(&mut out, cfg, entry, Some(node), bootif, |out| {
                out.push_str("chain ");
                out.push_str(base);
                match mac {
                    Some(m) => {
                        let _ = write!(out, "?mac={m}");
                    }
                    None => {
                        out.push_str("?name=");
                        out.push_str(node.id.as_str());
                    }
                }
                let _ = write!(out, "&retry={}", req.retry.saturating_add(1));
            });
            return Outcome::Script {
                body: out,
                booted: Some(node.id.as_str()),
                json: false,
            };
        }
    }

    // Unknown, disabled, or nothing to boot: first ask the node for its architecture, then
    // boot it from Unknown-<arch>.
    if req.arch.is_empty() {
        let _ = write!(out, "#!ipxe\nsleep {UNKNOWN_DELAY}\n");
        unknown_chain(&mut out, base, req, node);
        out.push_str("\n\n");
        return Outcome::Script {
            body: out,
            booted: None,
            json: false,
        };
    }
    let unknown_name = format!("Unknown-{}", req.arch);
    if let Some(entry) = snap
        .entry(&unknown_name)
        .filter(|e| !e.data.kernel.is_empty())
    {
        write_script(&mut out, cfg, entry, None, None, |out| {
            unknown_chain(out, base, req, node)
        });
        return Outcome::Script {
            body: out,
            booted: None,
            json: false,
        };
    }
    let why = match node {
        Some(n) if !n.bootable => " (disabled or empty in inventory)",
        Some(_) => " (no kernel in its boot parameters)",
        None => "",
    };
    Outcome::NotConfigured(format!(
        "Unknown {} architecture {}{why}: this host not configured for booting.",
        describe(req, node),
        req.arch
    ))
}
