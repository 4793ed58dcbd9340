//! The vault end to end: no credential is readable on disk, and `agentkit keys rotate` re-seals
//! every record under a new key while the gateway keeps serving.

use std::process::Command;

use agentkit_core::dispatch::{dispatch, Operation};
use serde_json::json;

mod common;
use common::Gateway;

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
    assert!(printed.contains("re-sealed 1 credential"), "{printed}");
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
