//! The vault end to end: no credential is readable on disk, `agentkit keys rotate` re-seals
//! every sealed column under a new key while the gateway keeps serving, and `agentkit keys
//! retire` removes an old key only once nothing is sealed with it.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use agentkit_core::dispatch::{dispatch, Operation};
use serde_json::{json, Value};
use sqlx::Row;

mod common;
use common::Gateway;

/// Runs `agentkit keys <args> --data-dir <data_dir>` with keys from the key file.
fn keys(args: &[&str], data_dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_agentkit"))
        .arg("keys")
        .args(args)
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("AGENTKIT_VAULT_KEYS")
        .env_remove("AGENTKIT_DATABASE_URL")
        .output()
        .unwrap()
}

/// For every text column of every table in the gateway's SQLite file, how many values are sealed
/// with each key id (`v1.<kid>.…`). Read from the file, not through the gateway and not from the
/// gateway's list of sealed columns, so a column the rotation forgot shows up here too.
async fn sealed_values_by_kid(data_dir: &Path) -> BTreeMap<String, BTreeMap<String, i64>> {
    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", data_dir.join("agentkit.db").display())).await.unwrap();
    let tables: Vec<String> = sqlx::query(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_sqlx_migrations'",
    )
    .fetch_all(&db)
    .await
    .unwrap()
    .iter()
    .map(|r| r.get("name"))
    .collect();
    let mut found: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
    for table in tables {
        // Names read from the database's own catalog, quoted.
        let columns: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA table_info(\"{table}\")")))
            .fetch_all(&db)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get("name"))
            .collect();
        for column in columns {
            let values: Vec<String> = sqlx::query(sqlx::AssertSqlSafe(format!(
                "SELECT \"{column}\" AS v FROM \"{table}\" WHERE typeof(\"{column}\") = 'text' AND \"{column}\" LIKE 'v1.%'"
            )))
            .fetch_all(&db)
            .await
            .unwrap()
            .iter()
            .map(|r| r.get("v"))
            .collect();
            for value in values {
                let kid = value.split('.').nth(1).unwrap_or_default().to_string();
                *found.entry(format!("{table}.{column}")).or_default().entry(kid).or_default() += 1;
            }
        }
    }
    db.close().await;
    found
}

/// The columns holding a value sealed with `kid`, with how many.
fn columns_using(found: &BTreeMap<String, BTreeMap<String, i64>>, kid: &str) -> BTreeMap<String, i64> {
    found.iter().filter_map(|(column, kids)| kids.get(kid).map(|n| (column.clone(), *n))).collect()
}

/// The first key id of the key file (the key `agentkit dev` generated).
fn first_kid(data_dir: &Path) -> String {
    std::fs::read_to_string(data_dir.join("vault.keys")).unwrap().split(' ').next().unwrap().to_string()
}

/// A call to the gateway's REST API as its dev client; the status and the JSON answer.
async fn api(gateway: &Gateway, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .request(method, format!("{}{path}", gateway.env["SCALEKIT_ENV_URL"]))
        .bearer_auth(gateway.api_token().await);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let answer = request.send().await.unwrap();
    (answer.status().as_u16(), answer.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn credentials_are_sealed_at_rest_and_rotate_online() {
    let gateway = Gateway::start();
    let actions = gateway.actions();
    let token = gateway.sandbox_token("vault-user").await;
    let refresh = "1//refresh-CANARY-never-on-disk";
    dispatch(
        &actions,
        Operation::CreateConnectedAccount,
        json!({"connection_name": "gmail", "identifier": "vault-user",
               "authorization_details": {"oauth_token": {"access_token": token, "refresh_token": refresh}}}),
    )
    .await
    .unwrap();

    let disk = gateway.disk_contents();
    assert!(disk.contains("vault-user"), "the database was read (sanity check)");
    assert!(!disk.contains(&token), "access token readable on disk");
    assert!(!disk.contains(refresh), "refresh token readable on disk");
    let old_kid =
        std::fs::read_to_string(gateway.data_dir.join("vault.keys")).unwrap().split(' ').next().unwrap().to_string();
    assert!(disk.contains(&format!("v1.{old_kid}.")), "records carry their key id");

    let out = Command::new(env!("CARGO_BIN_EXE_agentkit"))
        .args(["keys", "rotate", "--data-dir"])
        .arg(&gateway.data_dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(printed.contains("re-sealed 1 value"), "{printed}");
    let new_kid = printed.split_whitespace().nth(3).unwrap().trim_end_matches(';').to_string();
    assert_ne!(new_kid, old_kid);

    // The running gateway reads the re-sealed record (it loads the new key on first sight)...
    let read = dispatch(
        &actions,
        Operation::GetConnectedAccount,
        json!({"connection_name": "gmail", "identifier": "vault-user"}),
    )
    .await
    .unwrap();
    assert_eq!(read["connected_account"]["authorization_details"]["oauth_token"]["access_token"], json!(token));
    let run = dispatch(
        &actions,
        Operation::ExecuteTool,
        json!({"tool_name": "gmail_list_labels", "identifier": "vault-user", "tool_input": {}}),
    )
    .await
    .unwrap();
    assert_eq!(run["data"]["labels"].as_array().unwrap().len(), 10);
    // ...and the database holds only records under the new key.
    let disk = gateway.disk_contents();
    assert!(disk.contains(&format!("v1.{new_kid}.")));
    assert!(!disk.contains(&token) && !disk.contains(refresh));
}

/// Issue 22: a rotation re-sealed only connected accounts' credentials; webhook secrets, MCP
/// instance keys and authorization requests' PKCE verifiers and held tokens stayed on the old
/// key, so removing it broke the gateway. Now every sealed column moves to the new key (checked
/// by scanning every text column of the database), the old key can be retired, and a gateway
/// restarted with the remaining key reads everything back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotation_reseals_every_sealed_column_and_the_old_key_retires() {
    let gateway = Gateway::start();
    let actions = gateway.actions();
    let token = gateway.sandbox_token("rotate-user").await;
    dispatch(
        &actions,
        Operation::CreateConnectedAccount,
        json!({"connection_name": "gmail", "identifier": "rotate-user",
               "authorization_details": {"oauth_token": {"access_token": token}}}),
    )
    .await
    .unwrap();
    let hook = json!({"url": "http://127.0.0.1:9/hook", "events": []});
    let (status, endpoint) =
        api(&gateway, reqwest::Method::POST, "/api/v1/webhook_endpoints", Some(hook.clone())).await;
    assert_eq!(status, 201, "{endpoint}");
    let mapping = json!({"name": "keys", "connection_tool_mappings": [{"connection_name": "gmail", "tools": []}]});
    let (status, config) = api(&gateway, reqwest::Method::POST, "/api/v1/mcp/configs", Some(mapping)).await;
    assert_eq!(status, 201, "{config}");
    let instance = json!({"config_name": "keys", "user_identifier": "rotate-user"});
    let (status, instance) = api(&gateway, reqwest::Method::POST, "/api/v1/mcp/instances", Some(instance)).await;
    assert_eq!(status, 200, "{instance}");
    // The secret part of the instance URL (the port changes with a restart).
    let url_key = |url: &Value| url.as_str().unwrap().rsplit('/').next().unwrap().to_string();
    let instance_key = url_key(&instance["instance"]["url"]);
    // An authorization whose tokens are held until the app verifies the user: a PKCE verifier and
    // held tokens, both sealed with the request's id.
    let verify_url = format!("{}/app/verify", gateway.env["SCALEKIT_ENV_URL"]);
    let link = common::authorization_link(&actions, "gmail", "held-user", json!({"user_verify_url": verify_url})).await;
    let held = common::browser().get(&link).send().await.unwrap();
    assert!(held.status().is_redirection(), "{}", held.status());
    let location = url::Url::parse(held.headers()["location"].to_str().unwrap()).unwrap();
    let auth_request_id = location.query_pairs().find(|(k, _)| k == "auth_request_id").unwrap().1.into_owned();

    let old_kid = first_kid(&gateway.data_dir);
    let before = columns_using(&sealed_values_by_kid(&gateway.data_dir).await, &old_kid);
    for column in [
        "connected_accounts.credentials",
        "webhook_endpoints.secret",
        "mcp_instances.url_key_sealed",
        "auth_requests.pkce_verifier",
        "auth_requests.pending_credentials",
    ] {
        assert!(before.contains_key(column), "the scenario seals a value in {column} (sanity check): {before:?}");
    }

    let rotated = keys(&["rotate"], &gateway.data_dir);
    let printed = String::from_utf8_lossy(&rotated.stdout).to_string();
    assert!(rotated.status.success(), "{printed}{}", String::from_utf8_lossy(&rotated.stderr));
    let new_kid = printed.split_whitespace().nth(3).unwrap().trim_end_matches(';').to_string();
    assert_ne!(new_kid, old_kid);
    // The running gateway seals what it writes next with the new key, without first having to
    // read a value sealed with it.
    let (status, second) = api(&gateway, reqwest::Method::POST, "/api/v1/webhook_endpoints", Some(hook)).await;
    assert_eq!(status, 201, "{second}");
    let after = sealed_values_by_kid(&gateway.data_dir).await;
    assert_eq!(columns_using(&after, &old_kid), BTreeMap::new(), "values still sealed with the old key {old_kid}");
    assert_eq!(columns_using(&after, &new_kid)["webhook_endpoints.secret"], 2);
    for line in
        ["webhook_endpoints.secret: 1", "mcp_instances.url_key_sealed: 1", "auth_requests.pending_credentials: 1"]
    {
        assert!(printed.contains(line), "the rotation reports {line:?}: {printed}");
    }

    let retired = keys(&["retire", &old_kid], &gateway.data_dir);
    let said = format!("{}{}", String::from_utf8_lossy(&retired.stdout), String::from_utf8_lossy(&retired.stderr));
    assert!(retired.status.success(), "{said}");
    let key_file = std::fs::read_to_string(gateway.data_dir.join("vault.keys")).unwrap();
    assert!(!key_file.contains(&old_kid), "the retired key left the key file: {key_file}");
    assert!(key_file.contains(&new_kid));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(gateway.data_dir.join("vault.keys")).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "the rewritten key file stays private");
    }

    // A gateway started on the data dir knows only the new key and reads every sealed column.
    let gateway = gateway.stop_and_restart();
    let actions = gateway.actions();
    let read = dispatch(
        &actions,
        Operation::GetConnectedAccount,
        json!({"connection_name": "gmail", "identifier": "rotate-user"}),
    )
    .await
    .unwrap();
    assert_eq!(read["connected_account"]["authorization_details"]["oauth_token"]["access_token"], json!(token));
    let (status, endpoints) = api(&gateway, reqwest::Method::GET, "/api/v1/webhook_endpoints", None).await;
    assert_eq!(status, 200, "webhook secrets open: {endpoints}");
    assert!(endpoints.to_string().contains(endpoint["id"].as_str().unwrap()), "{endpoints}");
    let (status, instances) = api(&gateway, reqwest::Method::GET, "/api/v1/mcp/instances", None).await;
    assert_eq!(status, 200, "MCP instance keys open: {instances}");
    assert_eq!(url_key(&instances["instances"][0]["url"]), instance_key);
    let verified = dispatch(
        &actions,
        Operation::VerifyConnectedAccountUser,
        json!({"auth_request_id": auth_request_id, "identifier": "held-user"}),
    )
    .await
    .unwrap();
    assert!(verified["post_user_verify_redirect_url"].is_string(), "held tokens open: {verified}");
    assert_eq!(common::account_status(&actions, "gmail", "held-user").await, "ACTIVE");

    let db = sqlx::SqlitePool::connect(&format!("sqlite://{}", gateway.data_dir.join("agentkit.db").display()))
        .await
        .unwrap();
    let audited: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM audit_events WHERE action = 'vault.key_retired' AND actor = 'cli' AND target = $1",
    )
    .bind(&old_kid)
    .fetch_one(&db)
    .await
    .unwrap();
    assert_eq!(audited, 1, "the retirement is on the audit trail");
    db.close().await;
}

/// `agentkit keys retire` removes nothing a record still needs: a key still sealing values is
/// refused (naming the columns and the command to run first), so is the active key, a key the
/// file does not hold, and keys from `AGENTKIT_VAULT_KEYS`; the key file stays byte for byte.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_in_use_or_active_is_not_retired() {
    use base64::Engine;
    let gateway = Gateway::start();
    gateway.active_account("in-use-user").await;
    let old_kid = first_kid(&gateway.data_dir);
    let key_path = gateway.data_dir.join("vault.keys");
    // A second key made active by hand (or a rotation stopped before it re-sealed anything).
    let mut text = std::fs::read_to_string(&key_path).unwrap();
    text.push_str(&format!("knewer {}\n", base64::engine::general_purpose::STANDARD.encode([7u8; 32])));
    std::fs::write(&key_path, &text).unwrap();

    let in_use = keys(&["retire", &old_kid], &gateway.data_dir);
    let said = String::from_utf8_lossy(&in_use.stderr).to_string();
    assert!(!in_use.status.success(), "a key in use was retired: {said}");
    assert!(said.contains(&old_kid), "names the key: {said}");
    assert!(said.contains("connected_accounts.credentials: 1"), "names the columns still using it: {said}");
    assert!(said.contains("keys rotate"), "says what to run first: {said}");
    assert_eq!(std::fs::read_to_string(&key_path).unwrap(), text, "the key file is unchanged");

    let active = keys(&["retire", "knewer"], &gateway.data_dir);
    let said = String::from_utf8_lossy(&active.stderr).to_string();
    assert!(!active.status.success(), "the active key was retired: {said}");
    assert!(said.contains("knewer") && said.contains("active"), "{said}");
    assert_eq!(std::fs::read_to_string(&key_path).unwrap(), text, "the key file is unchanged");

    let unknown = keys(&["retire", "knowhere"], &gateway.data_dir);
    let said = String::from_utf8_lossy(&unknown.stderr).to_string();
    assert!(!unknown.status.success(), "{said}");
    assert!(said.contains("knowhere"), "{said}");

    let from_env = Command::new(env!("CARGO_BIN_EXE_agentkit"))
        .args(["keys", "retire", &old_kid, "--data-dir"])
        .arg(&gateway.data_dir)
        .env("AGENTKIT_VAULT_KEYS", format!("knewer:{}", base64::engine::general_purpose::STANDARD.encode([7u8; 32])))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&from_env.stderr).to_string();
    assert!(!from_env.status.success(), "{said}");
    assert!(said.contains("AGENTKIT_VAULT_KEYS"), "says to edit the variable instead: {said}");
    assert_eq!(std::fs::read_to_string(&key_path).unwrap(), text, "the key file is unchanged");
}
