//! TLS for the HTTPS listener: operator-supplied PEM files, or a CA and server certificate
//! this core creates once in its data dir.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, KeyPair, KeyUsagePurpose};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

use crate::fsutil;

/// CA certificate file in the data dir; clients trust this.
pub const CA_FILE: &str = "ca.pem";
const CA_KEY_FILE: &str = "ca-key.pem";
const CERT_FILE: &str = "server.pem";
const KEY_FILE: &str = "server-key.pem";
const SANS_FILE: &str = "server-sans.txt";

/// A TLS set-up failure, naming the file or step.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TlsError(pub String);

/// Where the listener's certificate chain and key live, and the CA clients should trust.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// Certificate chain (PEM).
    pub cert: PathBuf,
    /// Private key (PEM).
    pub key: PathBuf,
    /// The generated CA, when this core made the certificate.
    pub ca: Option<PathBuf>,
}

/// The names every generated server certificate carries, plus `extra`.
pub fn default_sans(extra: &[String]) -> Vec<String> {
    let mut sans = vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ];
    if let Some(host) = gethostname::gethostname().to_str() {
        if !host.is_empty() {
            sans.push(host.to_string());
        }
    }
    sans.extend(
        extra
            .iter()
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty()),
    );
    let mut seen = std::collections::HashSet::new();
    sans.retain(|s| seen.insert(s.clone()));
    sans
}

fn io_err(path: &Path, e: impl std::fmt::Display) -> TlsError {
    TlsError(format!("{}: {e}", path.display()))
}

fn gen_err(what: &str, e: impl std::fmt::Display) -> TlsError {
    TlsError(format!("could not create {what}: {e}"))
}

/// The CA's parameters; derived from its key so re-signing after a restart yields the same
/// issuer name without storing anything else.
fn ca_params(ca_key: &KeyPair) -> Result<CertificateParams, TlsError> {
    let mut params = CertificateParams::new(Vec::<String>::new()).map_err(|e| gen_err("CA", e))?;
    let digest = ring::digest::digest(&ring::digest::SHA256, ca_key.public_key_raw());
    let tag: String = digest.as_ref()[..4]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    params
        .distinguished_name
        .push(DnType::CommonName, format!("chami local CA {tag}"));
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    Ok(params)
}

/// Creates (once) a CA and a server certificate for `sans` in `data_dir`; a server certificate
/// whose names differ from `sans` is re-issued from the same CA.
pub fn ensure_self_signed(data_dir: &Path, sans: &[String]) -> Result<TlsFiles, TlsError> {
    let ca_path = data_dir.join(CA_FILE);
    let ca_key_path = data_dir.join(CA_KEY_FILE);
    let ca_key = if ca_key_path.exists() {
        let pem = std::fs::read_to_string(&ca_key_path).map_err(|e| io_err(&ca_key_path, e))?;
        KeyPair::from_pem(&pem).map_err(|e| io_err(&ca_key_path, e))?
    } else {
        let key = KeyPair::generate().map_err(|e| gen_err("CA key", e))?;
        fsutil::write_private(&ca_key_path, key.serialize_pem().as_bytes())
            .map_err(|e| io_err(&ca_key_path, e))?;
        key
    };
    let ca_cert = ca_params(&ca_key)?
        .self_signed(&ca_key)
        .map_err(|e| gen_err("CA certificate", e))?;
    if !ca_path.exists() {
        std::fs::write(&ca_path, ca_cert.pem()).map_err(|e| io_err(&ca_path, e))?;
    }

    let files = TlsFiles {
        cert: data_dir.join(CERT_FILE),
        key: data_dir.join(KEY_FILE),
        ca: Some(ca_path),
    };
    let sans_path = data_dir.join(SANS_FILE);
    let wanted = sans.join("\n");
    let current = std::fs::read_to_string(&sans_path).unwrap_or_default();
    if current == wanted && files.cert.exists() && files.key.exists() {
        return Ok(files);
    }
    let mut params =
        CertificateParams::new(sans.to_vec()).map_err(|e| gen_err("server certificate", e))?;
    params.distinguished_name.push(
        DnType::CommonName,
        sans.first().cloned().unwrap_or_default(),
    );
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().map_err(|e| gen_err("server key", e))?;
    let cert = params
        .signed_by(&key, &ca_cert, &ca_key)
        .map_err(|e| gen_err("server certificate", e))?;
    fsutil::write_private(&files.key, key.serialize_pem().as_bytes())
        .map_err(|e| io_err(&files.key, e))?;
    std::fs::write(&files.cert, cert.pem()).map_err(|e| io_err(&files.cert, e))?;
    std::fs::write(&sans_path, wanted).map_err(|e| io_err(&sans_path, e))?;
    Ok(files)
}

/// A rustls server configuration (ring provider, TLS 1.3, h2 and HTTP/1.1) from PEM files.
pub fn server_config(files: &TlsFiles) -> Result<rustls::ServerConfig, TlsError> {
    let cert_err = |e: &dyn std::fmt::Display| {
        TlsError(format!("TLS certificate {}: {e}", files.cert.display()))
    };
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(&files.cert)
        .map_err(|e| cert_err(&e))?
        .collect::<Result<_, _>>()
        .map_err(|e| cert_err(&e))?;
    if certs.is_empty() {
        return Err(cert_err(&"no certificate in the file"));
    }
    let key = PrivateKeyDer::from_pem_file(&files.key)
        .map_err(|e| TlsError(format!("TLS key {}: {e}", files.key.display())))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| TlsError(format!("TLS setup: {e}")))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| {
            TlsError(format!(
                "certificate and key do not make a usable pair: {e}"
            ))
        })?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_is_made_once_and_cert_reissued_when_names_change() {
        let dir = tempfile::tempdir().expect("tempdir");
        let sans = default_sans(&[]);
        let a = ensure_self_signed(dir.path(), &sans).expect("first");
        let ca1 = std::fs::read(a.ca.as_ref().expect("ca")).expect("read ca");
        let cert1 = std::fs::read(&a.cert).expect("read cert");
        let b = ensure_self_signed(dir.path(), &sans).expect("second");
        assert_eq!(
            cert1,
            std::fs::read(&b.cert).expect("cert"),
            "unchanged names keep the cert"
        );
        let more = default_sans(&["chami.example.org".to_string()]);
        let c = ensure_self_signed(dir.path(), &more).expect("third");
        assert_ne!(
            cert1,
            std::fs::read(&c.cert).expect("cert"),
            "new names re-issue"
        );
        assert_eq!(
            ca1,
            std::fs::read(c.ca.as_ref().expect("ca")).expect("ca"),
            "CA stays"
        );
        server_config(&c).expect("usable rustls config");
    }

    #[test]
    fn missing_files_are_named() {
        let files = TlsFiles {
            cert: "/nonexistent/cert.pem".into(),
            key: "/nonexistent/key.pem".into(),
            ca: None,
        };
        let err = server_config(&files).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/cert.pem"), "{err}");
    }
}
