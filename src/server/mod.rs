//! Starting and stopping the HTTPS core: data dir, store, keys, TLS, listener, graceful shutdown.

pub mod config;
pub mod config_file;
pub mod demo;
pub mod https;
pub mod local;
pub mod tls;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::serve::ListenerExt;

use crate::api::{self, AppState, Limits};
use crate::fsutil;
use crate::service::boot::script::ScriptConfig;
use crate::service::discovery::Trust;
use crate::service::issuer::Issuer;
use crate::service::jwt::{Verifier, VerifierConfig};
use crate::service::power::PowerSettings;
use crate::service::replicas::Replica;
use crate::service::secrets::SecretBox;
use crate::service::Core;
use crate::store::{CachedStore, PgStore, SharedState, SqliteStore, Store};
use config::{load_oauth_clients, AuthMode, ServeArgs};

/// Database file name in the data dir.
pub const DB_FILE: &str = "chami.db";

/// How long in-flight requests get to finish at shutdown.
const DRAIN: Duration = Duration::from_secs(10);

/// How often HTTP/2 connections are pinged (and how long an answer may take).
const H2_PING: Duration = Duration::from_secs(20);

/// A running core.
pub struct Server {
    /// The address it listens on (the real port when 0 was asked for).
    pub addr: SocketAddr,
    /// The CA clients should trust, when the core made its own certificate.
    pub ca: Option<PathBuf>,
    /// The data dir.
    pub data_dir: PathBuf,
    /// Domain services, for in-process callers (demo seeding, tests).
    pub core: Core,
    /// The built-in issuer, for minting local tokens.
    pub issuer: Arc<Issuer>,
    /// The plain-HTTP boot listener's address, when one was asked for.
    pub boot_addr: Option<SocketAddr>,
    boot_http: Option<BootListener>,
    stop_listener: https::Stop,
    closing: tokio::sync::watch::Sender<bool>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    stop: StopSignals,
    // Held until the server is dropped, after the listener has stopped.
    _lock: fsutil::DataDirLock,
}

impl Server {
    /// The base URL clients use (`https://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// Stops accepting, lets in-flight requests finish, and waits for the listener to end.
    pub async fn shutdown(self) -> anyhow::Result<()> {
        if let Some(boot) = self.boot_http {
            let _ = boot.stop.send(());
            boot.task.await.context("boot listener task panicked")??;
        }
        // Event streams never finish by themselves; they end now, so draining is quick.
        let _ = self.closing.send(true);
        self.stop_listener.stop();
        self.task.await.context("server task panicked")??;
        // Running transitions stop where they are and hand their leases back, for a replica
        // or the next start to resume.
        self.core.power.halt().await;
        Ok(())
    }

    /// Runs until SIGTERM or ctrl-c, then shuts down gracefully.
    pub async fn run_until_signal(mut self) -> anyhow::Result<()> {
        self.stop.wait().await;
        tracing::info!("shutting down: draining requests");
        self.shutdown().await
    }
}

/// The plain-HTTP boot listener's task and its stop signal.
struct BootListener {
    task: tokio::task::JoinHandle<std::io::Result<()>>,
    stop: tokio::sync::oneshot::Sender<()>,
}

/// A URL flag that ends up in boot scripts: http(s), no spaces or control characters.
fn script_url(flag: &str, v: &Option<String>) -> anyhow::Result<Option<String>> {
    let Some(v) = v else { return Ok(None) };
    let v = v.trim().trim_end_matches('/');
    let scheme_ok = v.starts_with("http://") || v.starts_with("https://");
    if !scheme_ok || v.chars().any(|c| c.is_whitespace() || c.is_control()) {
        anyhow::bail!("{flag} '{v}' must be an http:// or https:// URL without spaces");
    }
    Ok(Some(v.to_string()))
}

/// Starts the plain-HTTP listener for boot scripts.
async fn start_boot_http(
    addr: SocketAddr,
    state: Arc<AppState>,
) -> anyhow::Result<(SocketAddr, BootListener)> {
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("cannot listen on --boot-http-listen {addr}"))?;
    let bound = listener.local_addr()?;
    let listener = listener.tap_io(|tcp| {
        if let Err(e) = tcp.set_nodelay(true) {
            tracing::debug!(error = %e, "cannot set TCP_NODELAY on a boot-script connection");
        }
    });
    // No timeout layer: this path never waits longer than the index catch-up (2 s), and a
    // timer per request costs a boot storm throughput.
    let app = api::bss::plain_routes(state).layer(
        tower_http::catch_panic::CatchPanicLayer::custom(api::respond::panicked),
    );
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        // Each connection's peer address: cloud-init reads are answered for the node asking.
        let app = app.into_make_service_with_connect_info::<SocketAddr>();
        axum::serve(listener, app)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await
    });
    tracing::info!(addr = %bound, "boot scripts over plain HTTP");
    Ok((bound, BootListener { task, stop }))
}

/// SIGTERM and SIGINT handlers, installed when the server starts so a signal sent as soon as
/// the ready line appears stops the server gracefully instead of killing it.
struct StopSignals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
}

impl StopSignals {
    fn install() -> StopSignals {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            StopSignals {
                term: signal(SignalKind::terminate()).ok(),
                int: signal(SignalKind::interrupt()).ok(),
            }
        }
        #[cfg(not(unix))]
        StopSignals {}
    }

    async fn wait(&mut self) {
        #[cfg(unix)]
        {
            async fn recv(s: &mut Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending().await,
                }
            }
            tokio::select! {
                _ = recv(&mut self.term) => {},
                _ = recv(&mut self.int) => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// Opens the data dir and starts serving; returns once the listener is bound.
pub async fn start(args: &ServeArgs) -> anyhow::Result<Server> {
    let data_dir = args.data_dir();
    fsutil::ensure_dir(&data_dir)
        .with_context(|| format!("cannot create data dir {}", data_dir.display()))?;
    let lock = fsutil::lock_data_dir(&data_dir)
        .with_context(|| format!("cannot lock data dir {}", data_dir.display()))?;
    if let Some(warning) = fsutil::loose_dir(&data_dir) {
        tracing::warn!("{warning}");
    }

    let (store, shared): (Arc<dyn Store>, Option<Arc<dyn SharedState>>) = match &args.database_url {
        Some(url) => {
            let pg = Arc::new(
                PgStore::open(url)
                    .await
                    .with_context(|| format!("cannot open database {}", redact_url(url)))?,
            );
            (pg.clone(), Some(pg))
        }
        None => (
            Arc::new(
                SqliteStore::open(&data_dir.join(DB_FILE))
                    .await
                    .with_context(|| format!("cannot open database in {}", data_dir.display()))?,
            ),
            None,
        ),
    };
    let cache = Arc::new(
        CachedStore::load(store)
            .await
            .context("cannot load the component cache")?,
    );
    let secrets = load_secrets(&data_dir, shared.as_deref()).await?;
    let power = PowerSettings {
        concurrency: args.power_concurrency as usize,
        poll: Duration::from_millis(args.power_poll_ms),
        backoff: Duration::from_millis(500),
        exclusive: shared.is_none(),
        lease: Duration::from_secs(args.power_lease_secs),
    };
    let core = Core::new(cache.clone(), Arc::new(secrets), power);
    let (closing, closing_rx) = tokio::sync::watch::channel(false);
    if let Some(log) = shared.clone() {
        // Started before anything publishes, so the other replicas see every change.
        Replica {
            origin: uuid::Uuid::new_v4().to_string(),
            log,
            bus: core.bus.clone(),
            cache: cache.clone(),
            tenants: core.tenants.clone(),
        }
        .start(closing_rx.clone())
        .await
        .map_err(|e| anyhow::anyhow!("cannot follow the other replicas: {e}"))?;
    }
    core.boot
        .start(ScriptConfig {
            chain_base: script_url("--boot-chain-url", &args.boot_chain_url)?,
            cloud_init: script_url("--boot-cloud-init-url", &args.boot_cloud_init_url)?,
        })
        .await
        .map_err(|e| anyhow::anyhow!("cannot load boot parameters: {e}"))?;
    let redfish_ca = match &args.redfish_ca_cert {
        Some(p) => Some(Arc::new(std::fs::read(p).with_context(|| {
            format!("cannot read --redfish-ca-cert {}", p.display())
        })?)),
        None => None,
    };
    let proxies = args
        .trusted_proxies
        .iter()
        .map(|p| {
            crate::model::metadata::Cidr::parse(p)
                .map_err(|e| anyhow::anyhow!("--trusted-proxy: {e}"))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    core.metadata.trust_proxies(proxies);
    core.discovery.configure(Trust {
        ca_pem: redfish_ca,
        insecure: args.redfish_insecure,
        timeout: Duration::from_secs(args.redfish_timeout),
        port: args.redfish_port,
        on_register: args.discover_on_register,
    });
    core.scn.start(crate::service::scn::ScnSettings {
        backoff: Duration::from_millis(args.scn_backoff_ms),
        ..Default::default()
    });
    core.power
        .start()
        .await
        .map_err(|e| anyhow::anyhow!("cannot recover power transitions: {e}"))?;
    if args.redfish_insecure {
        tracing::warn!("--redfish-insecure: BMC certificates are not checked");
    }

    let issuer = Arc::new(load_issuer(args, &data_dir, shared.as_deref()).await?);
    let verifier = match args.auth {
        AuthMode::Off if !args.listen.ip().is_loopback() => {
            anyhow::bail!(
                "refusing --auth=off on {}: without auth anyone who can reach it is admin; \
                 listen on 127.0.0.1 or ::1 for local development",
                args.listen
            );
        }
        AuthMode::Off => {
            tracing::warn!(
                "AUTH IS OFF: every request is treated as admin. Use --auth=off only for local development."
            );
            None
        }
        AuthMode::On => {
            let jwks_ca_pem = match &args.jwks_ca_cert {
                Some(p) => Some(
                    std::fs::read(p)
                        .with_context(|| format!("cannot read --jwks-ca-cert {}", p.display()))?,
                ),
                None => None,
            };
            let config = VerifierConfig {
                issuers: args.issuers.clone(),
                audiences: args.audiences.clone(),
                skew: Duration::from_secs(args.clock_skew),
                jwks_urls: args.all_jwks_urls(),
                jwks_ca_pem,
            };
            let v = Verifier::new(&config, Some(issuer.clone())).map_err(anyhow::Error::msg)?;
            v.prefetch().await;
            Some(Arc::new(v))
        }
    };
    let oauth_clients = match &args.oauth_clients {
        Some(p) => load_oauth_clients(p).map_err(anyhow::Error::msg)?,
        None => Vec::new(),
    };

    let (tls_files, ca) = match (&args.tls_cert, &args.tls_key) {
        (Some(cert), Some(key)) => (
            tls::TlsFiles {
                cert: cert.clone(),
                key: key.clone(),
                ca: None,
            },
            None,
        ),
        _ => {
            let files = tls::ensure_self_signed(&data_dir, &tls::default_sans(&args.tls_sans))?;
            let ca = files.ca.clone();
            (files, ca)
        }
    };
    let rustls_config: https::TlsConfig = Arc::new(std::sync::RwLock::new(Arc::new(
        tls::server_config(&tls_files)?,
    )));

    let state = Arc::new(AppState {
        core: core.clone(),
        verifier,
        issuer: issuer.clone(),
        oauth_clients,
        token_limiter: api::limit::TokenLimiter::new(args.token_rate),
        closing: closing_rx,
        metrics: Default::default(),
    });
    let limits = Limits {
        max_body: args.max_body,
        timeout: Duration::from_secs(args.request_timeout),
    };
    let (boot_addr, boot_http) = match args.boot_http_listen {
        Some(addr) => {
            let (a, l) = start_boot_http(addr, state.clone()).await?;
            (Some(a), Some(l))
        }
        None => (None, None),
    };
    let app = api::router(state, limits);

    let listener = std::net::TcpListener::bind(args.listen)
        .with_context(|| format!("cannot listen on {}", args.listen))?;
    listener.set_nonblocking(true)?;
    let addr = listener.local_addr()?;
    let conn_limits = https::ConnLimits {
        max_connections: args.max_connections as usize,
        header_read: Duration::from_secs(args.header_timeout),
        idle: Duration::from_secs(args.idle_timeout),
        h2_ping: H2_PING,
        drain: DRAIN,
    };
    https::warn_if_descriptors_short(conn_limits.max_connections);
    let (stop_listener, task) = https::spawn(
        tokio::net::TcpListener::from_std(listener)?,
        rustls_config.clone(),
        app,
        conn_limits,
    );
    spawn_tls_reload(tls_files, rustls_config);
    Ok(Server {
        addr,
        ca,
        data_dir,
        core,
        issuer,
        boot_addr,
        boot_http,
        stop_listener,
        closing,
        task,
        stop: StopSignals::install(),
        _lock: lock,
    })
}

/// Reloads the certificate and key on SIGHUP, so renewed certificates (acme.sh, step-ca) take
/// effect without a restart; a bad file keeps the old certificate and is logged.
/// The handler is installed before this returns, so a SIGHUP right after startup is not fatal.
fn spawn_tls_reload(files: tls::TlsFiles, config: https::TlsConfig) {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut hup) = signal(SignalKind::hangup()) else {
            tracing::warn!("cannot listen for SIGHUP; TLS reload is off");
            return;
        };
        tokio::spawn(async move {
            while hup.recv().await.is_some() {
                match tls::server_config(&files) {
                    Ok(c) => {
                        *config.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(c);
                        tracing::info!(cert = %files.cert.display(), "TLS certificate reloaded");
                    }
                    Err(e) => {
                        tracing::error!(error = %e, "TLS reload failed; keeping the old certificate")
                    }
                }
            }
        });
    }
    #[cfg(not(unix))]
    let _ = (files, config);
}

/// A database URL fit for a message: its password replaced.
fn redact_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(u) => u.to_string(),
        Err(_) => "(an unparsable URL)".to_string(),
    }
}

/// The key that seals BMC passwords: the data dir's, or with replicas the one the first
/// replica stored in the database.
async fn load_secrets(
    data_dir: &std::path::Path,
    shared: Option<&dyn SharedState>,
) -> anyhow::Result<SecretBox> {
    use base64::engine::general_purpose::STANDARD;
    use base64::Engine;
    let (key, name) =
        SecretBox::load_or_create_key(data_dir).context("cannot load the secrets key")?;
    let Some(shared) = shared else {
        return SecretBox::from_key(&key, &name).context("cannot load the secrets key");
    };
    let stored = shared
        .shared_secret(SHARED_SECRETS_KEY, &STANDARD.encode(&key))
        .await
        .context("cannot read the shared secrets key")?;
    let key = STANDARD
        .decode(stored.trim())
        .context("the database's shared secrets key is not base64")?;
    SecretBox::from_key(&key, "the database's shared secrets key")
        .context("cannot load the shared secrets key")
}

/// The built-in issuer: the data dir's key, or with replicas the one the first replica stored
/// in the database, so a token minted by one verifies on all.
async fn load_issuer(
    args: &ServeArgs,
    data_dir: &std::path::Path,
    shared: Option<&dyn SharedState>,
) -> anyhow::Result<Issuer> {
    let (mut pem, mut name) = Issuer::load_or_create_pem(data_dir)?;
    if let Some(shared) = shared {
        pem = shared
            .shared_secret(SHARED_SIGNING_KEY, &pem)
            .await
            .context("cannot read the shared token signing key")?;
        name = "the database's shared token signing key".into();
    }
    Ok(Issuer::from_pem(
        &pem,
        &name,
        &args.token_issuer,
        &args.token_audience,
    )?)
}

/// Names of the secrets replicas share through the database.
const SHARED_SECRETS_KEY: &str = "secrets-key";
const SHARED_SIGNING_KEY: &str = "token-signing-key";
