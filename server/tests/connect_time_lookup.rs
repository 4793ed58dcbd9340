//! Account fields gathered while connecting, through the real authorization flow against the
//! sandbox authorization server: Jira's per-site cloud id from the connector's account lookup
//! (accessible-resources) so `…/ex/jira/{{api_config.cloud_id}}/…` reaches the user's own site;
//! Salesforce's `instance_url` and Slack's user token (`authed_user`) from the token answer.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::sync::{Arc, Mutex};

use agentkit_core::dispatch::{dispatch, Operation};
use agentkit_core::{Actions, ClientOptions, ScalekitClient};
use axum::http::{HeaderMap, Uri};
use serde_json::{json, Value};

/// Opens `user`'s authorization link on `connection` (the sandbox consents at once) and returns
/// the final page.
async fn consent(actions: &Actions, connection: &str, user: &str) -> reqwest::Response {
    let link =
        dispatch(actions, Operation::GetAuthorizationLink, json!({"connection_name": connection, "identifier": user}))
            .await
            .unwrap();
    reqwest::get(link["link"].as_str().unwrap()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_fields_are_gathered_while_connecting() {
    let (sandbox, _sandbox_task) = agentkit_sandbox::start("127.0.0.1:0".parse().unwrap()).await.unwrap();
    let sandbox = format!("http://{sandbox}");

    // The Jira REST stand-in records which site path and credential each call used.
    let seen: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    let record = seen.clone();
    let jira = axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
        let record = record.clone();
        async move {
            let auth = headers.get("authorization").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
            record.lock().unwrap().push((uri.path().to_string(), auth));
            axum::Json(json!({"id": "10001", "key": "PROJ-7", "fields": {"summary": "Fix login"}}))
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let jira_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, jira).await.unwrap() });

    let data_dir = std::env::temp_dir().join(format!("agentkit-jira-{}", uuid::Uuid::new_v4().simple()));
    let config = format!(
        r#"
[server]
listen = "127.0.0.1:0"
data_dir = "{data}"
[egress]
# test fixtures listen on loopback
allow = ["127.0.0.1"]
[[api_clients]]
client_id = "c"
client_secret = "s"
[[connections]]
name = "jira"
connector = "jira"
client_id = "{id}"
client_secret = "{secret}"
authorize_url = "{sandbox}/oauth2/authorize"
token_url = "{sandbox}/oauth2/token"
send_login_hint = true
account_lookup_url = "{sandbox}/oauth/token/accessible-resources"
base_url = "{jira_url}/ex/jira/{{{{api_config.cloud_id}}}}/rest/api/3"
[[connections]]
name = "salesforce"
connector = "salesforce"
client_id = "{id}"
client_secret = "{secret}"
authorize_url = "{sandbox}/oauth2/authorize"
token_url = "{sandbox}/oauth2/token"
send_login_hint = true
[[connections]]
name = "slack"
connector = "slack"
client_id = "{id}"
client_secret = "{secret}"
authorize_url = "{sandbox}/oauth2/authorize"
token_url = "{sandbox}/oauth2/token"
send_login_hint = true
base_url = "{jira_url}"
"#,
        data = data_dir.display(),
        id = agentkit_sandbox::SANDBOX_CLIENT_ID,
        secret = agentkit_sandbox::SANDBOX_CLIENT_SECRET,
    );
    let server = agentkit_server::start(agentkit_server::Config::parse(&config, "jira.toml").unwrap()).await.unwrap();
    let actions = Actions::new(ScalekitClient::new(&server.public_url, "c", "s", ClientOptions::default()).unwrap());

    for user in ["ada", "lin"] {
        let page = consent(&actions, "jira", user).await;
        assert_eq!(page.status(), 200, "{}", page.text().await.unwrap());

        let account =
            dispatch(&actions, Operation::GetConnectedAccount, json!({"connection_name": "jira", "identifier": user}))
                .await
                .unwrap();
        let account = &account["connected_account"];
        assert_eq!(account["status"], "ACTIVE");
        assert_eq!(account["api_config"]["cloud_id"], format!("cloud-{user}"));
        assert_eq!(account["api_config"]["site_url"], format!("https://{user}.atlassian.test"));

        let got: Value = dispatch(
            &actions,
            Operation::ExecuteTool,
            json!({"tool_name": "jira_issue_get", "identifier": user, "tool_input": {"issueIdOrKey": "PROJ-7"}}),
        )
        .await
        .unwrap();
        assert_eq!(got["data"]["key"], "PROJ-7");
        let (path, auth) = seen.lock().unwrap().pop().unwrap();
        assert_eq!(path, format!("/ex/jira/cloud-{user}/rest/api/3/issue/PROJ-7"), "each user reaches their own site");
        assert!(auth.starts_with("Bearer ya29.sandbox-"), "the user's token: {auth}");
    }

    // Salesforce's instance_url and Slack's user token arrive in the token answer itself.
    reqwest::Client::new()
        .post(format!("{sandbox}/sandbox/settings"))
        .json(&json!({"token_extras": {"instance_url": format!("{jira_url}/sf-org"),
                                       "authed_user": {"id": "U1", "access_token": "xoxp-sam"}}}))
        .send()
        .await
        .unwrap();
    for connection in ["salesforce", "slack"] {
        assert_eq!(consent(&actions, connection, "sam").await.status(), 200, "{connection}");
    }
    let account = dispatch(
        &actions,
        Operation::GetConnectedAccount,
        json!({"connection_name": "salesforce", "identifier": "sam"}),
    )
    .await
    .unwrap();
    assert_eq!(account["connected_account"]["api_config"]["instance_url"], format!("{jira_url}/sf-org"));
    let call = |connection: &str, tool: &str, input: Value| {
        let (actions, connection, tool) = (&actions, connection.to_string(), tool.to_string());
        async move {
            dispatch(
                actions,
                Operation::ExecuteTool,
                json!({"tool_name": tool, "connection_name": connection,
                                                             "identifier": "sam", "tool_input": input}),
            )
            .await
            .unwrap()
        }
    };
    call("salesforce", "salesforce_sobject_get", json!({"sobject_type": "Account", "record_id": "001"})).await;
    let (path, auth) = seen.lock().unwrap().pop().unwrap();
    assert_eq!(path, "/sf-org/services/data/v62.0/sobjects/Account/001", "the org's own instance");
    assert!(auth.starts_with("Bearer ya29.sandbox-"));
    call("slack", "slack_search_messages", json!({"query": "deploy"})).await;
    assert_eq!(
        seen.lock().unwrap().pop().unwrap(),
        ("/api/search.messages".to_string(), "Bearer xoxp-sam".to_string())
    );
    call("slack", "slack_list_channels", json!({})).await;
    let (_, auth) = seen.lock().unwrap().pop().unwrap();
    assert!(auth.starts_with("Bearer ya29.sandbox-"), "bot tools use the bot token: {auth}");

    // A lookup that fails leaves the account unauthorized, with a clear page.
    let mut broken = agentkit_server::Config::parse(&config, "jira.toml").unwrap();
    broken.connections[0].account_lookup_url = Some(format!("{sandbox}/no-such-endpoint"));
    broken.server.data_dir = data_dir.join("broken");
    let broken = agentkit_server::start(broken).await.unwrap();
    let actions = Actions::new(ScalekitClient::new(&broken.public_url, "c", "s", ClientOptions::default()).unwrap());
    let page = consent(&actions, "jira", "eve").await;
    assert_eq!(page.status(), 502);
    let account =
        dispatch(&actions, Operation::GetConnectedAccount, json!({"connection_name": "jira", "identifier": "eve"}))
            .await
            .unwrap();
    assert_eq!(account["connected_account"]["status"], "PENDING_AUTH");

    server.task.abort();
    broken.task.abort();
    let _ = std::fs::remove_dir_all(data_dir);
}
