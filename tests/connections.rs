//! What the HTTPS listener closes and what it keeps: a client that trickles its TLS handshake
//! or its request headers is cut off after `--header-timeout`, an idle connection after
//! `--idle-timeout`, and past `--max-connections` new clients wait instead of piling up, so
//! a normal client still gets its answer; an event stream is never idle.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use chami::client::events::Frame;
use common::TestServer;
use reqwest::StatusCode;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

async fn start(max_connections: u32) -> TestServer {
    TestServer::start_with(|a| {
        a.header_timeout = 1;
        a.idle_timeout = 2;
        a.max_connections = max_connections;
    })
    .await
}

fn connector(t: &TestServer) -> tokio_rustls::TlsConnector {
    let pem = std::fs::read(t.server.ca.as_ref().expect("a CA")).unwrap();
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_slice_iter(&pem) {
        roots.add(c.unwrap()).unwrap();
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    tokio_rustls::TlsConnector::from(Arc::new(config))
}

async fn tls(t: &TestServer) -> TlsStream<TcpStream> {
    let tcp = TcpStream::connect(t.server.addr).await.unwrap();
    connector(t)
        .connect(ServerName::try_from("127.0.0.1").unwrap(), tcp)
        .await
        .expect("TLS handshake")
}

/// Whether the server closes `stream` within `within` (reading until EOF or an error).
async fn closed_within<S: AsyncReadExt + Unpin>(stream: &mut S, within: Duration) -> bool {
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + within;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn a_slow_handshake_is_cut_off() {
    let t = start(64).await;
    // TCP only, no ClientHello: the handshake never completes.
    let mut tcp = TcpStream::connect(t.server.addr).await.unwrap();
    assert!(
        closed_within(&mut tcp, Duration::from_secs(10)).await,
        "a connection that never finished its handshake stayed open"
    );
}

#[tokio::test]
async fn request_headers_trickled_byte_by_byte_are_cut_off() {
    let t = start(64).await;
    let mut s = tls(&t).await;
    let head = b"GET /hsm/v2/service/ready HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ";
    s.write_all(head).await.unwrap();
    // One byte every 200 ms, never the end of the headers; the server must close first.
    let started = Instant::now();
    let mut closed = false;
    for _ in 0..50 {
        if s.write_all(b"a").await.is_err() || s.flush().await.is_err() {
            closed = true;
            break;
        }
        if closed_within(&mut s, Duration::from_millis(200)).await {
            closed = true;
            break;
        }
    }
    assert!(closed, "a header trickler was still connected after 10 s");
    // Not before the header timeout either: the cut-off is the timeout, not the first byte.
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[tokio::test]
async fn an_idle_connection_is_closed_and_a_busy_one_is_not() {
    let t = start(64).await;
    let mut s = tls(&t).await;
    // A request each 500 ms for 3 s (past the 2 s idle limit): the connection stays.
    for _ in 0..6 {
        s.write_all(b"GET /hsm/v2/service/ready HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .await
            .unwrap();
        let mut buf = [0u8; 4096];
        let n = tokio::time::timeout(Duration::from_secs(5), s.read(&mut buf))
            .await
            .expect("an answer")
            .unwrap();
        assert!(n > 0, "closed while in use");
        assert!(
            buf.starts_with(b"HTTP/1.1 200"),
            "{}",
            String::from_utf8_lossy(&buf[..n])
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    // Then nothing: closed after the idle limit.
    assert!(
        closed_within(&mut s, Duration::from_secs(10)).await,
        "an idle connection stayed open"
    );
}

#[tokio::test]
async fn past_the_connection_cap_a_normal_client_still_gets_its_answer() {
    let t = start(16).await;
    // Sixteen connections that finish TLS and then send nothing: the cap is reached.
    let mut idle = Vec::new();
    for _ in 0..16 {
        idle.push(tls(&t).await);
    }
    // A normal client waits for a slot (the idle ones are closed after 2 s), then is served.
    let (status, body) = t.get("/hsm/v2/State/Components").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // The ones that held the slots were closed.
    for s in &mut idle {
        assert!(closed_within(s, Duration::from_secs(10)).await);
    }
}

async fn next(s: &mut chami::client::events::EventStream) -> Frame {
    tokio::time::timeout(Duration::from_secs(10), s.next())
        .await
        .expect("a frame in time")
        .expect("the stream is open")
}

#[tokio::test]
async fn an_event_stream_outlives_the_idle_limit() {
    let t = start(64).await;
    let ca = std::fs::read(t.server.ca.as_ref().unwrap()).unwrap();
    let client = chami::client::Client::new(&t.server.url(), &t.admin, Some(&ca)).unwrap();
    let mut stream = client.events(None).await.expect("the event stream");
    let ready: Frame = next(&mut stream).await;
    assert_eq!(ready.event, "ready");
    // Quiet for twice the idle limit, then a change: it still arrives.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (status, body) = t
        .post(
            "/hsm/v2/State/Components",
            json!({"Components": [{"ID": "x3000c0s9b0n0", "State": "On"}]}),
        )
        .await;
    assert!(status.is_success(), "{status} {body}");
    loop {
        let f = next(&mut stream).await;
        if f.event == "components_changed" {
            assert!(f.ids().contains(&"x3000c0s9b0n0".to_string()), "{f:?}");
            break;
        }
    }
}
