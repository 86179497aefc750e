//! Starting the console: over a core started in-process on the data dir (the default), or
//! attached to a remote core with `--server`. Either way it talks HTTPS through `client/`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;

use crate::client::Client;
use crate::config::ServeArgs;
use crate::server::{self, Server};
use crate::service::auth;
use crate::service::issuer::MintRequest;
use crate::tui::{self, keymap::Keymap, theme::Theme};

/// How the console looks (shared by `chami` and `chami demo`).
#[derive(Debug, Clone, Args)]
pub struct LookArgs {
    /// Colour theme: default, light, high-contrast, monochrome (NO_COLOR forces monochrome).
    #[arg(long, env = "CHAMI_THEME", default_value = "default")]
    pub theme: String,
    /// Hide every action that changes anything, and show [RO].
    #[arg(long, env = "CHAMI_READ_ONLY")]
    pub read_only: bool,
}

/// Where the console's core is.
#[derive(Debug, Clone, Args)]
pub struct ConsoleArgs {
    /// Attach to the core at this URL instead of starting one on the data dir.
    #[arg(long, env = "CHAMI_SERVER")]
    pub server: Option<String>,
    /// A file holding the bearer token for --server.
    #[arg(long, env = "CHAMI_TOKEN_FILE")]
    pub token_file: Option<PathBuf>,
    /// The bearer token for --server (prefer --token-file: arguments show in `ps`).
    #[arg(long, env = "CHAMI_TOKEN", hide_env_values = true)]
    pub token: Option<String>,
    /// CA certificate (PEM) to trust for --server; the system roots otherwise.
    #[arg(long, env = "CHAMI_CA_CERT")]
    pub ca_cert: Option<PathBuf>,
    /// Data dir of the in-process core (default: $XDG_DATA_HOME/chami).
    #[arg(long, env = "CHAMI_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    #[command(flatten)]
    pub look: LookArgs,
}

/// Theme and keymap from the flags and `$XDG_CONFIG_HOME/chami/keys.toml`. A bad theme name
/// is an error; a bad keymap file is reported in the console and the defaults are used.
pub fn options(look: &LookArgs) -> anyhow::Result<tui::Options> {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let theme = if no_color {
        Theme::monochrome()
    } else {
        Theme::named(&look.theme).map_err(|e| anyhow::anyhow!("--theme: {e}"))?
    };
    let mut banner = None;
    let mut keymap = Keymap::default();
    if let Some(path) = dirs::config_dir().map(|d| d.join("chami").join("keys.toml")) {
        if path.exists() {
            match std::fs::read_to_string(&path)
                .map_err(|e| e.to_string())
                .and_then(|t| keymap.with_overrides(&t))
            {
                Ok(k) => keymap = k,
                Err(e) => {
                    let text = format!("{}: {e}; using the default keys", path.display());
                    tracing::warn!("{text}");
                    banner = Some(text);
                }
            }
        }
    }
    Ok(tui::Options {
        theme,
        keymap,
        read_only: look.read_only,
        banner,
    })
}

/// Where the console writes its log: `$XDG_STATE_HOME/chami/chami.log`.
pub fn log_path() -> PathBuf {
    dirs::state_dir()
        .or_else(dirs::data_local_dir)
        .unwrap_or_else(std::env::temp_dir)
        .join("chami")
        .join("chami.log")
}

/// An admin token for the in-process core, minted from its own key.
pub fn local_admin_token(server: &Server, subject: &str) -> anyhow::Result<String> {
    Ok(server.issuer.mint(&MintRequest {
        subject: subject.into(),
        roles: vec![auth::Role::Admin],
        tenant: None,
        ttl: Duration::from_secs(12 * 3600),
    })?)
}

/// A client of an in-process core, trusting its CA.
pub fn local_client(server: &Server, token: &str) -> anyhow::Result<Client> {
    let ca = match &server.ca {
        Some(p) => Some(
            std::fs::read(p)
                .map_err(|e| anyhow::anyhow!("cannot read the core's CA {}: {e}", p.display()))?,
        ),
        None => None,
    };
    Ok(Client::new(&server.url(), token, ca.as_deref())?)
}

fn read_file(what: &str, path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {what} {}: {e}", path.display()))
}

/// Runs the console: attached to `--server`, or over an in-process core on the data dir.
pub async fn run(args: ConsoleArgs) -> anyhow::Result<()> {
    let opts = options(&args.look)?;
    match &args.server {
        Some(url) => {
            let token = match (&args.token_file, &args.token) {
                (Some(f), _) => String::from_utf8_lossy(&read_file("--token-file", f)?)
                    .trim()
                    .to_string(),
                (None, Some(t)) => t.trim().to_string(),
                (None, None) => anyhow::bail!(
                    "--server needs a token: --token-file FILE or CHAMI_TOKEN \
                     (mint one with `chami token mint` on the core's host)"
                ),
            };
            let ca = match &args.ca_cert {
                Some(p) => Some(read_file("--ca-cert", p)?),
                None => None,
            };
            let client = Client::new(url, &token, ca.as_deref())?;
            tui::run(client, opts).await
        }
        None => {
            let dir = args
                .data_dir
                .clone()
                .unwrap_or_else(crate::fsutil::default_data_dir);
            let serve = ServeArgs::for_data_dir(dir.clone(), ([127, 0, 0, 1], 0).into());
            let server = server::start(&serve).await.map_err(|e| {
                anyhow::anyhow!(
                    "{e:#}\n(if `chami serve` already runs on {}, attach to it with --server URL)",
                    dir.display()
                )
            })?;
            let token = local_admin_token(&server, "console")?;
            let client = local_client(&server, &token)?;
            let result = tui::run(client, opts).await;
            server.shutdown().await?;
            result
        }
    }
}
