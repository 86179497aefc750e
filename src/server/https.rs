//! The HTTPS listener: accepts TCP, does TLS, serves HTTP/1.1 and HTTP/2, and closes what
//! would otherwise hold a connection forever.
//!
//! - At most `max_connections` are open; past that the listener stops accepting (new clients
//!   wait in the kernel's backlog) and says so in the log, at most once a minute.
//! - A TLS handshake, and a request's headers, get `header_read` to arrive.
//! - A connection with no request in flight for `idle` is closed. A request is in flight
//!   until its response body ends, so an event stream is never idle.
//! - HTTP/2 connections are pinged; one that does not answer is closed.
//! - `stop` stops accepting, lets open connections finish their requests (up to `drain`),
//!   then closes them.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use tokio::sync::{watch, Semaphore};
use tower::ServiceExt;

/// The TLS settings in use; replaced in place when certificates are reloaded.
pub type TlsConfig = Arc<RwLock<Arc<rustls::ServerConfig>>>;

/// Connection limits.
#[derive(Debug, Clone)]
pub struct ConnLimits {
    /// Connections open at once.
    pub max_connections: usize,
    /// Longest a TLS handshake, or a request's headers, may take to arrive.
    pub header_read: Duration,
    /// Longest a connection may stay open with no request in flight.
    pub idle: Duration,
    /// How often an HTTP/2 connection is pinged (it is closed when a ping goes unanswered
    /// this long).
    pub h2_ping: Duration,
    /// How long open requests get to finish after `stop`.
    pub drain: Duration,
}

/// How to stop a running listener.
pub struct Stop(watch::Sender<bool>);

impl Stop {
    /// Stops accepting and starts draining open connections.
    pub fn stop(&self) {
        let _ = self.0.send(true);
    }
}

/// Serves `app` on `listener` until stopped; the task ends once every connection closed.
pub fn spawn(
    listener: tokio::net::TcpListener,
    tls: TlsConfig,
    app: Router,
    limits: ConnLimits,
) -> (Stop, tokio::task::JoinHandle<std::io::Result<()>>) {
    let (tx, rx) = watch::channel(false);
    let task = tokio::spawn(accept_loop(listener, tls, app, limits, rx));
    (Stop(tx), task)
}

async fn accept_loop(
    listener: tokio::net::TcpListener,
    tls: TlsConfig,
    app: Router,
    limits: ConnLimits,
    mut stop: watch::Receiver<bool>,
) -> std::io::Result<()> {
    let max = limits.max_connections.max(1);
    let open = Arc::new(Semaphore::new(max));
    let mut capped_said: Option<Instant> = None;
    let mut accept_said: Option<Instant> = None;
    let mut accept_failures = 0u64;
    loop {
        if open.available_permits() == 0 && capped_said.is_none_or(|t| t.elapsed() >= MINUTE) {
            tracing::warn!(
                max_connections = max,
                "connection cap reached: {max} connections are open, new ones wait until one \
                 closes (--max-connections)"
            );
            capped_said = Some(Instant::now());
        }
        let permit = tokio::select! {
            p = open.clone().acquire_owned() => p.expect("the semaphore is never closed"),
            _ = stopped(&mut stop) => break,
        };
        let (tcp, peer) = tokio::select! {
            r = listener.accept() => match r {
                Ok(c) => c,
                Err(e) => {
                    // Out of descriptors, say: wait a little instead of spinning, and say so
                    // at most every ten seconds.
                    accept_failures += 1;
                    if accept_said.is_none_or(|t| t.elapsed() >= ACCEPT_QUIET) {
                        tracing::warn!(error = %e, failures = accept_failures, "cannot accept connections");
                        accept_said = Some(Instant::now());
                        accept_failures = 0;
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = stopped(&mut stop) => break,
        };
        // TCP_NODELAY: without it a response's last partial segment waits for the client's
        // delayed ACK (40 ms on Linux).
        let _ = tcp.set_nodelay(true);
        let config = tls.read().unwrap_or_else(|p| p.into_inner()).clone();
        let (app, limits, stop) = (app.clone(), limits.clone(), stop.clone());
        tokio::spawn(async move {
            connection(tcp, peer, config, app, &limits, stop).await;
            drop(permit);
        });
    }
    drop(listener);
    // Every connection holds a permit until it closes.
    let all = u32::try_from(max).unwrap_or(u32::MAX);
    let _ = tokio::time::timeout(
        limits.drain + Duration::from_secs(1),
        open.acquire_many(all),
    )
    .await;
    Ok(())
}

/// Descriptors the core needs besides its HTTPS connections (database, BMC calls, boot
/// listener), roughly.
const OTHER_DESCRIPTORS: usize = 512;

/// The soft open-file limit from `/proc/self/limits` text (None: unlimited or unknown).
fn open_file_limit(limits: &str) -> Option<usize> {
    limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .and_then(|l| l.split_whitespace().nth(3))
        .and_then(|v| v.parse().ok())
}

/// Warns when the open-file limit leaves too little room for `max` connections: past it new
/// connections would fail to be accepted before the cap is reached (Linux; elsewhere silent).
pub fn warn_if_descriptors_short(max: usize) {
    let Some(soft) = std::fs::read_to_string("/proc/self/limits")
        .ok()
        .and_then(|t| open_file_limit(&t))
    else {
        return;
    };
    if max + OTHER_DESCRIPTORS > soft {
        tracing::warn!(
            "--max-connections {max} leaves too few of the {soft} open files this process may              have (ulimit -n): raise the limit to at least {} or lower --max-connections",
            max + OTHER_DESCRIPTORS
        );
    }
}

/// Resolves once `stop` was called.
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

const MINUTE: Duration = Duration::from_secs(60);
const ACCEPT_QUIET: Duration = Duration::from_secs(10);

async fn connection(
    tcp: tokio::net::TcpStream,
    peer: SocketAddr,
    config: Arc<rustls::ServerConfig>,
    app: Router,
    limits: &ConnLimits,
    mut stop: watch::Receiver<bool>,
) {
    let acceptor = tokio_rustls::TlsAcceptor::from(config);
    let stream = match tokio::time::timeout(limits.header_read, acceptor.accept(tcp)).await {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            tracing::debug!(%peer, error = %e, "TLS handshake failed");
            return;
        }
        Err(_) => {
            tracing::debug!(%peer, "TLS handshake took too long; closed");
            return;
        }
    };
    // HTTP/2 sends frames of its own between requests (pings, settings), so only HTTP/1 has
    // its header time watched here; HTTP/2 streams are bounded by `idle` and the pings.
    let h2 = stream.get_ref().1.alpn_protocol() == Some(b"h2");
    let activity = Arc::new(Activity::new());
    let stream = Watched {
        inner: stream,
        activity: activity.clone(),
    };
    let service = {
        let activity = activity.clone();
        hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
            let guard = activity.begin();
            let mut req = req.map(Body::new);
            req.extensions_mut().insert(ConnectInfo(peer));
            let app = app.clone();
            async move {
                let resp = app
                    .oneshot(req)
                    .await
                    .unwrap_or_else(|e: Infallible| match e {});
                Ok::<_, Infallible>(resp.map(|b| {
                    Body::new(Guarded {
                        inner: b,
                        _guard: guard,
                    })
                }))
            }
        })
    };
    let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
    // Hyper's header timer runs from the moment a connection waits for a request, so it is
    // the idle limit here; the header limit runs from a request's first byte (below).
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.idle);
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(limits.h2_ping)
        .keep_alive_timeout(limits.h2_ping);
    let conn = builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
    tokio::pin!(conn);
    let why = tokio::select! {
        r = conn.as_mut() => {
            if let Err(e) = r {
                tracing::debug!(%peer, error = %e, "connection ended");
            }
            return;
        }
        _ = activity.idle_for(limits.idle) => "idle",
        _ = activity.head_late(limits.header_read), if !h2 => {
            tracing::debug!(%peer, "request headers took too long; closed");
            return;
        }
        _ = stopped(&mut stop) => "stopping",
    };
    tracing::debug!(%peer, why, "closing connection");
    conn.as_mut().graceful_shutdown();
    let _ = tokio::time::timeout(limits.drain, conn).await;
}

/// Requests in flight on one connection, when the last one ended, and when the bytes of a
/// request not yet begun started arriving.
struct Activity {
    in_flight: AtomicUsize,
    since: Mutex<Instant>,
    head_since: Mutex<Option<Instant>>,
    head_started: tokio::sync::Notify,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            in_flight: AtomicUsize::new(0),
            since: Mutex::new(Instant::now()),
            head_since: Mutex::new(None),
            head_started: tokio::sync::Notify::new(),
        }
    }

    fn begin(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        *self.head_since.lock().unwrap_or_else(|p| p.into_inner()) = None;
        InFlight(self.clone())
    }

    /// Bytes arrived: with nothing in flight they start a request.
    fn bytes_read(&self) {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return;
        }
        let mut head = self.head_since.lock().unwrap_or_else(|p| p.into_inner());
        if head.is_none() {
            *head = Some(Instant::now());
            self.head_started.notify_one();
        }
    }

    /// Resolves once a request's first bytes arrived `limit` ago and it has not begun.
    async fn head_late(&self, limit: Duration) {
        loop {
            let started = *self.head_since.lock().unwrap_or_else(|p| p.into_inner());
            match started {
                None => self.head_started.notified().await,
                Some(t) if t.elapsed() >= limit => return,
                Some(t) => tokio::time::sleep(limit - t.elapsed()).await,
            }
        }
    }

    /// Resolves once nothing has been in flight for `limit`.
    async fn idle_for(&self, limit: Duration) {
        loop {
            let quiet = if self.in_flight.load(Ordering::SeqCst) == 0 {
                self.since
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .elapsed()
            } else {
                Duration::ZERO
            };
            if quiet >= limit {
                return;
            }
            tokio::time::sleep(limit - quiet).await;
        }
    }
}

/// One request in flight, until its response body is done with.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        *self.0.since.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
        self.0.in_flight.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A response body that keeps its request in flight until it ends or is dropped.
struct Guarded {
    inner: Body,
    _guard: InFlight,
}

impl http_body::Body for Guarded {
    type Data = bytes::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Self::Data>, Self::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

/// The TLS stream, telling its connection's [`Activity`] when bytes arrive.
struct Watched<S> {
    inner: S,
    activity: Arc<Activity>,
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Watched<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if buf.filled().len() > before {
            self.activity.bytes_read();
        }
        r
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Watched<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_open_file_limit_is_read_from_proc_limits() {
        let text = "Limit                     Soft Limit           Hard Limit           Units\n\
                    Max cpu time              unlimited            unlimited            seconds\n\
                    Max open files            1024                 524288               files\n";
        assert_eq!(open_file_limit(text), Some(1024));
        let unlimited = "Max open files            unlimited            unlimited            files";
        assert_eq!(open_file_limit(unlimited), None);
        assert_eq!(open_file_limit(""), None);
    }
}
