//! Bearer token verification: asymmetric algorithms only, `kid` required, keys from the
//! built-in issuer and from JWKS URLs (cached, refreshed on an unknown `kid`).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use tokio::sync::{Mutex, RwLock};

use super::auth::Principal;
use super::issuer::Issuer;

/// Keys older than this are refreshed before use.
const SOFT_TTL: Duration = Duration::from_secs(600);
/// Keys older than this are no longer trusted if a refresh keeps failing.
const HARD_TTL: Duration = Duration::from_secs(3600);
/// An unknown `kid` triggers at most one refresh per source in this interval.
const MIN_REFRESH_GAP: Duration = Duration::from_secs(5);
/// Longest a JWKS fetch may take.
const FETCH_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest accepted clock skew (A.5: at most ten minutes).
pub const MAX_SKEW: Duration = Duration::from_secs(600);

/// Algorithms a token may use: RSA, RSA-PSS and ECDSA. `none`, HS* and EdDSA are refused.
const ALLOWED: &[Algorithm] = &[
    Algorithm::RS256,
    Algorithm::RS384,
    Algorithm::RS512,
    Algorithm::PS256,
    Algorithm::PS384,
    Algorithm::PS512,
    Algorithm::ES256,
    Algorithm::ES384,
];

/// Why a token was refused; the text goes into the 401's `WWW-Authenticate` and body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TokenError(pub String);

/// Verifier settings.
#[derive(Debug, Clone, Default)]
pub struct VerifierConfig {
    /// Accepted `iss` values (the built-in issuer's is added).
    pub issuers: Vec<String>,
    /// Accepted `aud` values (the built-in issuer's is added).
    pub audiences: Vec<String>,
    /// Allowed clock skew.
    pub skew: Duration,
    /// JWKS documents to trust.
    pub jwks_urls: Vec<String>,
    /// Extra CA certificate (PEM) for fetching JWKS over HTTPS.
    pub jwks_ca_pem: Option<Vec<u8>>,
}

struct CachedKeys {
    keys: HashMap<String, DecodingKey>,
    fetched: Option<Instant>,
}

/// One JWKS URL and its cached keys.
struct JwksSource {
    url: String,
    cache: RwLock<CachedKeys>,
    last_attempt: Mutex<Option<Instant>>,
}

impl JwksSource {
    /// The cached key for `kid`, if the cache is younger than `max_age`.
    async fn key(&self, kid: &str, max_age: Duration) -> Option<DecodingKey> {
        let cache = self.cache.read().await;
        let young = cache.fetched.is_some_and(|t| t.elapsed() < max_age);
        young.then(|| cache.keys.get(kid).cloned()).flatten()
    }
}

/// Verifies bearer tokens and turns them into principals.
pub struct Verifier {
    issuer: Option<Arc<Issuer>>,
    sources: Vec<JwksSource>,
    http: reqwest::Client,
    validation_base: Validation,
}

impl Verifier {
    /// A verifier trusting `issuer` (if any) and the configured JWKS URLs.
    pub fn new(config: &VerifierConfig, issuer: Option<Arc<Issuer>>) -> Result<Verifier, String> {
        let mut http = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .use_rustls_tls();
        if let Some(pem) = &config.jwks_ca_pem {
            for cert in reqwest::Certificate::from_pem_bundle(pem)
                .map_err(|e| format!("JWKS CA certificate: {e}"))?
            {
                http = http.add_root_certificate(cert);
            }
        }
        let http = http.build().map_err(|e| format!("JWKS client: {e}"))?;
        let mut issuers = config.issuers.clone();
        let mut audiences = config.audiences.clone();
        if let Some(i) = &issuer {
            issuers.push(i.issuer.clone());
            audiences.push(i.audience.clone());
        }
        let mut v = Validation::new(Algorithm::ES256);
        v.leeway = config.skew.min(MAX_SKEW).as_secs();
        v.set_issuer(&issuers);
        v.set_audience(&audiences);
        v.set_required_spec_claims(&["exp", "sub", "iss", "aud"]);
        v.validate_nbf = true;
        let sources = config
            .jwks_urls
            .iter()
            .map(|url| JwksSource {
                url: url.clone(),
                cache: RwLock::new(CachedKeys {
                    keys: HashMap::new(),
                    fetched: None,
                }),
                last_attempt: Mutex::new(None),
            })
            .collect();
        Ok(Verifier {
            issuer,
            sources,
            http,
            validation_base: v,
        })
    }

    /// Fetches every JWKS once (at start), logging failures; later calls retry.
    pub async fn prefetch(&self) {
        for s in &self.sources {
            if let Err(e) = self.refresh(s).await {
                tracing::warn!(url = %s.url, error = %e, "could not fetch JWKS; will retry on use");
            }
        }
    }

    /// Verifies `token` and returns its principal.
    pub async fn verify(&self, token: &str) -> Result<Principal, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| {
            TokenError(format!(
                "token header is not valid (only RS/PS 256-512 and ES256/384 are accepted): {e}"
            ))
        })?;
        if !ALLOWED.contains(&header.alg) {
            return Err(TokenError(format!(
                "token algorithm {:?} is not accepted: use RS/PS 256-512 or ES256/384",
                header.alg
            )));
        }
        let kid = header
            .kid
            .ok_or_else(|| TokenError("token has no 'kid' header".into()))?;
        let mut validation = self.validation_base.clone();
        validation.algorithms = vec![header.alg];
        let check = |key: &DecodingKey| {
            jsonwebtoken::decode::<Value>(token, key, &validation)
                .map(|data| Principal::from_claims(&data.claims))
                .map_err(describe)
        };
        if let Some(issuer) = &self.issuer {
            if issuer.kid() == kid {
                return check(issuer.decoding_key());
            }
        }
        // Fresh caches first, so a key from one source never sends another to the network.
        for source in &self.sources {
            if let Some(key) = source.key(&kid, SOFT_TTL).await {
                return check(&key);
            }
        }
        for source in &self.sources {
            if let Err(e) = self.refresh_rate_limited(source).await {
                tracing::warn!(url = %source.url, error = %e, "JWKS refresh failed");
            }
            // A source that cannot be refreshed keeps its keys until the hard TTL.
            if let Some(key) = source.key(&kid, HARD_TTL).await {
                return check(&key);
            }
        }
        Err(TokenError(format!("token key id '{kid}' is not trusted")))
    }

    async fn refresh_rate_limited(&self, source: &JwksSource) -> Result<(), String> {
        // Held across the fetch on purpose (a tokio mutex, bounded by FETCH_TIMEOUT): callers
        // that arrive meanwhile wait for this refresh instead of failing on a key it may bring.
        let mut last = source.last_attempt.lock().await;
        if last.is_some_and(|t| t.elapsed() < MIN_REFRESH_GAP) {
            return Ok(());
        }
        *last = Some(Instant::now());
        self.refresh(source).await
    }

    async fn refresh(&self, source: &JwksSource) -> Result<(), String> {
        let resp = self
            .http
            .get(&source.url)
            .send()
            .await
            .map_err(|e| format!("GET {}: {e}", source.url))?;
        if !resp.status().is_success() {
            return Err(format!("GET {}: HTTP {}", source.url, resp.status()));
        }
        let set: JwkSet = resp
            .json()
            .await
            .map_err(|e| format!("{} is not a JWKS document: {e}", source.url))?;
        let mut keys = HashMap::new();
        for jwk in &set.keys {
            let Some(kid) = jwk.common.key_id.clone() else {
                continue;
            };
            match DecodingKey::from_jwk(jwk) {
                Ok(k) => {
                    keys.insert(kid, k);
                }
                Err(e) => tracing::warn!(url = %source.url, %kid, error = %e, "skipping JWK"),
            }
        }
        let mut cache = source.cache.write().await;
        cache.keys = keys;
        cache.fetched = Some(Instant::now());
        Ok(())
    }
}

/// Turns a jsonwebtoken error into words an operator can act on.
fn describe(e: jsonwebtoken::errors::Error) -> TokenError {
    use jsonwebtoken::errors::ErrorKind as K;
    let msg = match e.kind() {
        K::ExpiredSignature => "token has expired".to_string(),
        K::ImmatureSignature => "token is not valid yet (nbf in the future)".to_string(),
        K::InvalidAudience => "token audience is not accepted here".to_string(),
        K::InvalidIssuer => "token issuer is not accepted here".to_string(),
        K::InvalidSignature => "token signature does not verify".to_string(),
        K::MissingRequiredClaim(c) => format!("token lacks the required claim '{c}'"),
        K::InvalidAlgorithm => "token algorithm does not match its key".to_string(),
        other => format!("token is not valid: {other:?}"),
    };
    TokenError(msg)
}
