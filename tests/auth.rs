//! Authentication and authorization over HTTPS: bad tokens are 401, missing rights 403; JWKS
//! keys from an outside issuer (with rotation), client credentials, auth off.

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use chami::service::auth::Role;
use chami::service::issuer::{Issuer, MintRequest, KEY_FILE};
use common::{assert_problem, TestServer};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::{Method, StatusCode};
use serde_json::{json, Value};

const COMPONENTS: &str = "/hsm/v2/State/Components";

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

fn claims(aud: &str, exp: u64) -> Value {
    json!({"iss": "chami", "aud": [aud], "sub": "mallory", "iat": now(), "exp": exp, "roles": ["admin"]})
}

/// Signs `claims` with the server's own issuer key, with a chosen header.
fn sign_with_server_key(t: &TestServer, header: Header, claims: &Value) -> String {
    let pem = std::fs::read(t.dir.path().join(KEY_FILE)).expect("issuer key");
    let key = EncodingKey::from_ec_pem(&pem).expect("ec key");
    jsonwebtoken::encode(&header, claims, &key).expect("encode")
}

fn b64(v: &Value) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string())
}

async fn get_with(t: &TestServer, token: &str) -> (StatusCode, Value) {
    t.call(Method::GET, COMPONENTS, Some(token), None).await
}

#[tokio::test]
async fn missing_and_bad_tokens_are_401_with_a_bearer_challenge() {
    let t = TestServer::start().await;
    let resp = t.client.get(t.url(COMPONENTS)).send().await.expect("send");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(resp.headers()["www-authenticate"], "Bearer realm=\"chami\"");
    let body: Value = resp.json().await.expect("problem json");
    assert_eq!(body["title"], "Unauthorized");

    let kid = t.server.issuer.kid().to_string();
    let mut es256 = Header::new(Algorithm::ES256);
    es256.kid = Some(kid.clone());

    // alg=none, hand-made: header and claims, no signature.
    let none = format!(
        "{}.{}.",
        b64(&json!({"alg": "none", "typ": "JWT", "kid": kid})),
        b64(&claims("chami", now() + 600))
    );
    assert_problem(
        &get_with(&t, &none).await,
        StatusCode::UNAUTHORIZED,
        "not valid",
    );

    // HS256 with the public key id: the classic algorithm-confusion attempt.
    let mut hs = Header::new(Algorithm::HS256);
    hs.kid = Some(kid.clone());
    let hs_token = jsonwebtoken::encode(
        &hs,
        &claims("chami", now() + 600),
        &EncodingKey::from_secret(b"guess"),
    )
    .expect("hs256");
    assert_problem(
        &get_with(&t, &hs_token).await,
        StatusCode::UNAUTHORIZED,
        "HS256",
    );

    let expired = sign_with_server_key(&t, es256.clone(), &claims("chami", now() - 3600));
    assert_problem(
        &get_with(&t, &expired).await,
        StatusCode::UNAUTHORIZED,
        "expired",
    );

    let wrong_aud = sign_with_server_key(&t, es256.clone(), &claims("someone-else", now() + 600));
    assert_problem(
        &get_with(&t, &wrong_aud).await,
        StatusCode::UNAUTHORIZED,
        "audience",
    );

    let mut unknown_kid = es256.clone();
    unknown_kid.kid = Some("no-such-key".into());
    let unknown = sign_with_server_key(&t, unknown_kid, &claims("chami", now() + 600));
    assert_problem(
        &get_with(&t, &unknown).await,
        StatusCode::UNAUTHORIZED,
        "'no-such-key' is not trusted",
    );

    let no_kid = sign_with_server_key(
        &t,
        Header::new(Algorithm::ES256),
        &claims("chami", now() + 600),
    );
    assert_problem(
        &get_with(&t, &no_kid).await,
        StatusCode::UNAUTHORIZED,
        "no 'kid'",
    );

    // Tampered payload: signature no longer matches.
    let good = t.token("alice", &[Role::Viewer]);
    let parts: Vec<&str> = good.split('.').collect();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        b64(&claims("chami", now() + 600)),
        parts[2]
    );
    assert_problem(
        &get_with(&t, &forged).await,
        StatusCode::UNAUTHORIZED,
        "signature",
    );

    assert_problem(
        &get_with(&t, "garbage").await,
        StatusCode::UNAUTHORIZED,
        "not valid",
    );
    let resp = t
        .client
        .get(t.url(COMPONENTS))
        .header("authorization", "Basic Zm9vOmJhcg==")
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::UNAUTHORIZED);
    assert!(resp.headers()["www-authenticate"]
        .to_str()
        .expect("ascii")
        .contains("invalid_token"));
}

#[tokio::test]
async fn roles_decide_what_a_valid_token_may_do() {
    let t = TestServer::start().await;
    let viewer = t.token("vera", &[Role::Viewer]);
    let operator = t.token("otto", &[Role::Operator]);
    let body = json!({"Components": [{"ID": "x1c0s0b0n0", "State": "Ready"}]});

    assert_eq!(
        t.call(Method::GET, COMPONENTS, Some(&viewer), None).await.0,
        StatusCode::OK
    );
    assert_problem(
        &t.call(Method::POST, COMPONENTS, Some(&viewer), Some(body.clone()))
            .await,
        StatusCode::FORBIDDEN,
        "'vera' with role(s) [viewer] may not write",
    );
    assert_problem(
        &t.call(
            Method::POST,
            COMPONENTS,
            Some(&operator),
            Some(body.clone()),
        )
        .await,
        StatusCode::FORBIDDEN,
        "may not write",
    );
    assert_eq!(
        t.call(Method::POST, COMPONENTS, Some(&t.admin), Some(body))
            .await
            .0,
        StatusCode::NO_CONTENT
    );
    assert_problem(
        &t.call(Method::DELETE, COMPONENTS, Some(&viewer), None)
            .await,
        StatusCode::FORBIDDEN,
        "may not delete",
    );
    // The refused writes changed nothing: exactly the admin's component exists.
    assert_eq!(t.ids(COMPONENTS).await, vec!["x1c0s0b0n0"]);
}

/// Serves a JWKS document on plain HTTP on loopback; the document can be replaced (rotation).
async fn jwks_server(doc: Arc<Mutex<Value>>) -> String {
    let app = axum::Router::new().route(
        "/jwks.json",
        axum::routing::get(move || {
            let doc = doc.clone();
            async move { axum::Json(doc.lock().expect("lock").clone()) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });
    format!("http://{addr}/jwks.json")
}

fn outside_issuer(dir: &tempfile::TempDir) -> Issuer {
    Issuer::load_or_create(dir.path(), "https://idp.example", "chami-api").expect("idp key")
}

fn outside_token(idp: &Issuer, roles: &[Role]) -> String {
    idp.mint(&MintRequest {
        subject: "svc-magellan".into(),
        roles: roles.to_vec(),
        tenant: None,
        ttl: Duration::from_secs(300),
    })
    .expect("mint")
}

/// A core that trusts the outside IdP (`outside_issuer`) through these JWKS URLs.
async fn trusting(urls: Vec<String>) -> TestServer {
    TestServer::start_with(|a| {
        a.jwks_urls = urls;
        a.issuers = vec!["https://idp.example".into()];
        a.audiences = vec!["chami-api".into()];
    })
    .await
}

#[tokio::test]
async fn jwks_keys_are_trusted_and_rotation_is_picked_up() {
    let (d1, d2) = (
        tempfile::tempdir().expect("tmp"),
        tempfile::tempdir().expect("tmp"),
    );
    let (first, second) = (outside_issuer(&d1), outside_issuer(&d2));
    let doc = Arc::new(Mutex::new(first.jwks()));
    let url = jwks_server(doc.clone()).await;
    let t = trusting(vec![url]).await;

    let (status, _) = t
        .call(
            Method::GET,
            COMPONENTS,
            Some(&outside_token(&first, &[Role::Viewer])),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    // Role mapping applies to outside tokens too.
    let write = json!({"Components": [{"ID": "x1c0s0b0n0", "State": "Ready"}]});
    assert_eq!(
        t.call(
            Method::POST,
            COMPONENTS,
            Some(&outside_token(&first, &[Role::Viewer])),
            Some(write.clone())
        )
        .await
        .0,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        t.call(
            Method::POST,
            COMPONENTS,
            Some(&outside_token(&first, &[Role::Service])),
            Some(write)
        )
        .await
        .0,
        StatusCode::NO_CONTENT
    );

    // The IdP rotates to a new key: its tokens are unknown until the JWKS says otherwise.
    let rotated = outside_token(&second, &[Role::Viewer]);
    assert_eq!(
        t.call(Method::GET, COMPONENTS, Some(&rotated), None)
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    {
        let mut keys = first.jwks()["keys"].as_array().expect("keys").clone();
        keys.extend(
            second.jwks()["keys"]
                .as_array()
                .expect("keys")
                .iter()
                .cloned(),
        );
        *doc.lock().expect("lock") = json!({"keys": keys});
    }
    // Refreshes on an unknown kid are rate-limited (5 s); wait it out, bounded.
    let mut ok = false;
    for _ in 0..20 {
        if t.call(Method::GET, COMPONENTS, Some(&rotated), None)
            .await
            .0
            == StatusCode::OK
        {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert!(ok, "rotated key was not picked up without a restart");
}

#[tokio::test]
async fn client_credentials_grant_issues_working_tokens() {
    let dir = tempfile::tempdir().expect("tmp");
    let clients = dir.path().join("clients.yaml");
    std::fs::write(
        &clients,
        "- id: magellan\n  secret: s3cret-s3cret-s3cret\n  roles: [service]\n",
    )
    .expect("write");
    let t = TestServer::start_with(|a| a.oauth_clients = Some(clients)).await;

    let resp = t
        .client
        .post(t.url("/oauth/token"))
        .basic_auth("magellan", Some("s3cret-s3cret-s3cret"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status(), StatusCode::OK);
    let body: Value = resp.json().await.expect("json");
    assert_eq!(body["token_type"], "Bearer");
    let token = body["access_token"].as_str().expect("token");
    let write = json!({"Components": [{"ID": "x1c0s0b0n0", "State": "Ready"}]});
    assert_eq!(
        t.call(Method::POST, COMPONENTS, Some(token), Some(write))
            .await
            .0,
        StatusCode::NO_CONTENT
    );

    let wrong = t
        .client
        .post(t.url("/oauth/token"))
        .basic_auth("magellan", Some("wrong-secret-wrong"))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .expect("send");
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        wrong.json::<Value>().await.expect("json")["error"],
        "invalid_client"
    );

    let bad_grant = t
        .client
        .post(t.url("/oauth/token"))
        .form(&[("grant_type", "password")])
        .send()
        .await
        .expect("send");
    assert_eq!(bad_grant.status(), StatusCode::BAD_REQUEST);

    let (status, jwks) = t
        .call(Method::GET, "/.well-known/jwks.json", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(jwks["keys"][0]["kid"], t.server.issuer.kid());
    assert_eq!(jwks["keys"][0]["alg"], "ES256");
}

/// Guessing client secrets is slowed: past the per-address quota the token endpoint answers
/// 429 with Retry-After and says why, whether the secret was right or not.
#[tokio::test]
async fn the_token_endpoint_limits_each_address() {
    let dir = tempfile::tempdir().expect("tmp");
    let clients = dir.path().join("clients.yaml");
    std::fs::write(
        &clients,
        "- id: magellan\n  secret: s3cret-s3cret-s3cret\n  roles: [service]\n",
    )
    .expect("write");
    let t = TestServer::start_with(|a| {
        a.oauth_clients = Some(clients);
        a.token_rate = 3;
    })
    .await;
    let ask = |secret: &'static str| {
        t.client
            .post(t.url("/oauth/token"))
            .basic_auth("magellan", Some(secret))
            .form(&[("grant_type", "client_credentials")])
            .send()
    };
    assert_eq!(
        ask("s3cret-s3cret-s3cret").await.unwrap().status(),
        StatusCode::OK
    );
    for _ in 0..2 {
        let wrong = ask("guess").await.unwrap();
        assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    }
    let limited = ask("s3cret-s3cret-s3cret").await.unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(
        (1..=20).contains(&retry),
        "3 a minute: one more within 20 s, not {retry}"
    );
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["error"], "too_many_requests");
    let why = body["error_description"].as_str().unwrap();
    assert!(
        why.starts_with("too many token requests from 127.0.0.1: at most 3 a minute; retry in"),
        "{why}"
    );
    // Other endpoints are not limited.
    let (status, _) = t
        .call(Method::GET, "/.well-known/jwks.json", None, None)
        .await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn auth_off_is_refused_off_loopback() {
    let dir = tempfile::tempdir().expect("tmp");
    let mut args = chami::server::config::ServeArgs::for_data_dir(
        dir.path().to_path_buf(),
        "0.0.0.0:0".parse().expect("addr"),
    );
    args.auth = chami::server::config::AuthMode::Off;
    let err = chami::server::start(&args).await.err().expect("refused");
    assert!(
        format!("{err:#}").contains("refusing --auth=off on 0.0.0.0:0"),
        "{err:#}"
    );
}

#[tokio::test]
async fn auth_off_accepts_requests_without_tokens() {
    let t = TestServer::start_with(|a| a.auth = chami::server::config::AuthMode::Off).await;
    let (status, _) = t.call(Method::GET, COMPONENTS, None, None).await;
    assert_eq!(status, StatusCode::OK);
}

#[tokio::test]
async fn keys_from_several_jwks_urls_are_all_trusted() {
    let (d1, d2) = (
        tempfile::tempdir().expect("tmp"),
        tempfile::tempdir().expect("tmp"),
    );
    let (a, b) = (outside_issuer(&d1), outside_issuer(&d2));
    let url_a = jwks_server(Arc::new(Mutex::new(a.jwks()))).await;
    let url_b = jwks_server(Arc::new(Mutex::new(b.jwks()))).await;
    let t = trusting(vec![url_a, url_b]).await;
    for idp in [&a, &b, &a] {
        let token = outside_token(idp, &[Role::Viewer]);
        assert_eq!(
            t.call(Method::GET, COMPONENTS, Some(&token), None).await.0,
            StatusCode::OK
        );
    }
}

/// Route and role are decided before a body is read: a viewer's write, or a path that does
/// not exist, is refused as such however large its body (it used to be read whole first, and
/// answered 413 past --max-body).
#[tokio::test]
async fn a_refused_request_is_answered_before_its_body_is_read() {
    let t = TestServer::start_with(|a| a.max_body = 4096).await;
    let viewer = t.token("vera", &[Role::Viewer]);
    let big = format!(
        r#"{{"Components": [{}]}}"#,
        "{\"ID\": \"x1000c0s0b0n0\"},".repeat(2000)
    );
    for (token, path, status) in [
        (&viewer, "/hsm/v2/State/Components", StatusCode::FORBIDDEN),
        (&t.admin, "/hsm/v2/No/Such/Route", StatusCode::NOT_FOUND),
        (
            &t.admin,
            "/hsm/v2/State/Components",
            StatusCode::PAYLOAD_TOO_LARGE,
        ),
    ] {
        let resp = t
            .client
            .post(t.url(path))
            .bearer_auth(token)
            .header("content-type", "application/json")
            // Chunked, with no Content-Length to refuse it by: only reading it finds the size.
            .body(reqwest::Body::wrap_stream(futures::stream::iter(
                big.clone()
                    .into_bytes()
                    .chunks(1024)
                    .map(|c| Ok::<_, std::io::Error>(c.to_vec()))
                    .collect::<Vec<_>>(),
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), status, "{path}");
    }
}

/// However short the text, one request's hostlists expand to at most 100,000 names in all,
/// refused with a 400 naming the budget before anything is built.
#[tokio::test]
async fn hostlists_have_one_budget_per_request() {
    let t = TestServer::start().await;
    let got = t
        .get("/hsm/v2/State/Components?id=x1000c0s[0-9999]b0n[0-99]")
        .await;
    assert_problem(&got, StatusCode::BAD_REQUEST, "past 100000 names in all");
    // Two parameters of 60,000 each are past it together, though each is within it.
    let got = t
        .get("/hsm/v2/State/Components?id=x1000c0s[0-599]b0n[0-99]&id=x1001c0s[0-599]b0n[0-99]")
        .await;
    assert_problem(&got, StatusCode::BAD_REQUEST, "past 100000 names in all");
    let got = t
        .patch(
            "/hsm/v2/State/Components/BulkEnabled",
            json!({"ComponentIDs": ["x1000c0s[0-599]b0n[0-99]", "x1001c0s[0-599]b0n[0-99]"],
                   "Enabled": false}),
        )
        .await;
    assert_problem(&got, StatusCode::BAD_REQUEST, "past 100000 names in all");
    let (status, body) = t
        .get("/hsm/v2/State/Components?id=x1000c0s[0-499]b0n[0-99]")
        .await;
    assert_eq!(status, StatusCode::OK, "50,000 names are within it: {body}");
}
