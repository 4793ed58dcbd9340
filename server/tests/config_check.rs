//! The config file as an operator meets it (issue 23 §1): secrets named by `…_env` / `…_file`
//! instead of written inline, `agentkit config check` printing the effective configuration with
//! secrets redacted and every problem, and `serve` refusing what it cannot run.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::process::Command;

mod common;

fn temp_dir() -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("agentkit-config-check-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn config_check_prints_the_effective_configuration_without_secrets_and_names_problems() {
    let dir = temp_dir();
    std::fs::write(dir.join("oauth.secret"), "oauth-secret-from-a-file\n").unwrap();
    let file = dir.join("agentkit.toml");
    std::fs::write(
        &file,
        format!(
            "[server]\nlisten = \"0.0.0.0:8080\"\n[[api_clients]]\nclient_id = \"skc_app\"\nclient_secret_env = \"APP_SECRET\"\n\
             [[connections]]\nname = \"gmail\"\nconnector = \"gmail\"\nclient_id = \"app.apps.googleusercontent.com\"\n\
             client_secret_file = \"{}\"\n[[connections]]\nname = \"slack\"\nconnector = \"slack\"\n",
            dir.join("oauth.secret").display()
        ),
    )
    .unwrap();
    let checked = Command::new(env!("CARGO_BIN_EXE_agentkit"))
        .args(["config", "check"])
        .arg(&file)
        .env("APP_SECRET", "app-secret-from-the-environment")
        .output()
        .unwrap();
    let (out, err) = (String::from_utf8_lossy(&checked.stdout), String::from_utf8_lossy(&checked.stderr));
    assert!(checked.status.success(), "{out}\n{err}");
    assert!(!out.contains("app-secret-from-the-environment") && !out.contains("oauth-secret-from-a-file"), "{out}");
    assert!(out.contains("<redacted>") && out.contains("header_read_timeout_secs"), "defaults filled in: {out}");
    assert!(err.contains("warning: server.listen is 0.0.0.0:8080"), "{err}");
    assert!(err.contains("connection \"slack\" (slack) has no client_id or client_secret"), "{err}");

    // The variable missing: named, and the check fails.
    let missing = Command::new(env!("CARGO_BIN_EXE_agentkit"))
        .args(["config", "check"])
        .arg(&file)
        .env_remove("APP_SECRET")
        .output()
        .unwrap();
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("api_clients[0].client_secret_env"));

    // A digest that can match no secret is refused by the check and by serve alike.
    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[[api_clients]]\nclient_id = \"skc_app\"\nclient_secret_sha256 = \"not-a-digest\"\n")
        .unwrap();
    for args in [vec!["config", "check"], vec!["serve", "--config"]] {
        let refused = Command::new(env!("CARGO_BIN_EXE_agentkit")).args(&args).arg(&bad).output().unwrap();
        assert!(!refused.status.success(), "{args:?}");
        assert!(String::from_utf8_lossy(&refused.stderr).contains("64 hex digits"), "{args:?}");
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_signs_clients_in_with_a_secret_named_by_the_environment() {
    let client = "[[api_clients]]\nclient_id = \"skc_app\"\nclient_secret_env = \"APP_SECRET\"\n";
    let served = common::Served::start("", client, &[("APP_SECRET", "app-secret-from-the-environment")]).await;
    let answer = reqwest::Client::new()
        .post(format!("{}/oauth/token", served.base))
        .form(&[
            ("grant_type", "client_credentials"),
            ("client_id", "skc_app"),
            ("client_secret", "app-secret-from-the-environment"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200, "the client signs in with the secret the environment holds");
}
