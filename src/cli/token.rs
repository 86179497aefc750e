//! `chami token mint`: a break-glass token signed by the data dir's built-in issuer key;
//! `chami token get`: a token from a core's token endpoint, as an OAuth client.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::output::{self, Failure};
use crate::client::Client;
use crate::fsutil;
use crate::model::auth::Role;
use crate::server::local::{self, parse_ttl, Mint, DEFAULT_AUDIENCE, DEFAULT_ISSUER};

/// `chami token ...`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Print a token signed with the data dir's issuer key (no server needed).
    Mint(MintArgs),
    /// Print a token from a core's token endpoint, as an OAuth client (--oauth-clients on the
    /// server): `chami token get ... > token && chami --token-file token ...`.
    Get(GetArgs),
}

/// Options of `chami token get`.
#[derive(Debug, Args)]
pub struct GetArgs {
    /// The core's URL.
    #[arg(long, env = "CHAMI_SERVER")]
    pub server: String,
    /// CA certificate (PEM) to trust for --server; the system roots otherwise.
    #[arg(long, env = "CHAMI_CA_CERT")]
    pub ca_cert: Option<PathBuf>,
    /// The OAuth client's id.
    #[arg(long, env = "CHAMI_CLIENT_ID")]
    pub client_id: String,
    /// A file holding the client's secret (its first line).
    #[arg(long, env = "CHAMI_CLIENT_SECRET_FILE")]
    pub client_secret_file: PathBuf,
}

/// Runs `chami token get`, printing the token on stdout.
pub async fn get(a: &GetArgs) -> Result<(), Failure> {
    let read = |what: &str, p: &PathBuf| {
        std::fs::read(p)
            .map_err(|e| Failure::Usage(format!("cannot read {what} {}: {e}", p.display())))
    };
    let secret = String::from_utf8_lossy(&read("client secret file", &a.client_secret_file)?)
        .lines()
        .next()
        .unwrap_or_default()
        .to_string();
    let ca = a
        .ca_cert
        .as_ref()
        .map(|p| read("CA certificate", p))
        .transpose()?;
    let client = Client::new(&a.server, "", ca.as_deref())?;
    output::out(&format!(
        "{}\n",
        client.oauth_token(&a.client_id, &secret).await?
    ))
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

/// Runs `chami token mint`, printing the token on stdout.
pub fn mint(a: &MintArgs) -> anyhow::Result<()> {
    let roles = if a.roles.is_empty() {
        vec![Role::Operator]
    } else {
        a.roles.clone()
    };
    let token = local::mint(&Mint {
        data_dir: a.data_dir.clone().unwrap_or_else(fsutil::default_data_dir),
        issuer: a.issuer.clone(),
        audience: a.audience.clone(),
        subject: a.sub.clone(),
        roles,
        tenant: a.tenant.clone(),
        ttl: a.ttl,
    })?;
    output::out_or_closed(&format!("{token}\n"))
}
