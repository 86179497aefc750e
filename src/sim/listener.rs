//! The fleet's one listener: the local address of each connection picks its BMC, whose
//! certificate (made on first use) the TLS handshake presents.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Extension;
use rcgen::{CertificateParams, DnType, KeyPair};

use super::{Shared, SimBmc};

pub(super) async fn accept_loop(listener: tokio::net::TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _peer)) = listener.accept().await else {
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let Ok(SocketAddr::V4(local)) = stream.local_addr() else {
            continue;
        };
        let Some(bmc) = shared.bmcs.get(local.ip()).cloned() else {
            continue; // not a fleet address (or not loopback): close at once
        };
        bmc.connections
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if bmc.faults().reset {
            // Linger 0 makes the close an RST; with a zero timeout the drop never blocks.
            #[allow(deprecated)]
            let _ = stream.set_linger(Some(Duration::ZERO));
            continue; // RST
        }
        let _ = stream.set_nodelay(true); // no Nagle wait on the last segment of a reply
        let shared = shared.clone();
        tokio::spawn(async move {
            let Ok(tls) = tls_for(&shared, &bmc) else {
                return;
            };
            let Ok(stream) = tokio_rustls::TlsAcceptor::from(tls).accept(stream).await else {
                return;
            };
            let app = shared
                .router
                .clone()
                .layer(Extension(bmc))
                .layer(Extension(shared.clone()));
            let service = hyper_util::service::TowerToHyperService::new(app);
            let _ =
                hyper_util::server::conn::auto::Builder::new(hyper_util::rt::TokioExecutor::new())
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .await;
        });
    }
}

/// The BMC's TLS setup, made on first use: a certificate for its address from the fleet CA.
fn tls_for(shared: &Shared, bmc: &SimBmc) -> anyhow::Result<Arc<rustls::ServerConfig>> {
    if let Some(c) = bmc.tls.get() {
        return Ok(c.clone());
    }
    let mut params = CertificateParams::new(vec![bmc.ip.to_string()])?;
    params
        .distinguished_name
        .push(DnType::CommonName, format!("bmc{}", bmc.index));
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, &shared.ca_cert, &shared.ca_key)?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::try_from(key.serialize_der())
                .map_err(|e| anyhow::anyhow!("sim key: {e}"))?,
        )?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let config = Arc::new(config);
    Ok(bmc.tls.get_or_init(|| config).clone())
}
