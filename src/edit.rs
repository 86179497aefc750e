//! Text an operator edits: boot parameters as YAML (the console's editor and `chami boot
//! edit` show the same document), and handing such text to `$VISUAL` or `$EDITOR`.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::boot::{BootData, BootParams, CloudInit};

/// What the editor shows: the parts of an entry an operator edits.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Doc {
    #[serde(default)]
    kernel: String,
    #[serde(default)]
    initrd: String,
    #[serde(default)]
    params: String,
    #[serde(
        rename = "cloud-init",
        default,
        skip_serializing_if = "Cloud::is_empty"
    )]
    cloud_init: Cloud,
}

/// Cloud-init's free-form data (phone-home is what nodes report; it is kept, not edited).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Cloud {
    #[serde(rename = "meta-data", default, skip_serializing_if = "Option::is_none")]
    meta_data: Option<Map<String, Value>>,
    #[serde(rename = "user-data", default, skip_serializing_if = "Option::is_none")]
    user_data: Option<Map<String, Value>>,
}

impl Cloud {
    fn is_empty(&self) -> bool {
        self.meta_data.is_none() && self.user_data.is_none()
    }
}

/// The YAML the editor shows for what an entry boots.
pub fn to_text(d: &BootData) -> String {
    let doc = Doc {
        kernel: d.kernel.clone(),
        initrd: d.initrd.clone(),
        params: d.params.clone(),
        cloud_init: Cloud {
            meta_data: d.cloud_init.meta_data.clone(),
            user_data: d.cloud_init.user_data.clone(),
        },
    };
    serde_yaml::to_string(&doc).unwrap_or_default()
}

/// `line N: why`, for a problem in the text (`line` 0-based).
pub fn at_line((line, why): &(usize, String)) -> String {
    format!("line {}: {why}", line + 1)
}

/// Reads the editor's text back: the parameters to write (phone-home taken from `base`), or
/// the first problem with its line (0-based).
pub fn parse(text: &str, base: &BootParams) -> Result<BootParams, (usize, String)> {
    let doc: Doc = if text.trim().is_empty() {
        Doc::default()
    } else {
        serde_yaml::from_str(text).map_err(|e| {
            let line = e.location().map_or(0, |l| l.line().saturating_sub(1));
            (line, e.to_string())
        })?
    };
    let p = BootParams {
        kernel: doc.kernel.trim().to_string(),
        initrd: doc.initrd.trim().to_string(),
        params: doc.params.trim().to_string(),
        cloud_init: CloudInit {
            meta_data: doc.cloud_init.meta_data,
            user_data: doc.cloud_init.user_data,
            phone_home: base.cloud_init.phone_home.clone(),
        },
        ..BootParams::default()
    };
    BootData::of(&p).validate().map_err(|why| {
        // The message starts with the field it is about; point at that field's line.
        let field = ["params", "kernel", "initrd"]
            .into_iter()
            .find(|f| why.starts_with(f))
            .unwrap_or("params");
        let line = text
            .lines()
            .position(|l| l.starts_with(&format!("{field}:")))
            .unwrap_or(0);
        (line, why)
    })?;
    Ok(p)
}

/// Opens `$VISUAL` or `$EDITOR` (else `vi`) on a private temporary file holding `text`;
/// returns what the file holds when the editor exits, or why it could not run. The caller
/// owns the terminal meanwhile.
pub async fn external(text: &str) -> Result<String, String> {
    let file = tempfile::Builder::new()
        .prefix("chami-boot-")
        .suffix(".yaml")
        .tempfile()
        .map_err(|e| format!("cannot create a temporary file: {e}"))?;
    std::fs::write(file.path(), text)
        .map_err(|e| format!("cannot write {}: {e}", file.path().display()))?;
    let editor = std::env::var("VISUAL")
        .ok()
        .or_else(|| std::env::var("EDITOR").ok())
        .filter(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".into());
    // Through the shell, so an editor with arguments (`code --wait`) works.
    let path = file.path().to_path_buf();
    let shell = format!("{editor} \"$1\"");
    let status = tokio::task::spawn_blocking(move || {
        std::process::Command::new("sh")
            .arg("-c")
            .arg(shell)
            .arg("sh")
            .arg(path)
            .status()
    })
    .await
    .map_err(|e| format!("cannot run {editor}: {e}"))?
    .map_err(|e| format!("cannot run {editor}: {e}"))?;
    if !status.success() {
        return Err(format!(
            "{editor} exited with {status}; nothing was taken from it"
        ));
    }
    std::fs::read_to_string(file.path())
        .map_err(|e| format!("cannot read {}: {e}", file.path().display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_round_trips_and_keeps_phone_home() {
        let mut p = BootParams {
            kernel: "http://s/k".into(),
            initrd: "http://s/i".into(),
            params: "console=ttyS0 quiet".into(),
            ..BootParams::default()
        };
        p.cloud_init.phone_home.pub_key_rsa = "ssh-rsa AAA".into();
        let text = to_text(&BootData::of(&p));
        assert!(text.contains("kernel: http://s/k\n"), "{text}");
        assert!(!text.contains("cloud-init"), "{text}");
        assert_eq!(parse(&text, &p).unwrap(), p);
    }

    #[test]
    fn problems_name_their_line() {
        let base = BootParams::default();
        let (line, why) = parse("kernel: http://s/k\nparams: a && reboot\n", &base).unwrap_err();
        assert_eq!(line, 1);
        assert!(why.contains("'&&'"), "{why}");
        let (line, why) = parse("kernel: http://s/k\ninitrd: [\n", &base).unwrap_err();
        assert_eq!(line, 1, "{why}");
        let (_, why) = parse("kernal: http://s/k\n", &base).unwrap_err();
        assert!(why.contains("kernal"), "{why}");
        let (line, why) = parse("params: x\nkernel: ftp://s/k\n", &base).unwrap_err();
        assert_eq!(line, 1);
        assert!(why.contains("scheme 'ftp'"), "{why}");
    }
}
