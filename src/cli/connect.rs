//! Reaching a core from the command line: attached to `--server URL` with a token, or over a
//! core started in-process on the data dir (stopped again when done).

use std::path::{Path, PathBuf};

use clap::Args;

use crate::client::Client;
use crate::server::{self, Server};

/// Where the core is, and how to prove who we are to it.
#[derive(Debug, Clone, Args)]
pub struct ConnectArgs {
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
    /// Act for this tenant (sent as Cray-Tenant-Name): required of a tenant admin's token;
    /// an admin sees and acts as that tenant.
    #[arg(long, env = "CHAMI_TENANT")]
    pub tenant: Option<String>,
}

/// A client of a core, and the in-process core when there is one.
pub struct Connection {
    /// Talks to the core.
    pub client: Client,
    server: Option<Server>,
}

fn read_file(what: &str, path: &Path) -> anyhow::Result<Vec<u8>> {
    std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {what} {}: {e}", path.display()))
}

impl Connection {
    /// Connects as the flags say; `who` names the in-process core's local admin token.
    pub async fn open(args: &ConnectArgs, who: &str) -> anyhow::Result<Connection> {
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
                Ok(Connection {
                    client: Client::new(url, &token, ca.as_deref())?
                        .for_tenant(args.tenant.clone()),
                    server: None,
                })
            }
            None => {
                let dir = args
                    .data_dir
                    .clone()
                    .unwrap_or_else(crate::fsutil::default_data_dir);
                let (server, client) = server::local::start(&dir, who).await?;
                let client = client.for_tenant(args.tenant.clone());
                Ok(Connection {
                    client,
                    server: Some(server),
                })
            }
        }
    }

    /// Whether the core runs in this process (and stops when the command ends).
    pub fn is_local(&self) -> bool {
        self.server.is_some()
    }

    /// Stops the in-process core, if one was started.
    pub async fn close(self) -> anyhow::Result<()> {
        if let Some(s) = self.server {
            s.shutdown().await?;
        }
        Ok(())
    }

    /// Connects for one command, runs `work` with the client, and closes the connection
    /// (stopping an in-process core) whatever `work` returned. When both fail, `work`'s
    /// error is the one returned.
    pub async fn with<T, E: From<anyhow::Error>>(
        args: &ConnectArgs,
        who: &str,
        work: impl AsyncFnOnce(&Client) -> Result<T, E>,
    ) -> Result<T, E> {
        let conn = Connection::open(args, who).await?;
        let result = work(&conn.client).await;
        let closed = conn.close().await;
        let value = result?;
        closed?;
        Ok(value)
    }
}
