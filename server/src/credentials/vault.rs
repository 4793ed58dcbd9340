//! The credential vault: every stored secret is sealed with XChaCha20-Poly1305 (RustCrypto's
//! audited `chacha20poly1305`), bound to its record by associated data, and tagged with the id of
//! the key that sealed it so keys can rotate while old records stay readable.
//!
//! Keys come from `AGENTKIT_VAULT_KEYS` (`kid:base64key,...`, the first is active) or from the key
//! file (`server.vault_key_file`, default `<data_dir>/vault.keys`; one `kid base64key` per line,
//! the last is active), generated on first start. A sealed value reads `v1.<kid>.<base64(nonce ‖ ciphertext)>`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::RwLock;

use base64::engine::general_purpose::{STANDARD as B64, URL_SAFE_NO_PAD as B64URL};
use base64::Engine;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

use agentkit_core::{Error, ErrorKind, Result};

const KEY_LEN: usize = 32;
const NONCE_LEN: usize = 24;
pub const KEYS_ENV: &str = "AGENTKIT_VAULT_KEYS";

struct KeyRing {
    active: String,
    keys: HashMap<String, [u8; KEY_LEN]>,
}

/// Seals and opens secrets; cheap to share behind an `Arc`.
pub struct Vault {
    ring: RwLock<KeyRing>,
    key_file: Option<PathBuf>,
}

fn vault_error(msg: impl Into<String>) -> Error {
    Error::new(ErrorKind::Server, msg)
}

fn parse_key(kid: &str, b64: &str, origin: &str) -> Result<[u8; KEY_LEN]> {
    let bytes = B64
        .decode(b64.trim())
        .map_err(|_| Error::invalid_field(origin, format!("{origin}: key {kid:?} is not base64")))?;
    bytes.try_into().map_err(|_| Error::invalid_field(origin, format!("{origin}: key {kid:?} must be {KEY_LEN} bytes")))
}

fn new_key() -> (String, [u8; KEY_LEN]) {
    let key: [u8; KEY_LEN] = rand::random();
    let kid = format!("k{}", &uuid::Uuid::new_v4().simple().to_string()[..10]);
    (kid, key)
}

fn read_key_file(path: &Path) -> Result<KeyRing> {
    let text =
        std::fs::read_to_string(path).map_err(|e| vault_error(format!("cannot read {}: {e}", path.display())))?;
    let mut keys = HashMap::new();
    let mut active = None;
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
    {
        let origin = format!("{}:{}", path.display(), n + 1);
        let (kid, b64) = line
            .trim()
            .split_once(' ')
            .ok_or_else(|| Error::invalid_field("vault.keys", format!("{origin}: expected `kid base64key`")))?;
        keys.insert(kid.to_string(), parse_key(kid, b64, &origin)?);
        active = Some(kid.to_string());
    }
    let active = active.ok_or_else(|| vault_error(format!("{} holds no key", path.display())))?;
    Ok(KeyRing { active, keys })
}

/// Adds `kid key` as the last (active) line of the key file, rewriting it whole (see
/// [`crate::private_files::write_private_file`]): a fault mid-write leaves the old file, never a
/// torn or empty one.
fn write_key_line(path: &Path, kid: &str, key: &[u8; KEY_LEN]) -> Result<()> {
    let mut text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(vault_error(format!("cannot read {}: {e}", path.display()))),
    };
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&format!("{kid} {}\n", B64.encode(key)));
    crate::private_files::write_private_file(path, text.as_bytes())
        .map_err(|e| vault_error(format!("cannot write {}: {e}", path.display())))
}

impl Vault {
    /// Keys from the environment, else from (or newly generated into) `key_file`.
    pub fn open(key_file: &Path) -> Result<Vault> {
        if let Ok(spec) = std::env::var(KEYS_ENV) {
            let mut keys = HashMap::new();
            let mut order = Vec::new();
            for part in spec.split(',').filter(|p| !p.trim().is_empty()) {
                let (kid, b64) = part
                    .trim()
                    .split_once(':')
                    .ok_or_else(|| Error::invalid_field(KEYS_ENV, format!("{KEYS_ENV}: expected kid:base64key")))?;
                keys.insert(kid.to_string(), parse_key(kid, b64, KEYS_ENV)?);
                order.push(kid.to_string());
            }
            let active = order
                .first()
                .cloned()
                .ok_or_else(|| Error::invalid_field(KEYS_ENV, format!("{KEYS_ENV} holds no key")))?;
            return Ok(Vault { ring: RwLock::new(KeyRing { active, keys }), key_file: None });
        }
        let path = key_file.to_path_buf();
        if !path.exists() {
            let (kid, key) = new_key();
            write_key_line(&path, &kid, &key)?;
        }
        Ok(Vault { ring: RwLock::new(read_key_file(&path)?), key_file: Some(path) })
    }

    /// A vault over explicit keys (tests, tooling); the first key is active.
    pub fn with_keys(keys: Vec<(String, [u8; KEY_LEN])>) -> Vault {
        let active = keys[0].0.clone();
        Vault { ring: RwLock::new(KeyRing { active, keys: keys.into_iter().collect() }), key_file: None }
    }

    pub fn active_kid(&self) -> String {
        self.ring.read().unwrap_or_else(|p| p.into_inner()).active.clone()
    }

    /// Seals `plaintext`, bound to `record` (the owning row's id) as associated data.
    pub fn seal(&self, plaintext: &[u8], record: &str) -> Result<String> {
        let ring = self.ring.read().unwrap_or_else(|p| p.into_inner());
        let key = ring.keys.get(&ring.active).ok_or_else(|| vault_error("active vault key missing"))?;
        let nonce_bytes: [u8; NONCE_LEN] = rand::random();
        let cipher = XChaCha20Poly1305::new(key.into());
        let sealed = cipher
            .encrypt(XNonce::from_slice(&nonce_bytes), Payload { msg: plaintext, aad: record.as_bytes() })
            .map_err(|_| vault_error("sealing failed"))?;
        let mut blob = nonce_bytes.to_vec();
        blob.extend_from_slice(&sealed);
        Ok(format!("v1.{}.{}", ring.active, B64URL.encode(blob)))
    }

    /// Opens a sealed value of `record`. An unknown key id reloads the key file once, so a
    /// rotation done by `agentkit keys rotate` is picked up without a restart.
    pub fn open_sealed(&self, sealed: &str, record: &str) -> Result<Vec<u8>> {
        let mut parts = sealed.splitn(3, '.');
        let (Some("v1"), Some(kid), Some(body)) = (parts.next(), parts.next(), parts.next()) else {
            return Err(vault_error("stored secret has an unknown format"));
        };
        if !self.ring.read().unwrap_or_else(|p| p.into_inner()).keys.contains_key(kid) {
            self.reload()?;
        }
        let ring = self.ring.read().unwrap_or_else(|p| p.into_inner());
        let key = ring.keys.get(kid).ok_or_else(|| vault_error(format!("vault key {kid:?} is not available")))?;
        let blob = B64URL.decode(body).map_err(|_| vault_error("stored secret is corrupt"))?;
        if blob.len() < NONCE_LEN {
            return Err(vault_error("stored secret is corrupt"));
        }
        let (nonce, ciphertext) = blob.split_at(NONCE_LEN);
        XChaCha20Poly1305::new(key.into())
            .decrypt(XNonce::from_slice(nonce), Payload { msg: ciphertext, aad: record.as_bytes() })
            .map_err(|_| vault_error("stored secret failed authentication (wrong key or tampered record)"))
    }

    /// The key id a sealed value was sealed with.
    pub fn kid_of(sealed: &str) -> Option<&str> {
        sealed.strip_prefix("v1.").and_then(|rest| rest.split('.').next())
    }

    /// Reads the key file again (a rotation elsewhere added a key and made it active); keys from
    /// the environment stay as they are.
    pub fn reload(&self) -> Result<()> {
        if let Some(path) = &self.key_file {
            let fresh = read_key_file(path)?;
            *self.ring.write().unwrap_or_else(|p| p.into_inner()) = fresh;
        }
        Ok(())
    }

    /// Adds a new key to the key file and makes it active; returns its id.
    pub fn add_key(&self) -> Result<String> {
        let path = self.key_file.as_ref().ok_or_else(|| {
            Error::invalid_field(
                KEYS_ENV,
                format!("keys come from {KEYS_ENV}: put the new key first there, then run the rotation"),
            )
        })?;
        let (kid, key) = new_key();
        write_key_line(path, &kid, &key)?;
        self.reload()?;
        Ok(kid)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_open_and_binding() {
        let v = Vault::with_keys(vec![("a".into(), [7u8; 32])]);
        let sealed = v.seal(b"ya29.secret", "ca_1").unwrap();
        assert!(!sealed.contains("secret"));
        assert_eq!(v.open_sealed(&sealed, "ca_1").unwrap(), b"ya29.secret");
        assert!(v.open_sealed(&sealed, "ca_2").is_err(), "bound to its record");
        let other = Vault::with_keys(vec![("a".into(), [8u8; 32])]);
        assert!(other.open_sealed(&sealed, "ca_1").is_err(), "wrong key");
        assert_eq!(Vault::kid_of(&sealed), Some("a"));
    }

    #[test]
    fn key_file_rotation_keeps_old_records_readable() {
        let dir = std::env::temp_dir().join(format!("vault-test-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let v = Vault::open(&dir.join("vault.keys")).unwrap();
        let old = v.seal(b"one", "r").unwrap();
        let kid = v.add_key().unwrap();
        assert_eq!(v.active_kid(), kid);
        let new = v.seal(b"two", "r").unwrap();
        assert_eq!(Vault::kid_of(&new), Some(kid.as_str()));
        // A second process (another replica) that started before the rotation picks the key up.
        let reopened = Vault::open(&dir.join("vault.keys")).unwrap();
        assert_eq!(reopened.open_sealed(&old, "r").unwrap(), b"one");
        assert_eq!(reopened.open_sealed(&new, "r").unwrap(), b"two");
        std::fs::remove_dir_all(dir).unwrap();
    }
}
