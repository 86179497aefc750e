//! A core for this process's own use: started on the data dir on a loopback port, reached
//! through the typed client with an admin token minted from the data dir's key, as `chami`,
//! `chami <noun> <verb>` without `--server` and `chami demo` do. Also offline minting for
//! `chami token mint`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::config::ServeArgs;
use super::Server;
use crate::client::Client;
use crate::fsutil;
use crate::model::auth::Role;
use crate::service::issuer::{Issuer, MintRequest};

pub use crate::service::issuer::{parse_ttl, DEFAULT_AUDIENCE, DEFAULT_ISSUER};

/// How long a local admin token lasts: a working day's console session.
const LOCAL_TOKEN_TTL: Duration = Duration::from_secs(12 * 3600);

/// Starts a core on `data_dir`, listening on an ephemeral loopback port, and a client of it
/// with an admin token for `subject`.
pub async fn start(data_dir: &Path, subject: &str) -> anyhow::Result<(Server, Client)> {
    let serve = ServeArgs::for_data_dir(data_dir.to_path_buf(), ([127, 0, 0, 1], 0).into());
    let server = super::start(&serve).await.map_err(|e| {
        anyhow::anyhow!(
            "{e:#}\n(if `chami serve` already runs on {}, attach to it with --server URL)",
            data_dir.display()
        )
    })?;
    let token = admin_token(&server, subject)?;
    let client = client(&server, &token)?;
    Ok((server, client))
}

/// An admin token for an in-process core, minted from its own key.
pub fn admin_token(server: &Server, subject: &str) -> anyhow::Result<String> {
    Ok(server.issuer.mint(&MintRequest {
        subject: subject.into(),
        roles: vec![Role::Admin],
        tenant: None,
        ttl: LOCAL_TOKEN_TTL,
    })?)
}

/// A client of an in-process core with `token`, trusting the core's CA.
pub fn client(server: &Server, token: &str) -> anyhow::Result<Client> {
    let ca = match &server.ca {
        Some(p) => Some(
            std::fs::read(p)
                .map_err(|e| anyhow::anyhow!("cannot read the core's CA {}: {e}", p.display()))?,
        ),
        None => None,
    };
    Ok(Client::new(&server.url(), token, ca.as_deref())?)
}

/// What a token minted offline says.
pub struct Mint {
    /// The data dir holding the issuer key (made if missing).
    pub data_dir: PathBuf,
    /// `iss`, which must match the server's.
    pub issuer: String,
    /// `aud`, which must match the server's.
    pub audience: String,
    /// `sub`.
    pub subject: String,
    /// Roles the token carries.
    pub roles: Vec<Role>,
    /// The tenant its holder administers.
    pub tenant: Option<String>,
    /// Its lifetime.
    pub ttl: Duration,
}

/// A token signed with the data dir's issuer key, no server needed.
pub fn mint(m: &Mint) -> anyhow::Result<String> {
    fsutil::ensure_dir(&m.data_dir)?;
    let issuer = Issuer::load_or_create(&m.data_dir, &m.issuer, &m.audience)?;
    Ok(issuer.mint(&MintRequest {
        subject: m.subject.clone(),
        roles: m.roles.clone(),
        tenant: m.tenant.clone(),
        ttl: m.ttl,
    })?)
}
