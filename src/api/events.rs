//! `GET /events`: the event bus as Server-Sent Events, scoped to the caller's tenant and
//! resumable with `Last-Event-ID`.

use std::convert::Infallible;
use std::sync::Arc;

use axum::extract::{Extension, State};
use axum::http::HeaderMap;
use axum::response::sse::{Event as Frame, KeepAlive, Sse};
use futures::stream::{self, Stream, StreamExt};
use serde_json::json;
use tokio::sync::{broadcast, watch};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::{ApiError, Problem};
use super::routes::{check, Action};
use super::AppState;
use crate::service::auth::Principal;
use crate::service::events::Published;
use crate::service::scope::Scope;

/// The route.
pub fn routes() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new().routes(routes!(events))
}

/// What one subscriber's stream is made of.
struct Feed {
    replay: std::vec::IntoIter<Arc<Published>>,
    live: broadcast::Receiver<Arc<Published>>,
    scope: Scope,
    audit: bool,
    closing: watch::Receiver<bool>,
}

/// The SSE frame of an event the subscriber may see.
fn frame(p: &Published, scope: &Scope, audit: bool) -> Option<Frame> {
    let event = p.event.scoped(scope, audit)?;
    let data = serde_json::to_value(&event).ok()?;
    let kind = data["kind"].as_str().unwrap_or("change").to_string();
    Some(
        Frame::default()
            .id(p.seq.to_string())
            .event(kind)
            .data(data.to_string()),
    )
}

/// Tells the subscriber its view may be stale: reload, then follow from `at`.
fn reset(at: u64, why: &str) -> Frame {
    Frame::default()
        .id(at.to_string())
        .event("reset")
        .data(json!({"kind": "reset", "reason": why}).to_string())
}

async fn next(mut f: Feed) -> Option<(Result<Frame, Infallible>, Feed)> {
    for p in f.replay.by_ref() {
        if let Some(e) = frame(&p, &f.scope, f.audit) {
            return Some((Ok(e), f));
        }
    }
    loop {
        let got = tokio::select! {
            _ = f.closing.wait_for(|c| *c) => None,
            got = f.live.recv() => Some(got),
        };
        match got {
            None | Some(Err(broadcast::error::RecvError::Closed)) => return None,
            Some(Ok(p)) => {
                if let Some(e) = frame(&p, &f.scope, f.audit) {
                    return Some((Ok(e), f));
                }
            }
            Some(Err(broadcast::error::RecvError::Lagged(n))) => {
                let why = format!("this stream fell {n} events behind; reload");
                // No id: the events skipped cannot be resumed, and the client keeps its last.
                let e = Frame::default()
                    .event("reset")
                    .data(json!({"kind": "reset", "reason": why}).to_string());
                return Some((Ok(e), f));
            }
        }
    }
}

/// Changes as they happen, as Server-Sent Events: each has an `id` (its sequence number), an
/// `event` naming its kind (`components_changed`, `component_states_changed`,
/// `transition_changed`, `boot_changed`, `tenant_changed`, `audited`, ...) and JSON `data`.
/// The first is `ready` with the current sequence number. Reconnect with `Last-Event-ID` to
/// get what was missed; `reset` says some of it is gone and the client should reload. A tenant
/// context sees only its nodes; audit entries only reach those who may read `/audit`.
#[utoipa::path(get, path = "/events", tag = "events",
    params(("Last-Event-ID" = Option<String>, Header, description = "The last event id seen")),
    responses((status = 200, content_type = "text/event-stream", description = "The event stream"),
        (status = 400, body = Problem)))]
async fn events(
    State(st): State<Arc<AppState>>,
    Extension(principal): Extension<Principal>,
    Extension(scope): Extension<Scope>,
    headers: HeaderMap,
) -> Result<Sse<impl Stream<Item = Result<Frame, Infallible>>>, ApiError> {
    let after = match headers.get("last-event-id") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .ok_or_else(|| {
                    ApiError::bad_request(
                        "Last-Event-ID must be the id of an event from this stream (a number)",
                    )
                })?,
        ),
    };
    let audit = check(&principal, "/audit", Action::Read).is_ok();
    let r = st.core.bus.resume(after);
    let first = if r.gap {
        reset(
            r.at,
            "events since Last-Event-ID are no longer kept; reload",
        )
    } else {
        Frame::default()
            .id(r.at.to_string())
            .event("ready")
            .data(json!({"kind": "ready", "seq": r.at}).to_string())
    };
    let feed = Feed {
        replay: r.replay.into_iter(),
        live: r.live,
        scope,
        audit,
        closing: st.closing.clone(),
    };
    let stream = stream::once(async move { Ok(first) }).chain(stream::unfold(feed, next));
    Ok(Sse::new(stream).keep_alive(KeepAlive::default()))
}
