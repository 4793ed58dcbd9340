//! Vault key rotation and retirement, the use cases behind `agentkit keys rotate|retire`: each
//! takes the store and the vault it seals with, nothing else, and records its audit row.

use agentkit_core::{Error, Result};

use crate::store::sealed::SealedColumn;
use crate::store::vault::Vault;
use crate::store::Store;

/// Stored values per sealed column.
pub type ColumnCounts = Vec<(&'static SealedColumn, u64)>;

/// What a rotation did: the key everything is sealed with now, and how many values it re-sealed.
pub struct Rotated {
    pub active_key: String,
    pub resealed: ColumnCounts,
}

/// Adds a new active key to the key file (or, with keys from [`crate::store::vault::KEYS_ENV`], the first
/// one listed there) and re-seals every stored value with it. `keys_from_env` says which.
pub async fn rotate(store: &Store, vault: &Vault, keys_from_env: bool) -> Result<Rotated> {
    let active_key = if keys_from_env { vault.active_kid() } else { vault.add_key()? };
    // Replicas sharing the key file switch to the new key first, so nothing sealed with the old
    // one slips in behind the re-sealing.
    store.vault_keys_rotated().await;
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let resealed = store.reseal_all().await?;
    let per_column: serde_json::Map<String, serde_json::Value> =
        resealed.iter().map(|(column, n)| (column.name(), (*n).into())).collect();
    let details = serde_json::json!({"active_key": active_key, "resealed": per_column});
    crate::audit::append(store, "cli".into(), "vault.key_rotated", &active_key, "success", details).await;
    Ok(Rotated { active_key, resealed })
}

/// Removes key `kid` from the key file, refused while any stored value is still sealed with it.
/// Gives the keys left.
pub async fn retire(store: &Store, vault: &Vault, kid: &str) -> Result<Vec<String>> {
    vault.check_removable(kid)?;
    let in_use: ColumnCounts = store.count_sealed_with(kid).await?.into_iter().filter(|(_, n)| *n > 0).collect();
    if !in_use.is_empty() {
        let total: u64 = in_use.iter().map(|(_, n)| n).sum();
        let columns: String = in_use.iter().map(|(column, n)| format!("\n  {}: {n}", column.name())).collect();
        return Err(Error::failed_precondition(format!(
            "vault key {kid:?} still seals {total} stored value(s); run `agentkit keys rotate` first \
             (it re-seals them with the active key), then retire it again:{columns}"
        )));
    }
    vault.remove_key(kid)?;
    // Replicas sharing the key file reread it and forget the key.
    store.vault_keys_rotated().await;
    let details = serde_json::json!({"active_key": vault.active_kid(), "remaining_keys": vault.kids()});
    crate::audit::append(store, "cli".into(), "vault.key_retired", kid, "success", details).await;
    Ok(vault.kids())
}
