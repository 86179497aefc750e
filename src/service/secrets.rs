//! Secrets at rest: BMC passwords are sealed with ChaCha20-Poly1305 under a key kept in the
//! data dir (`secrets.key`, mode 0600). The ciphertext is bound to what it belongs to (the
//! endpoint ID), so a sealed value copied onto another row does not open.

use std::path::Path;

use base64::engine::general_purpose::STANDARD_NO_PAD;
use base64::Engine;
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
use ring::rand::{SecureRandom, SystemRandom};

use crate::fsutil;

/// The key file's name in the data dir.
pub const KEY_FILE: &str = "secrets.key";

/// Prefix of a sealed value, naming the scheme so it can change later.
const PREFIX: &str = "v1:";

/// Why a secret could not be sealed or opened.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The key file could not be read or written.
    #[error("secrets key {path}: {source}")]
    Io {
        /// The key file.
        path: String,
        /// What failed.
        source: std::io::Error,
    },
    /// The key file holds something else than a 32-byte key.
    #[error("secrets key {0} is not a 32-byte key; restore it from backup (sealed passwords cannot be read without it)")]
    BadKey(String),
    /// A sealed value does not open under this key.
    #[error("a stored secret cannot be opened (wrong key or damaged value)")]
    Open,
    /// The system's random source failed.
    #[error("no randomness available")]
    Random,
}

/// Seals and opens secrets under one key.
pub struct SecretBox {
    key: LessSafeKey,
    rng: SystemRandom,
}

impl std::fmt::Debug for SecretBox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretBox(..)")
    }
}

impl SecretBox {
    /// Loads the key from `data_dir`, creating it (mode 0600) on first use.
    pub fn load_or_create(data_dir: &Path) -> Result<SecretBox, SecretError> {
        let (bytes, name) = Self::load_or_create_key(data_dir)?;
        Self::from_key(&bytes, &name)
    }

    /// The raw key in `data_dir` (created on first use) and the file's name, for errors.
    pub fn load_or_create_key(data_dir: &Path) -> Result<(Vec<u8>, String), SecretError> {
        let path = data_dir.join(KEY_FILE);
        let io = |source| SecretError::Io {
            path: path.display().to_string(),
            source,
        };
        let bytes = if path.exists() {
            std::fs::read(&path).map_err(io)?
        } else {
            let mut key = vec![0u8; 32];
            SystemRandom::new()
                .fill(&mut key)
                .map_err(|_| SecretError::Random)?;
            fsutil::write_private(&path, &key).map_err(io)?;
            key
        };
        Ok((bytes, path.display().to_string()))
    }

    /// A box over a raw 32-byte key; `name` says where it came from, for errors.
    pub fn from_key(bytes: &[u8], name: &str) -> Result<SecretBox, SecretError> {
        let unbound = UnboundKey::new(&CHACHA20_POLY1305, bytes)
            .map_err(|_| SecretError::BadKey(name.to_string()))?;
        Ok(SecretBox {
            key: LessSafeKey::new(unbound),
            rng: SystemRandom::new(),
        })
    }

    /// Seals `plain` for the owner named `bound_to`.
    pub fn seal(&self, plain: &str, bound_to: &str) -> Result<String, SecretError> {
        let mut nonce = [0u8; NONCE_LEN];
        self.rng.fill(&mut nonce).map_err(|_| SecretError::Random)?;
        let mut data = plain.as_bytes().to_vec();
        self.key
            .seal_in_place_append_tag(
                Nonce::assume_unique_for_key(nonce),
                Aad::from(bound_to.as_bytes()),
                &mut data,
            )
            .map_err(|_| SecretError::Open)?;
        let mut out = nonce.to_vec();
        out.extend_from_slice(&data);
        Ok(format!("{PREFIX}{}", STANDARD_NO_PAD.encode(out)))
    }

    /// Opens a value sealed for `bound_to`.
    pub fn open(&self, sealed: &str, bound_to: &str) -> Result<String, SecretError> {
        let raw = sealed
            .strip_prefix(PREFIX)
            .and_then(|b| STANDARD_NO_PAD.decode(b).ok())
            .filter(|r| r.len() >= NONCE_LEN)
            .ok_or(SecretError::Open)?;
        let (nonce, rest) = raw.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| SecretError::Open)?;
        let mut data = rest.to_vec();
        let plain = self
            .key
            .open_in_place(nonce, Aad::from(bound_to.as_bytes()), &mut data)
            .map_err(|_| SecretError::Open)?;
        String::from_utf8(plain.to_vec()).map_err(|_| SecretError::Open)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_bound_to_owner_and_key_persists() {
        let dir = tempfile::tempdir().unwrap();
        let sb = SecretBox::load_or_create(dir.path()).unwrap();
        let sealed = sb.seal("hunter2", "x3000c0s1b0").unwrap();
        assert!(!sealed.contains("hunter2"));
        assert_ne!(
            sealed,
            sb.seal("hunter2", "x3000c0s1b0").unwrap(),
            "nonce is fresh"
        );
        assert_eq!(sb.open(&sealed, "x3000c0s1b0").unwrap(), "hunter2");
        assert!(matches!(
            sb.open(&sealed, "x3000c0s2b0"),
            Err(SecretError::Open)
        ));
        assert!(matches!(sb.open("v1:AAAA", "x"), Err(SecretError::Open)));

        let again = SecretBox::load_or_create(dir.path()).unwrap();
        assert_eq!(again.open(&sealed, "x3000c0s1b0").unwrap(), "hunter2");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(KEY_FILE))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn a_damaged_key_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(KEY_FILE), b"short").unwrap();
        let err = SecretBox::load_or_create(dir.path()).unwrap_err();
        assert!(err.to_string().contains("not a 32-byte key"), "{err}");
    }
}
