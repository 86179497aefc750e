//! The HTTP API: routers per OpenCHAMI service, middleware, problem+json errors, the OpenAPI
//! document. Handlers stay thin: parse, authorize, call `service/`, map errors.

pub mod audit;
pub mod auth;
pub mod body_limit;
pub mod bss;
pub mod error;
pub mod events;
pub mod extract;
pub mod gateway;
pub mod hsm;
pub mod limit;
pub mod metadata;
pub mod pcs;
pub mod respond;
pub mod routes;
pub mod tapms;

use std::sync::Arc;
use std::time::Duration;

use axum::http::{HeaderName, StatusCode};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::{DefaultOnResponse, TraceLayer};
use tower_http::CompressionLevel;
use tower_http::LatencyUnit;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::model::auth::OAuthClient;
use crate::service::issuer::Issuer;
use crate::service::jwt::Verifier;
use crate::service::metrics::Listener;
use crate::service::Core;

/// What every handler can reach.
pub struct AppState {
    /// Domain services.
    pub core: Core,
    /// Token verifier; None when auth is off.
    pub verifier: Option<Arc<Verifier>>,
    /// The built-in issuer.
    pub issuer: Arc<Issuer>,
    /// Clients allowed the client_credentials grant.
    pub oauth_clients: Vec<OAuthClient>,
    /// Turns true when the server starts shutting down, so event streams end.
    pub closing: tokio::sync::watch::Receiver<bool>,
    /// Request counters for `/metrics`.
    pub metrics: crate::service::metrics::Metrics,
    /// How often one address may call `POST /oauth/token`.
    pub token_limiter: limit::TokenLimiter,
}

/// Counts each request under its route pattern for `/metrics`.
async fn count(
    axum::extract::State(state): axum::extract::State<Arc<AppState>>,
    req: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    // MatchedPath and a standard Method clone without allocating.
    let route = req
        .extensions()
        .get::<axum::extract::MatchedPath>()
        .cloned();
    let method = req.method().clone();
    let start = std::time::Instant::now();
    let resp = next.run(req).await;
    state.metrics.observe(
        Listener::Https,
        route.as_ref().map_or("(unmatched)", |m| m.as_str()),
        method.as_str(),
        resp.status().as_u16(),
        start.elapsed(),
    );
    resp
}

/// Limits applied to every request.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest body in bytes.
    pub max_body: usize,
    /// Longest a request may run.
    pub timeout: Duration,
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "chami",
        description = "OpenCHAMI-compatible inventory (SMD), boot (BSS), power (PCS) and tenants, in one HTTPS core.",
        license(name = "MIT")
    ),
    components(schemas(error::Problem)),
    modifiers(&BearerAuth),
    security(("bearer" = []))
)]
struct ApiDoc;

/// Declares the bearer-token scheme the whole API uses.
struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Makes the document say what the middleware does for every operation: errors are
/// `application/problem+json`, and every non-public operation may answer 401 and 403.
struct ProblemResponses;

impl utoipa::Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{Content, Ref, RefOr, ResponseBuilder};
        let problem = || Content::new(Some(Ref::from_schema_name("Problem")));
        let is_problem = |c: &Content| matches!(&c.schema, Some(RefOr::Ref(r)) if r.ref_location.ends_with("/Problem"));
        for (path, item) in openapi.paths.paths.iter_mut() {
            let public = auth::is_public(path);
            let ops = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in ops.into_iter().flatten() {
                for resp in op.responses.responses.values_mut() {
                    if let RefOr::T(r) = resp {
                        if r.content.get("application/json").is_some_and(is_problem) {
                            r.content.shift_remove("application/json");
                            r.content
                                .insert("application/problem+json".into(), problem());
                        }
                    }
                }
                if public {
                    continue;
                }
                for (code, why) in [
                    ("401", "No token, or a token that does not verify"),
                    ("403", "The token's roles do not allow this"),
                ] {
                    op.responses
                        .responses
                        .entry(code.into())
                        .or_insert_with(|| {
                            RefOr::T(
                                ResponseBuilder::new()
                                    .description(why)
                                    .content("application/problem+json", problem())
                                    .build(),
                            )
                        });
                }
            }
        }
    }
}

/// The routes with their OpenAPI document, generated from the handlers.
fn routes_and_document() -> (Router<Arc<AppState>>, utoipa::openapi::OpenApi) {
    let (routes, mut doc) = api_router().split_for_parts();
    utoipa::Modify::modify(&ProblemResponses, &mut doc);
    (routes, doc)
}

/// The OpenAPI document of every route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    routes_and_document().1
}

fn api_router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest("/hsm/v2", hsm::routes())
        .nest("/boot/v1", bss::routes())
        .nest("/power-control/v1", pcs::routes())
        .nest("/apis/tapms/v1alpha3", tapms::routes())
        .nest("/metadata-service", metadata::routes())
        .merge(auth::routes())
        .merge(audit::routes())
        .merge(events::routes())
}

/// The complete application: routes, auth, and the tower-http middleware stack, also under
/// the API gateway's prefixes ([`gateway`]).
pub fn router(state: Arc<AppState>, limits: Limits) -> Router {
    gateway::serve_under_prefixes(canonical_router(state, limits))
}

/// The application at its canonical paths.
fn canonical_router(state: Arc<AppState>, limits: Limits) -> Router {
    let (routes, doc) = routes_and_document();
    let doc = Arc::new(doc);
    let request_id = HeaderName::from_static("x-request-id");
    routes
        // TAPMS's v1 paths are the same handlers; only v1alpha3 is in the document.
        .nest("/apis/tapms/v1", tapms::routes().split_for_parts().0)
        // The legacy cloud-init server's paths: the same handlers, documented once.
        .nest("/cloud-init", metadata::routes().split_for_parts().0)
        .route("/healthz", get(|| async { "ok" }))
        .route(
            "/metrics",
            get(|axum::extract::State(st): axum::extract::State<Arc<AppState>>| async move {
                (
                    [(
                        axum::http::header::CONTENT_TYPE,
                        "text/plain; version=0.0.4; charset=utf-8",
                    )],
                    st.metrics.render(&st.core).await,
                )
            }),
        )
        .route(
            "/openapi.json",
            get(move || {
                let doc = doc.clone();
                async move { Json(doc.as_ref().clone()) }
            }),
        )
        .fallback(|uri: axum::http::Uri| async move {
            error::ApiError::not_found(format!("no such path: {}", uri.path()))
        })
        .method_not_allowed_fallback(
            |method: axum::http::Method, uri: axum::http::Uri| async move {
                error::ApiError::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    format!("{method} is not allowed on {}", uri.path()),
                )
                .into_response()
            },
        )
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
        // Outside authentication, whose audit reads a mutation's body.
        .layer(axum::middleware::from_fn(move |req, next| {
            body_limit::apply(limits.max_body, req, next)
        }))
        .layer(axum::middleware::from_fn_with_state(state.clone(), count))
        .with_state(state)
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            limits.timeout,
        ))
        // A bug in a handler answers 500 and is logged; it never drops the connection.
        .layer(CatchPanicLayer::custom(respond::panicked))
        // The largest body of any route (tower-http's, instead of axum's per-extractor
        // default); each route's own limit is applied inside (`body_limit`).
        .layer(RequestBodyLimitLayer::new(limits.max_body))
        .layer(axum::extract::DefaultBodyLimit::disable())
        // Inside compression, so it sees (and may rewrite) uncompressed bodies, and outside the
        // limit and timeout layers, so their plain-text answers become problem+json.
        .layer(axum::middleware::from_fn(respond::finish))
        // The fastest gzip level: a list of 100,000 components (11 MB) compresses in a fraction
        // of the default level's time and to about the same size (bench/RESULTS.md).
        .layer(CompressionLayer::new().quality(CompressionLevel::Fastest))
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &axum::http::Request<_>| {
                    let id = req
                        .headers()
                        .get("x-request-id")
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or("-");
                    tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), id)
                })
                .on_response(
                    DefaultOnResponse::new()
                        .level(tracing::Level::INFO)
                        .latency_unit(LatencyUnit::Millis),
                ),
        )
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
}
