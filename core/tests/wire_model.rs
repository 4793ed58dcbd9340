//! Every core model type the SDKs see as a protobuf message goes through `wire::DESCRIPTOR_SET`
//! and back unchanged: its JSON parses as the message with unknown fields refused, encodes to
//! binary, decodes, prints as proto JSON and deserializes into an equal value. A field renamed on
//! either side (the `.proto` or the Rust type) fails here; the numbers are checked against the
//! official SDKs' own messages by the Python and Node suites (`test_wire_model.py`,
//! `wire_model.test.mjs`).
//!
//! A few REST fields are the gateway's own and no SDK message carries them (the SDKs drop them
//! when they build a message). Each case names those, and the test checks that each really is in
//! the JSON and really is absent from the message, so the list cannot go stale.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use agentkit_core::model::connected_accounts::{
    AccountSelector, AuthorizationDetails, ConnectedAccount, ConnectedAccountInput, ConnectedAccountResponse,
    ConnectorStatus, ConnectorType, ListConnectedAccountsResponse, MagicLinkRequest, MagicLinkResponse, OauthToken,
    ScopeSelection, StaticAuth, UpsertConnectedAccountRequest, VerifyUserRequest, VerifyUserResponse,
};
use agentkit_core::model::mcp::{
    ListMcpConfigsResponse, ListMcpInstancesResponse, McpAuthStateResponse, McpConfig, McpConfigConnectionToolMapping,
    McpConfigResponse, McpConnectedAccountsResponse, McpConnectionAuthState, McpInstance, McpInstanceResponse,
    McpSessionTokenResponse,
};
use agentkit_core::model::tools::{
    ConnectionReadiness, ExecuteToolResponse, ListAvailableToolsResponse, ListScopedToolsResponse, ListToolsResponse,
    ScopedTool, ScopedToolFilter, SearchToolsRequest, SearchToolsResponse, SearchedTool, Tool, ToolFilter,
    ToolReadinessState,
};
use agentkit_core::wire::DESCRIPTOR_SET;
use chrono::{DateTime, Utc};
use prost::Message;
use prost_reflect::{DescriptorPool, DeserializeOptions, DynamicMessage, Kind, MessageDescriptor, SerializeOptions};
use serde::{de::DeserializeOwned, Serialize};
use serde_json::{json, Value};
use std::fmt::Debug;

fn pool() -> DescriptorPool {
    DescriptorPool::decode(DESCRIPTOR_SET).expect("the embedded descriptor set decodes")
}

fn at(text: &str) -> DateTime<Utc> {
    text.parse().expect("a timestamp")
}

/// Removes `path` (dotted; `*` steps into every array element) from `json`, asserting that it
/// was there, and asserts that `message` has no field at that path.
fn drop_gateway_only(json: &mut Value, message: &MessageDescriptor, path: &str) {
    fn remove(value: &mut Value, steps: &[&str], path: &str) {
        match steps {
            [] => {}
            ["*", rest @ ..] => {
                let items = value.as_array_mut().unwrap_or_else(|| panic!("{path}: not an array"));
                assert!(!items.is_empty(), "{path}: an empty array exercises nothing");
                items.iter_mut().for_each(|item| remove(item, rest, path));
            }
            [last] => {
                let gone = value.as_object_mut().and_then(|o| o.remove(*last));
                assert!(gone.is_some(), "{path}: the sample does not set it, so listing it hides nothing");
            }
            [step, rest @ ..] => {
                remove(value.get_mut(*step).unwrap_or_else(|| panic!("{path}: no {step}")), rest, path)
            }
        }
    }
    let steps: Vec<&str> = path.split('.').collect();
    remove(json, &steps, path);
    let mut descriptor = message.clone();
    let fields: Vec<&str> = steps.iter().copied().filter(|s| *s != "*").collect();
    for (i, step) in fields.iter().enumerate() {
        let field = descriptor.get_field_by_name(step);
        if i + 1 == fields.len() {
            assert!(field.is_none(), "{path}: {} has it, so it is not the gateway's own", descriptor.full_name());
        } else {
            let Some(Kind::Message(inner)) = field.map(|f| f.kind()) else { panic!("{path}: {step} is not a message") };
            descriptor = inner;
        }
    }
}

/// The round trip of one value through the message `name` (see the module's doc).
fn round_trip<T: Serialize + DeserializeOwned + PartialEq + Debug>(name: &str, value: &T, gateway_only: &[&str]) {
    let descriptor = pool().get_message_by_name(name).unwrap_or_else(|| panic!("no message {name} in the wire model"));
    let mut json = serde_json::to_value(value).unwrap();
    for path in gateway_only {
        drop_gateway_only(&mut json, &descriptor, path);
    }
    let strict = DeserializeOptions::new().deny_unknown_fields(true);
    let message = DynamicMessage::deserialize_with_options(descriptor.clone(), json.clone(), &strict)
        .unwrap_or_else(|e| panic!("{name}: the model's JSON is not the message: {e}\n{json:#}"));
    let decoded = DynamicMessage::decode(descriptor.clone(), message.encode_to_vec().as_slice()).unwrap();
    let options = SerializeOptions::new().use_proto_field_name(true).stringify_64_bit_integers(false);
    let print = |m: &DynamicMessage| m.serialize_with_options(serde_json::value::Serializer, &options).unwrap();
    let printed = print(&decoded);
    assert_eq!(printed, print(&message), "{name}: the binary round trip changed the message");
    let back: T = serde_json::from_value(printed.clone())
        .unwrap_or_else(|e| panic!("{name}: the message's JSON is not the model: {e}\n{printed:#}"));
    let expected: T = serde_json::from_value(json).unwrap();
    assert_eq!(back, expected, "{name}: the value changed on its way through the message");
}

fn oauth_account() -> ConnectedAccount {
    ConnectedAccount {
        id: "ca_1".into(),
        identifier: "user@example.com".into(),
        provider: "GMAIL".into(),
        status: ConnectorStatus::Active,
        authorization_type: ConnectorType::Oauth,
        authorization_details: Some(AuthorizationDetails {
            oauth_token: Some(OauthToken {
                access_token: "at".into(),
                refresh_token: "rt".into(),
                scopes: vec!["a".into(), "b".into()],
                domain: "example.com".into(),
                user_access_token: "xoxp".into(),
            }),
            static_auth: None,
        }),
        token_expires_at: Some(at("2026-03-04T05:06:07Z")),
        updated_at: Some(at("2026-01-02T03:04:05.123Z")),
        connector: "gmail".into(),
        last_used_at: Some(at("2026-02-03T04:05:06Z")),
        connection_id: "conn_1".into(),
        api_config: Some(json!({"base": "https://x", "n": 2.5, "list": [true, null]})),
        organization_id: "org_1".into(),
        user_id: "usr_1".into(),
    }
}

fn static_account() -> ConnectedAccount {
    ConnectedAccount {
        authorization_type: ConnectorType::KeyPair,
        authorization_details: Some(AuthorizationDetails {
            oauth_token: None,
            static_auth: Some(StaticAuth { details: json!({"username": "u", "private_key": "k"}) }),
        }),
        organization_id: String::new(),
        user_id: String::new(),
        ..oauth_account()
    }
}

/// An account as lists give it: no credentials, no API configuration.
fn listed_account() -> ConnectedAccount {
    ConnectedAccount { authorization_details: None, api_config: None, ..oauth_account() }
}

const ACCOUNT_OWNERS: [&str; 2] = ["organization_id", "user_id"];
const ACCOUNTS: &str = "scalekit.v1.connected_accounts";

#[test]
fn connected_account_messages_round_trip() {
    let gateway_only = [&ACCOUNT_OWNERS[..], &["authorization_details.oauth_token.user_access_token"]].concat();
    round_trip(&format!("{ACCOUNTS}.ConnectedAccount"), &oauth_account(), &gateway_only);
    round_trip(&format!("{ACCOUNTS}.ConnectedAccount"), &static_account(), &[]);
    for status in ConnectorStatus::ALL {
        round_trip(&format!("{ACCOUNTS}.ConnectedAccount"), &ConnectedAccount { status, ..static_account() }, &[]);
    }
    let list = ListConnectedAccountsResponse {
        connected_accounts: vec![listed_account(), listed_account()],
        total_size: 2,
        next_page_token: "n".into(),
        prev_page_token: "p".into(),
    };
    round_trip(
        &format!("{ACCOUNTS}.ListConnectedAccountsResponse"),
        &list,
        &["connected_accounts.*.organization_id", "connected_accounts.*.user_id"],
    );
    for response in ["Create", "Update", "GetByIdentifier"] {
        let name = match response {
            "GetByIdentifier" => "GetConnectedAccountByIdentifierResponse".to_string(),
            verb => format!("{verb}ConnectedAccountResponse"),
        };
        let value = ConnectedAccountResponse { connected_account: static_account() };
        round_trip(&format!("{ACCOUNTS}.{name}"), &value, &[]);
    }
    let upsert = UpsertConnectedAccountRequest {
        selector: AccountSelector {
            connector: "gmail".into(),
            identifier: "user@example.com".into(),
            id: "ca_1".into(),
            organization_id: "org_1".into(),
            user_id: "usr_1".into(),
        },
        connected_account: ConnectedAccountInput {
            authorization_details: static_account().authorization_details,
            api_config: Some(json!({"k": "v"})),
        },
    };
    round_trip(&format!("{ACCOUNTS}.UpdateConnectedAccountRequest"), &upsert, &[]);
    let link = MagicLinkRequest {
        selector: upsert.selector.clone(),
        state: "s".into(),
        user_verify_url: "https://app/verify".into(),
        scope_selection: Some(ScopeSelection { scopes: vec!["a".into()], optional_scopes: vec!["b".into()] }),
    };
    round_trip(&format!("{ACCOUNTS}.GetMagicLinkForConnectedAccountRequest"), &link, &["scope_selection"]);
    let scopes = ScopeSelection { scopes: vec!["a".into()], optional_scopes: vec!["b".into()] };
    round_trip(&format!("{ACCOUNTS}.ScopeSelection"), &scopes, &[]);
    let issued = MagicLinkResponse { link: "https://l".into(), expiry: Some(at("2026-01-01T00:00:00Z")) };
    round_trip(&format!("{ACCOUNTS}.GetMagicLinkForConnectedAccountResponse"), &issued, &[]);
    let verify = VerifyUserRequest { auth_request_id: "ar".into(), identifier: "user".into() };
    round_trip(&format!("{ACCOUNTS}.VerifyConnectedAccountUserRequest"), &verify, &[]);
    let verified = VerifyUserResponse { post_user_verify_redirect_url: "https://app/done".into() };
    round_trip(&format!("{ACCOUNTS}.VerifyConnectedAccountUserResponse"), &verified, &[]);
}

fn tool(name: &str) -> Tool {
    Tool {
        id: format!("tool_{name}"),
        provider: "GMAIL".into(),
        definition: json!({"name": name, "description": "d", "input_schema": {"type": "object"}}),
        metadata: json!({"version": "1"}),
        tags: vec!["email".into()],
        is_default: Some(true),
        updated_at: Some(at("2026-01-02T03:04:05Z")),
    }
}

const TOOLS: &str = "scalekit.v1.tools";

#[test]
fn tool_messages_round_trip() {
    round_trip(&format!("{TOOLS}.Tool"), &tool("gmail_fetch_mails"), &[]);
    round_trip(&format!("{TOOLS}.Tool"), &Tool { is_default: Some(false), ..tool("x") }, &[]);
    let scoped = ScopedTool { tool: tool("a"), identifier: "user".into(), connected_account_id: "ca_1".into() };
    round_trip(&format!("{TOOLS}.ScopedTool"), &scoped, &[]);
    let filter = ToolFilter {
        summary: Some(true),
        provider: "GMAIL".into(),
        identifier: "user".into(),
        tool_name: vec!["a".into(), "b".into()],
        query: "mail".into(),
        connector: "gmail".into(),
        organization_id: "org_1".into(),
        user_id: "usr_1".into(),
        connected_account_id: "ca_1".into(),
    };
    round_trip(&format!("{TOOLS}.Filter"), &filter, &[]);
    let scoped_filter = ScopedToolFilter {
        providers: vec!["GMAIL".into()],
        tool_names: vec!["a".into()],
        connection_names: vec!["gmail".into()],
    };
    round_trip(&format!("{TOOLS}.ScopedToolFilter"), &scoped_filter, &[]);
    let page = ListToolsResponse {
        tools: vec![tool("a"), tool("b")],
        tool_names: vec!["a".into(), "b".into()],
        total_size: 2,
        next_page_token: "n".into(),
        prev_page_token: "p".into(),
    };
    round_trip(&format!("{TOOLS}.ListToolsResponse"), &page, &[]);
    let scoped_page = ListScopedToolsResponse {
        tools: vec![scoped.clone()],
        total_size: 1,
        next_page_token: "n".into(),
        prev_page_token: "p".into(),
    };
    round_trip(&format!("{TOOLS}.ListScopedToolsResponse"), &scoped_page, &[]);
    let available = ListAvailableToolsResponse {
        tools: vec![tool("a")],
        total_size: 1,
        next_page_token: "n".into(),
        prev_page_token: "p".into(),
    };
    round_trip(&format!("{TOOLS}.ListAvailableToolsResponse"), &available, &[]);
    let executed = ExecuteToolResponse { data: json!({"messages": [{"id": "m1"}]}), execution_id: "ex_1".into() };
    round_trip(&format!("{TOOLS}.ExecuteToolResponse"), &executed, &[]);
    let search = SearchToolsRequest { query: "send mail".into(), identifier: "user".into(), top_k: Some(5) };
    round_trip(&format!("{TOOLS}.SearchToolsRequest"), &search, &[]);
    let states = [
        ToolReadinessState::Unspecified,
        ToolReadinessState::Ready,
        ToolReadinessState::NeedsConnection,
        ToolReadinessState::NeedsReauth,
    ];
    let found = SearchToolsResponse {
        tools: vec![SearchedTool {
            name: "gmail_send".into(),
            provider: "GMAIL".into(),
            description: "Sends".into(),
            score: 0.75,
            connections: states
                .into_iter()
                .map(|readiness_state| ConnectionReadiness {
                    connection_name: "gmail".into(),
                    connected_account_id: "ca_1".into(),
                    readiness_state,
                })
                .collect(),
        }],
    };
    round_trip(&format!("{TOOLS}.SearchToolsResponse"), &found, &[]);
}

fn config() -> McpConfig {
    McpConfig {
        id: "cfg_1".into(),
        name: "mail".into(),
        description: "d".into(),
        connection_tool_mappings: vec![McpConfigConnectionToolMapping {
            connection_id: "conn_1".into(),
            connection_name: "gmail".into(),
            provider: "GMAIL".into(),
            tools: vec!["a".into()],
            connected_account_id: "ca_1".into(),
            connected_account_status: "ACTIVE".into(),
        }],
        mcp_server_url: "https://gw/mcp/x".into(),
        oauth_metadata_url: "https://gw/.well-known/oauth-protected-resource/mcp/x".into(),
    }
}

fn instance() -> McpInstance {
    McpInstance {
        id: "inst_1".into(),
        name: "mine".into(),
        user_identifier: "user".into(),
        config: config(),
        last_used_at: Some(at("2026-01-02T03:04:05Z")),
        updated_at: Some(at("2026-01-03T03:04:05Z")),
        url: "https://gw/mcp/i".into(),
    }
}

const MCP: &str = "scalekit.v1.mcp";

#[test]
fn mcp_messages_round_trip() {
    round_trip(&format!("{MCP}.McpConfig"), &config(), &[]);
    for verb in ["Create", "Update", "Get"] {
        round_trip(&format!("{MCP}.{verb}McpConfigResponse"), &McpConfigResponse { config: config() }, &[]);
    }
    round_trip(&format!("{MCP}.McpInstance"), &instance(), &[]);
    for verb in ["Ensure", "Update", "Get"] {
        round_trip(&format!("{MCP}.{verb}McpInstanceResponse"), &McpInstanceResponse { instance: instance() }, &[]);
    }
    let configs = ListMcpConfigsResponse {
        configs: vec![config()],
        total_size: 1,
        next_page_token: "n".into(),
        prev_page_token: "p".into(),
    };
    round_trip(&format!("{MCP}.ListMcpConfigsResponse"), &configs, &[]);
    let instances = ListMcpInstancesResponse {
        instances: vec![instance()],
        total_size: 1,
        next_page_token: "n".into(),
        prev_page_token: "p".into(),
    };
    round_trip(&format!("{MCP}.ListMcpInstancesResponse"), &instances, &[]);
    let state = McpConnectionAuthState {
        connection_id: "conn_1".into(),
        connection_name: "gmail".into(),
        provider: "GMAIL".into(),
        connected_account_id: "ca_1".into(),
        connected_account_status: "ACTIVE".into(),
        authentication_link: "https://l".into(),
    };
    let auth = McpAuthStateResponse { connections: vec![state.clone()] };
    round_trip(&format!("{MCP}.GetMcpInstanceAuthStateResponse"), &auth, &[]);
    let accounts = McpConnectedAccountsResponse { connected_accounts: vec![state] };
    round_trip(&format!("{MCP}.ListMcpConnectedAccountsResponse"), &accounts, &[]);
    let token = McpSessionTokenResponse { token: "t".into(), expires_at: Some(at("2026-01-02T03:04:05Z")) };
    round_trip(&format!("{MCP}.CreateMcpSessionTokenResponse"), &token, &[]);
}

#[test]
fn a_renamed_field_is_refused() {
    // The guard the round trips rely on: a field the message does not have fails the parse.
    let descriptor = pool().get_message_by_name("scalekit.v1.tools.Tool").unwrap();
    let strict = DeserializeOptions::new().deny_unknown_fields(true);
    let renamed = json!({"id": "t", "providr": "GMAIL"});
    assert!(DynamicMessage::deserialize_with_options(descriptor, renamed, &strict).is_err());
}

#[test]
fn the_set_holds_our_files_and_what_they_import() {
    let pool = pool();
    let names: Vec<String> = pool.files().map(|f| f.name().to_string()).collect();
    for ours in [
        "scalekit/v1/connected_accounts/connected_accounts.proto",
        "scalekit/v1/tools/tools.proto",
        "scalekit/v1/mcp/mcp.proto",
    ] {
        assert!(names.iter().any(|n| n == ours), "{ours} missing from {names:?}");
    }
    assert!(names.iter().all(|n| n.starts_with("scalekit/v1/") || n.starts_with("google/protobuf/")), "{names:?}");
}
