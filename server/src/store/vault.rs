//! The credential vault: every stored secret is sealed with XChaCha20-Poly1305 (RustCrypto's
//! audited `chacha20poly1305`), bound to its record by associated data, and tagged with the id of
//! the key that sealed it so keys can rotate while old records stay readable.
//!
//! Keys come from `AGENTKIT_VAULT_KEYS` (`kid:base64key,...`, the first is active) or from the key
//! file (`server.vault_key_file`, default `<data_dir>/vault.keys`; one `kid base64key` per line,
//! the last is active), generated on first start. A sealed value reads `v1.<kid>.<base64(nonce ‖ ciphertext)>`.
//! An old key leaves the file (`agentkit keys retire`) only once nothing is sealed with it.

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
    /// The key file as it was when these keys were read (`None` for keys from the environment).
    stamp: Option<FileStamp>,
}

/// Tells one version of the key file from the next: every write replaces the file by a rename
/// (a new inode), and a changed length or modification time gives away any other edit.
#[derive(Debug, Clone, PartialEq, Eq)]
struct FileStamp {
    inode: u64,
    len: u64,
    modified: Option<std::time::SystemTime>,
}

impl FileStamp {
    fn of(path: &Path) -> std::io::Result<FileStamp> {
        let meta = std::fs::metadata(path)?;
        #[cfg(unix)]
        let inode = std::os::unix::fs::MetadataExt::ino(&meta);
        #[cfg(not(unix))]
        let inode = 0;
        Ok(FileStamp { inode, len: meta.len(), modified: meta.modified().ok() })
    }
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
    // Stamped before reading: a write in between makes the stamp stale, never the keys.
    let stamp = FileStamp::of(path).ok();
    let text =
        std::fs::read_to_string(path).map_err(|e| vault_error(format!("cannot read {}: {e}", path.display())))?;
    let mut ring = parse_key_file(&text, path)?;
    ring.stamp = stamp;
    Ok(ring)
}

/// The key id of a key file line, `None` for blank and comment lines.
fn key_line_kid(line: &str) -> Option<&str> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    Some(line.split_once(' ').map_or(line, |(kid, _)| kid))
}

fn parse_key_file(text: &str, path: &Path) -> Result<KeyRing> {
    let mut keys = HashMap::new();
    let mut active = None;
    for (n, line) in text.lines().enumerate().filter(|(_, l)| key_line_kid(l).is_some()) {
        let origin = format!("{}:{}", path.display(), n + 1);
        let (kid, b64) = line
            .trim()
            .split_once(' ')
            .ok_or_else(|| Error::invalid_field("vault.keys", format!("{origin}: expected `kid base64key`")))?;
        keys.insert(kid.to_string(), parse_key(kid, b64, &origin)?);
        active = Some(kid.to_string());
    }
    let active = active.ok_or_else(|| vault_error(format!("{} holds no key", path.display())))?;
    Ok(KeyRing { active, keys, stamp: None })
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
            return Ok(Vault { ring: RwLock::new(KeyRing { active, keys, stamp: None }), key_file: None });
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
        Vault { ring: RwLock::new(KeyRing { active, keys: keys.into_iter().collect(), stamp: None }), key_file: None }
    }

    pub fn active_kid(&self) -> String {
        self.ring.read().unwrap_or_else(|p| p.into_inner()).active.clone()
    }

    /// Seals `plaintext`, bound to `record` (the owning row's id) as associated data, with the
    /// key file's active key: a file changed since it was read (a rotation by `agentkit keys
    /// rotate` in another process) is read again first, so nothing is sealed with a key the
    /// rotation already left behind — and then re-sealed too late, or retired under a record.
    pub fn seal(&self, plaintext: &[u8], record: &str) -> Result<String> {
        self.reload_if_changed();
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

    /// [`Vault::reload`] when the key file is no longer the one the keys were read from. A file
    /// that cannot be looked at or read keeps the current keys (logged): sealing goes on with
    /// them rather than failing every write.
    fn reload_if_changed(&self) {
        let Some(path) = &self.key_file else { return };
        let now = FileStamp::of(path).ok();
        if now.is_some() && now == self.ring.read().unwrap_or_else(|p| p.into_inner()).stamp {
            return;
        }
        if let Err(e) = self.reload() {
            tracing::warn!(path = %path.display(), error = %e.message(), "rereading the vault key file failed; the current keys stay");
        }
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

    /// The ids of the keys this vault holds, sorted.
    pub fn kids(&self) -> Vec<String> {
        let mut kids: Vec<String> = self.ring.read().unwrap_or_else(|p| p.into_inner()).keys.keys().cloned().collect();
        kids.sort();
        kids
    }

    /// Whether `kid` may be removed from the key file as it is now: it must come from a key file
    /// (not the environment), be in it, and not be its active key (everything new is sealed with
    /// that one). Whether values are still sealed with it is the caller's check.
    pub fn check_removable(&self, kid: &str) -> Result<()> {
        self.removable(kid).map(|_| ())
    }

    /// [`Vault::check_removable`]; the key file's path and text when it passes.
    fn removable(&self, kid: &str) -> Result<(&Path, String)> {
        let path = self.key_file.as_deref().ok_or_else(|| {
            Error::invalid_field(
                KEYS_ENV,
                format!(
                    "keys come from {KEYS_ENV}: remove {kid:?} from that variable instead, then restart the gateways"
                ),
            )
        })?;
        let text =
            std::fs::read_to_string(path).map_err(|e| vault_error(format!("cannot read {}: {e}", path.display())))?;
        // Checked against the file as it is now, not as this vault last read it.
        let ring = parse_key_file(&text, path)?;
        if !ring.keys.contains_key(kid) {
            return Err(Error::not_found(format!("{} holds no vault key {kid:?}", path.display())));
        }
        if ring.active == kid {
            return Err(Error::failed_precondition(format!(
                "vault key {kid:?} is the active key (the last one in {}); run `agentkit keys rotate` to make a new \
                 key active first",
                path.display()
            )));
        }
        Ok((path, text))
    }

    /// Removes `kid` from the key file (retiring a key nothing is sealed with any more; the
    /// caller checks that), rewriting the file whole like [`Vault::add_key`], then rereads it.
    /// Refuses what [`Vault::check_removable`] refuses.
    pub fn remove_key(&self, kid: &str) -> Result<()> {
        let (path, text) = self.removable(kid)?;
        let kept: String =
            text.lines().filter(|line| key_line_kid(line) != Some(kid)).flat_map(|line| [line, "\n"]).collect();
        crate::private_files::write_private_file(path, kept.as_bytes())
            .map_err(|e| vault_error(format!("cannot write {}: {e}", path.display())))?;
        self.reload()
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

    #[test]
    fn a_rotation_in_another_process_is_sealed_with_at_once() {
        let dir = std::env::temp_dir().join(format!("vault-test-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let serving = Vault::open(&dir.join("vault.keys")).unwrap();
        let old = serving.active_kid();
        // `agentkit keys rotate`, another process: the serving vault has not opened anything
        // sealed with the new key yet.
        let new = Vault::open(&dir.join("vault.keys")).unwrap().add_key().unwrap();
        let sealed = serving.seal(b"written after the rotation", "r").unwrap();
        assert_eq!(Vault::kid_of(&sealed), Some(new.as_str()), "not sealed with the old key {old}");
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn removing_a_key_keeps_the_others_and_refuses_the_active_one() {
        let dir = std::env::temp_dir().join(format!("vault-test-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("vault.keys");
        let v = Vault::open(&path).unwrap();
        let old = v.active_kid();
        let old_record = v.seal(b"one", "r").unwrap();
        std::fs::write(&path, format!("# kept comment\n{}", std::fs::read_to_string(&path).unwrap())).unwrap();
        let middle = v.add_key().unwrap();
        let active = v.add_key().unwrap();
        let before = std::fs::read_to_string(&path).unwrap();

        let refused = v.remove_key(&active).unwrap_err();
        assert_eq!(refused.kind(), ErrorKind::FailedPrecondition, "{}", refused.message());
        assert_eq!(v.remove_key("kmissing").unwrap_err().kind(), ErrorKind::NotFound);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), before, "a refusal leaves the file alone");

        v.remove_key(&old).unwrap();
        let after = std::fs::read_to_string(&path).unwrap();
        assert!(after.starts_with("# kept comment\n") && !after.contains(&old), "{after}");
        assert_eq!(v.kids(), {
            let mut k = vec![middle.clone(), active.clone()];
            k.sort();
            k
        });
        assert_eq!(v.active_kid(), active);
        assert!(v.open_sealed(&old_record, "r").is_err(), "the retired key is gone from memory too");
        let reopened = Vault::open(&path).unwrap();
        assert_eq!(reopened.active_kid(), active);
        assert_eq!(reopened.kids().len(), 2);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        }

        let from_env = Vault::with_keys(vec![("a".into(), [7u8; 32]), ("b".into(), [8u8; 32])]);
        assert!(from_env.remove_key("b").unwrap_err().message().contains(KEYS_ENV));
        std::fs::remove_dir_all(dir).unwrap();
    }
}
