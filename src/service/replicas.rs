//! Several cores on one database: each sends the events it publishes to the shared log, and
//! replays the others' on its own bus, after bringing its caches up to date (the component
//! cache, the tenant index). The boot index, event streams and consoles follow the bus as
//! they do for local changes.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};

use super::events::{Event, EventBus};
use super::tenants::Tenants;
use crate::store::{CachedStore, SharedState, StoreError};

/// How often the log is read when no wake-up came (a missed NOTIFY costs at most this).
const POLL: Duration = Duration::from_secs(2);
/// How long events stay in the log.
const KEEP: Duration = Duration::from_secs(600);
/// Events read or written per query.
const BATCH: usize = 500;

/// What a replica needs to follow the others.
pub struct Replica {
    /// This replica's name in the log.
    pub origin: String,
    /// The shared log.
    pub log: Arc<dyn SharedState>,
    /// This core's bus.
    pub bus: EventBus,
    /// The component cache to refresh.
    pub cache: Arc<CachedStore>,
    /// The tenant index to drop.
    pub tenants: Tenants,
}

impl Replica {
    /// Starts sending this core's events to the log and replaying the others' until `closing`
    /// turns true. Events already in the log are not replayed.
    pub async fn start(self, closing: watch::Receiver<bool>) -> Result<(), StoreError> {
        let Some(outbox) = self.bus.outbox() else {
            return Err(StoreError::Invalid(
                "the event bus already has a relay".into(),
            ));
        };
        let last = self.log.last_event().await?;
        let wakeups = self.log.event_wakeups().await?;
        let me = Arc::new(self);
        tokio::spawn(me.clone().send(outbox, closing.clone()));
        tokio::spawn(me.follow(last, wakeups, closing));
        Ok(())
    }

    async fn send(
        self: Arc<Self>,
        mut outbox: mpsc::UnboundedReceiver<Event>,
        mut closing: watch::Receiver<bool>,
    ) {
        loop {
            let first = tokio::select! {
                _ = closed(&mut closing) => return,
                e = outbox.recv() => match e { Some(e) => e, None => return },
            };
            let mut bodies = vec![first];
            while bodies.len() < BATCH {
                match outbox.try_recv() {
                    Ok(e) => bodies.push(e),
                    Err(_) => break,
                }
            }
            let bodies: Vec<String> = bodies
                .iter()
                .filter_map(|e| serde_json::to_string(e).ok())
                .collect();
            let mut attempt = 0;
            while let Err(e) = self.log.append_events(&self.origin, &bodies).await {
                attempt += 1;
                if attempt == 5 {
                    tracing::error!(error = %e, events = bodies.len(),
                        "cannot write events to the shared log; the other replicas miss them");
                    break;
                }
                tokio::time::sleep(Duration::from_millis(200 << attempt)).await;
            }
        }
    }

    async fn follow(
        self: Arc<Self>,
        mut last: i64,
        mut wakeups: mpsc::Receiver<()>,
        mut closing: watch::Receiver<bool>,
    ) {
        let mut prune = tokio::time::interval(KEEP / 10);
        loop {
            tokio::select! {
                _ = closed(&mut closing) => return,
                _ = wakeups.recv() => {}
                _ = tokio::time::sleep(POLL) => {}
                _ = prune.tick() => {
                    if let Err(e) = self.log.prune_events(KEEP).await {
                        tracing::warn!(error = %e, "cannot prune the shared event log");
                    }
                }
            }
            loop {
                let batch = match self
                    .log
                    .events_after(last, BATCH as i64, &self.origin)
                    .await
                {
                    Ok(b) => b,
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot read the shared event log");
                        break;
                    }
                };
                let full = batch.len() == BATCH;
                for logged in batch {
                    last = logged.id;
                    if let Some(body) = &logged.body {
                        self.replay(logged.id, body).await;
                    }
                }
                if !full {
                    break;
                }
            }
        }
    }

    /// Brings the caches up to date for another replica's event, then publishes it here.
    async fn replay(&self, id: i64, body: &str) {
        let event: Event = match serde_json::from_str(body) {
            Ok(e) => e,
            Err(e) => {
                tracing::warn!(id, error = %e, "unreadable event in the shared log");
                return;
            }
        };
        let refreshed = match &event {
            Event::ComponentsChanged { ids } | Event::ComponentStatesChanged { ids } => {
                self.cache.refresh(ids).await
            }
            Event::ComponentsDeleted { all: true, .. } => self.cache.reload().await,
            Event::ComponentsDeleted { ids, .. } => self.cache.refresh(ids).await,
            Event::TenantChanged { .. } => {
                self.tenants.forget();
                Ok(())
            }
            _ => Ok(()),
        };
        if let Err(e) = refreshed {
            tracing::warn!(error = %e, "cannot refresh the component cache; reloading it");
            if let Err(e) = self.cache.reload().await {
                tracing::error!(error = %e, "cannot reload the component cache");
            }
        }
        self.bus.publish_remote(event);
    }
}

/// Resolves once `closing` is true (or its sender is gone).
async fn closed(closing: &mut watch::Receiver<bool>) {
    let _ = closing.wait_for(|c| *c).await;
}
