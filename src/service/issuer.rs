//! The built-in token issuer: an ES256 key in the data dir, its JWKS, and minting.

use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header};
use serde_json::{json, Value};

use super::auth::Role;
use crate::fsutil;

/// File name of the issuer's private key in the data dir.
pub const KEY_FILE: &str = "issuer-es256.pem";

/// Default `iss` of tokens this core mints.
pub const DEFAULT_ISSUER: &str = "chami";
/// Default `aud` of tokens this core mints.
pub const DEFAULT_AUDIENCE: &str = "chami";

/// What can go wrong loading the key or minting.
#[derive(Debug, thiserror::Error)]
pub enum IssuerError {
    /// Reading or writing the key file failed.
    #[error("issuer key {path}: {source}")]
    Io {
        /// The key file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The key file is not a usable P-256 key.
    #[error("issuer key {0} is not a valid P-256 PKCS#8 PEM key: {1}")]
    BadKey(String, String),
    /// Signing failed.
    #[error("could not sign token: {0}")]
    Sign(String),
}

/// What a minted token says about its holder.
#[derive(Debug, Clone)]
pub struct MintRequest {
    /// The subject (`sub`).
    pub subject: String,
    /// Roles (`roles`).
    pub roles: Vec<Role>,
    /// Tenant (`tenant`), for tenant admins.
    pub tenant: Option<String>,
    /// Lifetime.
    pub ttl: Duration,
}

/// The built-in issuer's key pair.
pub struct Issuer {
    kid: String,
    encoding: EncodingKey,
    decoding: DecodingKey,
    jwk: Value,
    /// `iss` of minted tokens.
    pub issuer: String,
    /// `aud` of minted tokens.
    pub audience: String,
}

impl Issuer {
    /// Loads the key from `data_dir`, creating it (mode 0600) on first use.
    pub fn load_or_create(
        data_dir: &Path,
        issuer: &str,
        audience: &str,
    ) -> Result<Issuer, IssuerError> {
        let (pem, name) = Self::load_or_create_pem(data_dir)?;
        Issuer::from_pem(&pem, &name, issuer, audience)
    }

    /// The signing key in `data_dir` as PEM (created on first use) and the file's name.
    pub fn load_or_create_pem(data_dir: &Path) -> Result<(String, String), IssuerError> {
        let path = data_dir.join(KEY_FILE);
        let io = |source| IssuerError::Io {
            path: path.display().to_string(),
            source,
        };
        let pem = if path.exists() {
            std::fs::read_to_string(&path).map_err(io)?
        } else {
            let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256)
                .map_err(|e| IssuerError::Sign(e.to_string()))?;
            let pem = key.serialize_pem();
            fsutil::write_private(&path, pem.as_bytes()).map_err(io)?;
            pem
        };
        Ok((pem, path.display().to_string()))
    }

    /// An issuer signing with the ECDSA P-256 key in `pem`; `name` says where it came from.
    pub fn from_pem(
        pem: &str,
        name: &str,
        issuer: &str,
        audience: &str,
    ) -> Result<Issuer, IssuerError> {
        let bad = |e: &dyn std::fmt::Display| IssuerError::BadKey(name.to_string(), e.to_string());
        let key = rcgen::KeyPair::from_pem(pem).map_err(|e| bad(&e))?;
        if !key.is_compatible(&rcgen::PKCS_ECDSA_P256_SHA256) {
            return Err(bad(&"not an ECDSA P-256 key"));
        }
        // Uncompressed SEC1 point: 0x04 || X (32 bytes) || Y (32 bytes).
        let point = key.public_key_raw();
        if point.len() != 65 || point[0] != 4 {
            return Err(bad(&"unexpected public key encoding"));
        }
        let x = URL_SAFE_NO_PAD.encode(&point[1..33]);
        let y = URL_SAFE_NO_PAD.encode(&point[33..65]);
        let kid = thumbprint(&x, &y);
        let encoding = EncodingKey::from_ec_pem(pem.as_bytes()).map_err(|e| bad(&e))?;
        let decoding = DecodingKey::from_ec_components(&x, &y).map_err(|e| bad(&e))?;
        let jwk = json!({
            "kty": "EC", "crv": "P-256", "x": x, "y": y,
            "kid": kid, "alg": "ES256", "use": "sig",
        });
        Ok(Issuer {
            kid,
            encoding,
            decoding,
            jwk,
            issuer: issuer.to_string(),
            audience: audience.to_string(),
        })
    }

    /// The key id (RFC 7638 thumbprint).
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The verification key.
    pub fn decoding_key(&self) -> &DecodingKey {
        &self.decoding
    }

    /// The public JWKS document (`/.well-known/jwks.json`).
    pub fn jwks(&self) -> Value {
        json!({ "keys": [self.jwk] })
    }

    /// Signs a token for `req`.
    pub fn mint(&self, req: &MintRequest) -> Result<String, IssuerError> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let mut claims = json!({
            "iss": self.issuer,
            "aud": [self.audience],
            "sub": req.subject,
            "iat": now,
            "nbf": now,
            "exp": now + req.ttl.as_secs().max(1),
            "jti": uuid::Uuid::new_v4().to_string(),
            "roles": req.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
        });
        if let Some(t) = &req.tenant {
            claims["tenant"] = json!(t);
        }
        let mut header = Header::new(Algorithm::ES256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, &claims, &self.encoding)
            .map_err(|e| IssuerError::Sign(e.to_string()))
    }
}

/// RFC 7638 JWK thumbprint of a P-256 key: SHA-256 over the required members in order.
fn thumbprint(x: &str, y: &str) -> String {
    let canonical = format!(r#"{{"crv":"P-256","kty":"EC","x":"{x}","y":"{y}"}}"#);
    let digest = ring::digest::digest(&ring::digest::SHA256, canonical.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

/// Parses a lifetime like `90s`, `15m`, `1h`, `7d` (a bare number is seconds).
pub fn parse_ttl(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u64 = num
        .parse()
        .map_err(|_| format!("bad lifetime '{s}': expected a number and s, m, h or d"))?;
    let secs = match unit {
        "" | "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        "d" => n * 86400,
        _ => return Err(format!("bad lifetime '{s}': unit must be s, m, h or d")),
    };
    if secs == 0 {
        return Err(format!("bad lifetime '{s}': must be more than zero"));
    }
    Ok(Duration::from_secs(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_is_created_once_and_reloaded() {
        let dir = tempfile::tempdir().expect("tempdir");
        let a = Issuer::load_or_create(dir.path(), "chami", "chami").expect("create");
        let b = Issuer::load_or_create(dir.path(), "chami", "chami").expect("reload");
        assert_eq!(a.kid(), b.kid());
        assert_eq!(a.jwks()["keys"][0]["kid"], a.kid());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .expect("key file")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn garbage_key_file_is_named_in_the_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join(KEY_FILE), "not a key").expect("write");
        let err = Issuer::load_or_create(dir.path(), "chami", "chami")
            .err()
            .expect("must fail");
        assert!(err.to_string().contains(KEY_FILE), "{err}");
    }

    #[test]
    fn ttl_parsing() {
        assert_eq!(parse_ttl("90").unwrap(), Duration::from_secs(90));
        assert_eq!(parse_ttl("15m").unwrap(), Duration::from_secs(900));
        assert_eq!(parse_ttl("1h").unwrap(), Duration::from_secs(3600));
        assert_eq!(parse_ttl("2d").unwrap(), Duration::from_secs(172800));
        assert_eq!(
            parse_ttl("1w").unwrap_err(),
            "bad lifetime '1w': unit must be s, m, h or d"
        );
        assert!(parse_ttl("0s").is_err());
        assert!(parse_ttl("h").is_err());
    }
}
