//! SMD's state-change notifications: subscriptions over the store, and their delivery.
//!
//! A write hands its notification to [`Scn::notify`], which only puts it on a bounded queue:
//! a slow or dead subscriber never slows a write. One dispatcher matches each notification
//! against the subscriptions; each subscriber URL has its own bounded queue and worker that
//! POSTs with retries and backoff, so one failing subscriber delays no other. What does not
//! fit a full queue is dropped and logged, never waited for.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

use super::ServiceError;
use crate::model::scn::{ScnPayload, Subscription, SubscriptionPatch, SubscriptionSpec};
use crate::store::Store;

/// Notifications waiting for the dispatcher.
const QUEUE: usize = 4096;
/// Notifications waiting for one subscriber.
const PER_SUBSCRIBER: usize = 256;
/// How long the dispatcher trusts its copy of the subscriptions (other replicas may change
/// them); a local change refreshes it at once.
const FRESH: Duration = Duration::from_secs(2);

/// How notifications are delivered.
#[derive(Debug, Clone)]
pub struct ScnSettings {
    /// Tries per notification and subscriber (SMD: 3).
    pub attempts: u32,
    /// Wait after the first failed try, doubled after each (SMD waits 5 s).
    pub backoff: Duration,
    /// Time a subscriber gets to answer one POST.
    pub timeout: Duration,
}

impl Default for ScnSettings {
    fn default() -> Self {
        ScnSettings {
            attempts: 3,
            backoff: Duration::from_secs(5),
            timeout: Duration::from_secs(10),
        }
    }
}

/// The subscriptions as last read, and when.
struct Copy {
    subs: Vec<Subscription>,
    read: Option<Instant>,
}

/// What became of the notifications, for `/metrics`.
#[derive(Debug, Default)]
struct Counts {
    /// POSTs a subscriber took (2xx).
    delivered: AtomicU64,
    /// Notifications a subscriber did not take in all their tries.
    failed: AtomicU64,
    /// Notifications dropped because a queue was full.
    dropped: AtomicU64,
}

struct Inner {
    tx: mpsc::Sender<ScnPayload>,
    rx: Mutex<Option<mpsc::Receiver<ScnPayload>>>,
    copy: Mutex<Copy>,
    settings: OnceLock<ScnSettings>,
    counts: Arc<Counts>,
}

/// SCN subscriptions and delivery.
#[derive(Clone)]
pub struct Scn {
    store: Arc<dyn Store>,
    inner: Arc<Inner>,
    /// Serialises read-modify-write of one core's subscription changes.
    writes: Arc<tokio::sync::Mutex<()>>,
}

fn no_such() -> ServiceError {
    ServiceError::NotFound("Subscription not found".into())
}

/// An ID from a URL, as SMD reads it.
pub fn subscription_id(raw: &str) -> Result<i64, ServiceError> {
    match raw.parse::<i64>() {
        Ok(id) if id >= 1 => Ok(id),
        _ => Err(ServiceError::BadRequest(format!("Invalid id - {raw}"))),
    }
}

impl Scn {
    /// Subscriptions over `store`; nothing is delivered until [`Scn::start`].
    pub fn new(store: Arc<dyn Store>) -> Scn {
        let (tx, rx) = mpsc::channel(QUEUE);
        Scn {
            store,
            inner: Arc::new(Inner {
                tx,
                rx: Mutex::new(Some(rx)),
                copy: Mutex::new(Copy {
                    subs: Vec::new(),
                    read: None,
                }),
                settings: OnceLock::new(),
                counts: Arc::default(),
            }),
            writes: Arc::default(),
        }
    }

    /// Starts delivering (once; later calls do nothing).
    pub fn start(&self, settings: ScnSettings) {
        let _ = self.inner.settings.set(settings);
        let rx = self
            .inner
            .rx
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .take();
        if let Some(rx) = rx {
            tokio::spawn(self.clone().dispatch(rx));
        }
    }

    /// Hands a notification to delivery without waiting: a full queue drops it.
    pub fn notify(&self, payload: ScnPayload) {
        if payload.components.is_empty() {
            return;
        }
        if self.inner.tx.try_send(payload).is_err() {
            self.dropped("the notification queue is full");
        }
    }

    /// Hands several notifications to delivery.
    pub fn notify_all(&self, payloads: impl IntoIterator<Item = ScnPayload>) {
        for p in payloads {
            self.notify(p);
        }
    }

    /// Notifications so far: (delivered, failed after every try, dropped from a full queue).
    pub fn counts(&self) -> (u64, u64, u64) {
        let c = &self.inner.counts;
        (
            c.delivered.load(Ordering::Relaxed),
            c.failed.load(Ordering::Relaxed),
            c.dropped.load(Ordering::Relaxed),
        )
    }

    fn dropped(&self, why: &str) {
        let n = self.inner.counts.dropped.fetch_add(1, Ordering::Relaxed) + 1;
        tracing::warn!(dropped = n, "state-change notification dropped: {why}");
    }

    fn stale(&self) {
        self.inner
            .copy
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .read = None;
    }

    /// Every subscription.
    pub async fn list(&self) -> Result<Vec<Subscription>, ServiceError> {
        Ok(self.store.scn_subscriptions().await?)
    }

    /// One subscription.
    pub async fn get(&self, id: i64) -> Result<Subscription, ServiceError> {
        self.store.scn_subscription(id).await?.ok_or_else(no_such)
    }

    /// Creates a subscription, or updates the one with the same subscriber and URL.
    pub async fn subscribe(&self, spec: SubscriptionSpec) -> Result<Subscription, ServiceError> {
        let spec = spec.validate().map_err(|e| ServiceError::BadRequest(e.0))?;
        let id = self.store.put_scn_subscription(&spec).await?;
        self.stale();
        Ok(Subscription { id, spec })
    }

    /// Replaces subscription `id` whole (PUT).
    pub async fn replace(&self, id: i64, spec: SubscriptionSpec) -> Result<(), ServiceError> {
        let spec = spec.validate().map_err(|e| ServiceError::BadRequest(e.0))?;
        if !self.store.replace_scn_subscription(id, &spec).await? {
            return Err(no_such());
        }
        self.stale();
        Ok(())
    }

    /// Adds, removes or replaces triggers of subscription `id` (PATCH).
    pub async fn patch(&self, id: i64, patch: SubscriptionPatch) -> Result<(), ServiceError> {
        let _one = self.writes.lock().await;
        let current = self.get(id).await?;
        let spec = current
            .spec
            .patched(patch)
            .map_err(|e| ServiceError::BadRequest(e.0))?;
        if !self.store.replace_scn_subscription(id, &spec).await? {
            return Err(no_such());
        }
        self.stale();
        Ok(())
    }

    /// Deletes one subscription.
    pub async fn delete(&self, id: i64) -> Result<(), ServiceError> {
        if !self.store.delete_scn_subscription(id).await? {
            return Err(no_such());
        }
        self.stale();
        Ok(())
    }

    /// Deletes every subscription; returns how many there were.
    pub async fn delete_all(&self) -> Result<u64, ServiceError> {
        let n = self.store.delete_scn_subscriptions().await?;
        self.stale();
        Ok(n)
    }

    /// The subscriptions, read again when the copy is older than [`FRESH`] or a local
    /// change made it stale; a failed read keeps the old copy.
    async fn subscriptions(&self) -> Vec<Subscription> {
        {
            let copy = self.inner.copy.lock().unwrap_or_else(|p| p.into_inner());
            if copy.read.is_some_and(|t| t.elapsed() < FRESH) {
                return copy.subs.clone();
            }
        }
        let read = self.store.scn_subscriptions().await;
        let mut copy = self.inner.copy.lock().unwrap_or_else(|p| p.into_inner());
        match read {
            Ok(subs) => {
                copy.subs = subs;
                copy.read = Some(Instant::now());
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot read SCN subscriptions; using the last copy")
            }
        }
        copy.subs.clone()
    }

    async fn dispatch(self, mut rx: mpsc::Receiver<ScnPayload>) {
        let settings = self.inner.settings.get().cloned().unwrap_or_default();
        let client = match reqwest::Client::builder().timeout(settings.timeout).build() {
            Ok(c) => c,
            Err(e) => {
                tracing::error!(error = %e, "cannot build the SCN client; notifications are off");
                return;
            }
        };
        let mut workers: HashMap<String, mpsc::Sender<Arc<Vec<u8>>>> = HashMap::new();
        while let Some(payload) = rx.recv().await {
            let subs = self.subscriptions().await;
            // A subscriber no longer listed gets no more; its worker ends when drained.
            workers.retain(|url, _| subs.iter().any(|s| &s.spec.url == url));
            let mut urls: Vec<&str> = subs
                .iter()
                .filter(|s| s.spec.wants(&payload))
                .map(|s| s.spec.url.as_str())
                .collect();
            urls.sort_unstable();
            urls.dedup();
            if urls.is_empty() {
                continue;
            }
            let body = match serde_json::to_vec(&payload) {
                Ok(b) => Arc::new(b),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot encode a state-change notification");
                    continue;
                }
            };
            for url in urls {
                let worker = workers.entry(url.to_string()).or_insert_with(|| {
                    let (tx, rx) = mpsc::channel(PER_SUBSCRIBER);
                    tokio::spawn(deliver(
                        client.clone(),
                        url.to_string(),
                        rx,
                        settings.clone(),
                        self.inner.counts.clone(),
                    ));
                    tx
                });
                if worker.try_send(body.clone()).is_err() {
                    self.dropped("a subscriber's queue is full");
                }
            }
        }
    }
}

/// POSTs each notification to `url`, trying each up to `attempts` times with backoff.
async fn deliver(
    client: reqwest::Client,
    url: String,
    mut rx: mpsc::Receiver<Arc<Vec<u8>>>,
    settings: ScnSettings,
    counts: Arc<Counts>,
) {
    while let Some(body) = rx.recv().await {
        let mut wait = settings.backoff;
        for attempt in 1..=settings.attempts.max(1) {
            let sent = client
                .post(&url)
                .header("content-type", "application/json")
                .header("user-agent", "chami")
                .body(body.as_ref().clone())
                .send()
                .await;
            let why = match sent {
                Ok(r) if r.status().is_success() => {
                    counts.delivered.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                Ok(r) => format!("answered {}", r.status()),
                // The URL is logged beside; reqwest's text would repeat it.
                Err(e) if e.is_timeout() => "no answer in time".to_string(),
                Err(e) if e.is_connect() => "connection refused or unreachable".to_string(),
                Err(e) => e.without_url().to_string(),
            };
            if attempt == settings.attempts.max(1) {
                counts.failed.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(subscriber = %url, attempts = attempt, "state-change notification not delivered: {why}");
                break;
            }
            tokio::time::sleep(wait).await;
            wait = wait.saturating_mul(2);
        }
    }
}
