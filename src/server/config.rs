//! Settings of `chami serve`: flags with `CHAMI_*` environment equivalents.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, ValueEnum};

/// Whether requests must carry a verified token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthMode {
    /// Verify bearer tokens and apply the policy (default).
    On,
    /// Accept every request as an anonymous admin. Local development only.
    Off,
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Default `--clock-skew`, seconds.
pub const DEFAULT_CLOCK_SKEW: u64 = 120;
/// Default `--max-body`, bytes: a bulk write of about 100,000 components with only ID and
/// State (fewer with more fields); answering it costs the core well under 64 MB at peak
/// (bench/RESULTS.md).
pub const DEFAULT_MAX_BODY: usize = 4 * 1024 * 1024;
/// Default `--request-timeout`, seconds.
pub const DEFAULT_REQUEST_TIMEOUT: u64 = 60;
/// Default `--max-connections`.
pub const DEFAULT_MAX_CONNECTIONS: u32 = 1024;
/// Default `--header-timeout`, seconds.
pub const DEFAULT_HEADER_TIMEOUT: u64 = 10;
/// Default `--idle-timeout`, seconds.
pub const DEFAULT_IDLE_TIMEOUT: u64 = 60;

/// Options of the HTTPS core.
#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on (HTTPS). Never 0.0.0.0 unless you say so.
    #[arg(long, env = "CHAMI_LISTEN", default_value = "127.0.0.1:8443")]
    pub listen: SocketAddr,

    /// Directory for the database, CA, keys (default: $XDG_DATA_HOME/chami).
    #[arg(long, env = "CHAMI_DATA_DIR")]
    pub data_dir: Option<PathBuf>,

    /// PostgreSQL database (`postgres://user@host/db`) instead of the data dir's SQLite file,
    /// for several replicas on one database. The password can come from PGPASSWORD.
    #[arg(long, env = "CHAMI_DATABASE_URL", hide_env_values = true)]
    pub database_url: Option<String>,

    /// TLS certificate chain (PEM). Without it, a CA and certificate are made in the data dir.
    #[arg(long, env = "CHAMI_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,

    /// TLS private key (PEM), with --tls-cert.
    #[arg(long, env = "CHAMI_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,

    /// Extra DNS name or IP for the generated server certificate (repeatable).
    #[arg(long = "tls-san", env = "CHAMI_TLS_SANS", value_delimiter = ',')]
    pub tls_sans: Vec<String>,

    /// Token verification: `on`, or `off` for local development only.
    #[arg(long, env = "CHAMI_AUTH", value_enum, default_value = "on")]
    pub auth: AuthMode,

    /// JWKS URL of a trusted identity provider (repeatable). SMD_JWKS_URL, BSS_JWKS_URL and
    /// PCS_JWKS_URL are read too.
    #[arg(long = "jwks-url", env = "CHAMI_JWKS_URLS", value_delimiter = ',')]
    pub jwks_urls: Vec<String>,

    /// CA certificate (PEM) to trust when fetching JWKS over HTTPS.
    #[arg(long, env = "CHAMI_JWKS_CA_CERT")]
    pub jwks_ca_cert: Option<PathBuf>,

    /// Accepted token issuer (`iss`), repeatable; the built-in issuer is always accepted.
    #[arg(long = "issuer", env = "CHAMI_ISSUERS", value_delimiter = ',')]
    pub issuers: Vec<String>,

    /// Accepted token audience (`aud`), repeatable; the built-in audience is always accepted.
    #[arg(long = "audience", env = "CHAMI_AUDIENCES", value_delimiter = ',')]
    pub audiences: Vec<String>,

    /// Allowed clock skew for token times, in seconds (at most 600).
    #[arg(long, env = "CHAMI_CLOCK_SKEW", default_value_t = DEFAULT_CLOCK_SKEW,
          value_parser = clap::value_parser!(u64).range(0..=600))]
    pub clock_skew: u64,

    /// `iss` of tokens the built-in issuer mints.
    #[arg(long, env = "CHAMI_TOKEN_ISSUER", default_value = crate::service::issuer::DEFAULT_ISSUER)]
    pub token_issuer: String,

    /// `aud` of tokens the built-in issuer mints.
    #[arg(long, env = "CHAMI_TOKEN_AUDIENCE", default_value = crate::service::issuer::DEFAULT_AUDIENCE)]
    pub token_audience: String,

    /// YAML or JSON file of OAuth clients for `POST /oauth/token` (client_credentials):
    /// a list of `{id, secret, roles: [..], tenant?}`.
    #[arg(long, env = "CHAMI_OAUTH_CLIENTS")]
    pub oauth_clients: Option<PathBuf>,

    /// Token requests (`POST /oauth/token`) one client address may make a minute, in bursts
    /// of up to that many; more are answered 429 with Retry-After.
    #[arg(long, env = "CHAMI_TOKEN_RATE", default_value_t = 60)]
    pub token_rate: u32,

    /// Largest request body a bulk route accepts, in bytes (routes that write one record
    /// take 64 KiB).
    #[arg(long, env = "CHAMI_MAX_BODY", default_value_t = DEFAULT_MAX_BODY)]
    pub max_body: usize,

    /// Longest a request may take, in seconds.
    #[arg(long, env = "CHAMI_REQUEST_TIMEOUT", default_value_t = DEFAULT_REQUEST_TIMEOUT)]
    pub request_timeout: u64,

    /// HTTPS connections open at once; past that new ones wait until one closes (and the
    /// log says so).
    #[arg(long, env = "CHAMI_MAX_CONNECTIONS", default_value_t = DEFAULT_MAX_CONNECTIONS,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// Longest a TLS handshake, or a request's headers from their first byte, may take, in
    /// seconds; the connection is closed past it.
    #[arg(long, env = "CHAMI_HEADER_TIMEOUT", default_value_t = DEFAULT_HEADER_TIMEOUT,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub header_timeout: u64,

    /// Longest a connection stays open with no request in flight, in seconds (an event
    /// stream is a request in flight).
    #[arg(long, env = "CHAMI_IDLE_TIMEOUT", default_value_t = DEFAULT_IDLE_TIMEOUT,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout: u64,

    /// Log format.
    #[arg(long, env = "CHAMI_LOG_FORMAT", value_enum, default_value = "text")]
    pub log_format: LogFormat,

    /// Also serve `/boot/v1/bootscript` and `/boot/v1/service/status` (only those) over plain
    /// HTTP on this address, for iPXE without TLS.
    #[arg(long, env = "CHAMI_BOOT_HTTP_LISTEN")]
    pub boot_http_listen: Option<SocketAddr>,

    /// A proxy whose `X-Forwarded-For` names the node asking for its cloud-init data (an
    /// address or a network, repeatable); from any other peer the header is ignored.
    #[arg(
        long = "trusted-proxy",
        env = "CHAMI_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Vec<String>,

    /// Base URL nodes chain back to in boot scripts, e.g. `http://10.0.0.1:8081/boot/v1/bootscript`
    /// (default: the URL the request came in on).
    #[arg(long, env = "CHAMI_BOOT_CHAIN_URL")]
    pub boot_chain_url: Option<String>,

    /// Cloud-init data source address added to kernel params as `ds=nocloud-net;s=<addr>/`.
    #[arg(long, env = "CHAMI_BOOT_CLOUD_INIT_URL")]
    pub boot_cloud_init_url: Option<String>,

    /// CA certificate (PEM) that signed the BMCs' certificates (default: the system roots).
    #[arg(long, env = "CHAMI_REDFISH_CA_CERT")]
    pub redfish_ca_cert: Option<PathBuf>,

    /// Accept any BMC certificate (self-signed BMCs). Off unless given.
    #[arg(long, env = "CHAMI_REDFISH_INSECURE")]
    pub redfish_insecure: bool,

    /// Seconds a BMC gets to answer one Redfish request.
    #[arg(long, env = "CHAMI_REDFISH_TIMEOUT", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=600))]
    pub redfish_timeout: u64,

    /// Port BMCs serve HTTPS on.
    #[arg(long, env = "CHAMI_REDFISH_PORT", default_value_t = 443)]
    pub redfish_port: u16,

    /// Discover a Redfish endpoint as soon as it is registered with `RediscoverOnUpdate` and
    /// without a description of its hardware, as SMD does (magellan's registrations carry
    /// one). `--discover-on-register=false` turns it off.
    #[arg(long, env = "CHAMI_DISCOVER_ON_REGISTER", default_value_t = true,
          action = clap::ArgAction::Set, value_name = "BOOL")]
    pub discover_on_register: bool,

    /// Milliseconds before a failed state-change notification is tried again (doubled after
    /// each of its three tries).
    #[arg(long, env = "CHAMI_SCN_BACKOFF_MS", default_value_t = 5000,
          value_parser = clap::value_parser!(u64).range(1..=600_000))]
    pub scn_backoff_ms: u64,

    /// Redfish calls the power engine keeps in flight at once (one per BMC at most).
    #[arg(long, env = "CHAMI_POWER_CONCURRENCY", default_value_t = 256,
          value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub power_concurrency: u64,

    /// Milliseconds between power-state reads while a transition waits for a node.
    #[arg(long, env = "CHAMI_POWER_POLL_MS", default_value_t = 2000,
          value_parser = clap::value_parser!(u64).range(10..=600_000))]
    pub power_poll_ms: u64,

    /// Seconds a replica's lease on a running transition lasts unless renewed; another
    /// replica takes the transition over when it runs out. Keep it above a minute (the
    /// engine's reservations last one) unless testing.
    #[arg(long, env = "CHAMI_POWER_LEASE_SECS", default_value_t = 75, hide = true,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub power_lease_secs: u64,
}

impl ServeArgs {
    /// Settings for a core listening on `listen` over `data_dir`, everything else default.
    pub fn for_data_dir(data_dir: PathBuf, listen: SocketAddr) -> ServeArgs {
        ServeArgs {
            listen,
            data_dir: Some(data_dir),
            database_url: None,
            tls_cert: None,
            tls_key: None,
            tls_sans: Vec::new(),
            trusted_proxies: Vec::new(),
            auth: AuthMode::On,
            jwks_urls: Vec::new(),
            jwks_ca_cert: None,
            issuers: Vec::new(),
            audiences: Vec::new(),
            clock_skew: DEFAULT_CLOCK_SKEW,
            token_issuer: crate::service::issuer::DEFAULT_ISSUER.into(),
            token_audience: crate::service::issuer::DEFAULT_AUDIENCE.into(),
            oauth_clients: None,
            token_rate: 60,
            max_body: DEFAULT_MAX_BODY,
            request_timeout: DEFAULT_REQUEST_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            idle_timeout: DEFAULT_IDLE_TIMEOUT,
            log_format: LogFormat::Text,
            boot_http_listen: None,
            boot_chain_url: None,
            boot_cloud_init_url: None,
            redfish_ca_cert: None,
            redfish_insecure: false,
            redfish_timeout: 10,
            redfish_port: 443,
            discover_on_register: true,
            scn_backoff_ms: 5000,
            power_concurrency: 256,
            power_lease_secs: 75,
            power_poll_ms: 2000,
        }
    }

    /// The data dir in effect.
    pub fn data_dir(&self) -> PathBuf {
        self.data_dir
            .clone()
            .unwrap_or_else(crate::fsutil::default_data_dir)
    }

    /// JWKS URLs from the flag plus OpenCHAMI's per-service variables.
    pub fn all_jwks_urls(&self) -> Vec<String> {
        let mut urls = self.jwks_urls.clone();
        for var in ["SMD_JWKS_URL", "BSS_JWKS_URL", "PCS_JWKS_URL"] {
            if let Ok(v) = std::env::var(var) {
                let v = v.trim().to_string();
                if !v.is_empty() && !urls.contains(&v) {
                    urls.push(v);
                }
            }
        }
        urls
    }
}

pub use crate::model::auth::OAuthClient;

/// Reads the OAuth clients file, naming the file and the problem on failure.
pub fn load_oauth_clients(path: &std::path::Path) -> Result<Vec<OAuthClient>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let clients: Vec<OAuthClient> =
        serde_yaml::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    for c in &clients {
        if c.id.is_empty() || c.secret.len() < 16 {
            return Err(format!(
                "{}: client '{}' needs a non-empty id and a secret of at least 16 characters",
                path.display(),
                c.id
            ));
        }
    }
    Ok(clients)
}
