//! Starting the console: over a core started in-process on the data dir (the default), or
//! attached to a remote core with `--server`. Either way it talks HTTPS through `client/`.

use std::path::PathBuf;

use clap::Args;

use super::connect::{ConnectArgs, Connection};
use crate::tui::{self, keymap::Keymap, theme::Theme};

/// How the console looks (shared by `chami` and `chami demo`).
#[derive(Debug, Clone, Args)]
pub struct LookArgs {
    /// Colour theme: default, light, high-contrast, monochrome, NAME for
    /// $XDG_CONFIG_HOME/chami/themes/NAME.toml, or a theme file's path (NO_COLOR forces
    /// monochrome).
    #[arg(long, env = "CHAMI_THEME", default_value = "default")]
    pub theme: String,
    /// Hide every action that changes anything, and show [RO].
    #[arg(long, env = "CHAMI_READ_ONLY")]
    pub read_only: bool,
    /// A power action on more nodes than this asks for their count to be typed.
    #[arg(long, env = "CHAMI_CONFIRM_OVER", default_value_t = tui::power::CONFIRM_OVER)]
    pub confirm_over: usize,
}

/// Where the console's core is, and how it looks.
#[derive(Debug, Clone, Args)]
pub struct ConsoleArgs {
    #[command(flatten)]
    pub connect: ConnectArgs,
    #[command(flatten)]
    pub look: LookArgs,
}

/// Theme and keymap from the flags and `$XDG_CONFIG_HOME/chami/{themes/*.toml,keys.toml}`.
/// A theme name found nowhere is an error; a bad theme or keymap file is reported in the
/// console and the defaults are used.
pub fn options(look: &LookArgs) -> anyhow::Result<tui::Options> {
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let mut banner = None;
    let theme = if no_color {
        Theme::monochrome()
    } else {
        let user_dir = dirs::config_dir().map(|d| d.join("chami").join("themes"));
        let (theme, warning) = Theme::resolve(&look.theme, user_dir.as_deref())
            .map_err(|e| anyhow::anyhow!("--theme: {e}"))?;
        if let Some(w) = warning {
            tracing::warn!("{w}");
            banner = Some(w);
        }
        theme
    };
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
                    banner = Some(match banner.take() {
                        Some(theme) => format!("{theme}; {text}"),
                        None => text,
                    });
                }
            }
        }
    }
    Ok(tui::Options {
        theme,
        keymap,
        read_only: look.read_only,
        confirm_over: look.confirm_over,
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

/// Runs the console: attached to `--server`, or over an in-process core on the data dir.
pub async fn run(args: ConsoleArgs) -> anyhow::Result<()> {
    let opts = options(&args.look)?;
    let conn = Connection::open(&args.connect, "console").await?;
    let result = tui::run(conn.client.clone(), opts).await;
    conn.close().await?;
    result
}
