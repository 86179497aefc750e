//! `chami token mint`: a break-glass token signed by the data dir's built-in issuer key.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use crate::fsutil;
use crate::service::auth::Role;
use crate::service::issuer::{parse_ttl, Issuer, MintRequest, DEFAULT_AUDIENCE, DEFAULT_ISSUER};

/// `chami token ...`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Print a token signed with the data dir's issuer key (no server needed).
    Mint(MintArgs),
}

/// Options of `chami token mint`.
#[derive(Debug, Args)]
pub struct MintArgs {
    /// Subject (`sub`) of the token: who it stands for.
    #[arg(long)]
    pub sub: String,
    /// Role: admin, operator, viewer or service (repeatable; with --tenant, operator when
    /// none is given).
    #[arg(long = "role", required_unless_present = "tenant")]
    pub roles: Vec<Role>,
    /// Tenant the holder administers: a tenant admin token, which must send
    /// `Cray-Tenant-Name: <tenant>` and reaches only that tenant's nodes.
    #[arg(long)]
    pub tenant: Option<String>,
    /// Lifetime, such as 30m, 1h, 7d.
    #[arg(long, default_value = "1h", value_parser = parse_ttl)]
    pub ttl: std::time::Duration,
    /// Data dir holding the issuer key (default: $XDG_DATA_HOME/chami).
    #[arg(long, env = "CHAMI_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// `iss` claim; must match the server's --token-issuer.
    #[arg(long, env = "CHAMI_TOKEN_ISSUER", default_value = DEFAULT_ISSUER)]
    pub issuer: String,
    /// `aud` claim; must match the server's --token-audience.
    #[arg(long, env = "CHAMI_TOKEN_AUDIENCE", default_value = DEFAULT_AUDIENCE)]
    pub audience: String,
}

/// Runs a token subcommand, printing the token on stdout.
pub fn run(cmd: &TokenCommand) -> anyhow::Result<()> {
    match cmd {
        TokenCommand::Mint(a) => {
            let dir = a.data_dir.clone().unwrap_or_else(fsutil::default_data_dir);
            fsutil::ensure_dir(&dir)?;
            let issuer = Issuer::load_or_create(&dir, &a.issuer, &a.audience)?;
            let roles = if a.roles.is_empty() {
                vec![Role::Operator]
            } else {
                a.roles.clone()
            };
            let token = issuer.mint(&MintRequest {
                subject: a.sub.clone(),
                roles,
                tenant: a.tenant.clone(),
                ttl: a.ttl,
            })?;
            println!("{token}");
            Ok(())
        }
    }
}
