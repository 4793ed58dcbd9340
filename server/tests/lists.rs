//! The account list pages by id (keyset tokens, no OFFSET): forward and back give the same pages,
//! the total counted on the first page travels with the tokens, and a write is counted at once.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use agentkit_core::dispatch::{dispatch, Operation};
use serde_json::{json, Value};

mod common;
use common::Gateway;

fn identifiers(page: &Value) -> Vec<String> {
    page["connected_accounts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["identifier"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_pages_walk_forward_and_back_with_a_stable_total() {
    let gateway = Gateway::start();
    let actions = gateway.actions();
    let create = |n: usize| {
        dispatch(
            &actions,
            Operation::CreateConnectedAccount,
            json!({"connection_name": "gmail", "identifier": format!("pager-{n}"),
                   "authorization_details": {"oauth_token": {"access_token": format!("t{n}")}}}),
        )
    };
    for n in 0..7 {
        create(n).await.unwrap();
    }
    let list = |token: String| {
        dispatch(
            &actions,
            Operation::ListConnectedAccounts,
            json!({"query": "pager-", "page_size": 3, "page_token": token}),
        )
    };
    let mut forward = Vec::new();
    let mut page = list(String::new()).await.unwrap();
    assert_eq!(page["total_size"], json!(7));
    assert_eq!(page["prev_page_token"].as_str().unwrap_or_default(), "", "no page before the first");
    loop {
        forward.push(page.clone());
        let next = page["next_page_token"].as_str().unwrap_or_default().to_string();
        if next.is_empty() {
            break;
        }
        page = list(next).await.unwrap();
        assert_eq!(page["total_size"], json!(7), "the first page's total travels with the token");
    }
    let sizes: Vec<usize> = forward.iter().map(|p| identifiers(p).len()).collect();
    assert_eq!(sizes, [3, 3, 1]);
    let all: Vec<String> = forward.iter().flat_map(identifiers).collect();
    let mut sorted = all.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(sorted.len(), 7, "every account once: {all:?}");
    assert!(
        forward.iter().all(|p| p["connected_accounts"][0]["authorization_details"].is_null()),
        "lists carry no credentials"
    );

    // Back from the last page: the same middle and first pages.
    let back = list(forward[2]["prev_page_token"].as_str().unwrap().to_string()).await.unwrap();
    assert_eq!(identifiers(&back), identifiers(&forward[1]));
    let back = list(back["prev_page_token"].as_str().unwrap().to_string()).await.unwrap();
    assert_eq!(identifiers(&back), identifiers(&forward[0]));
    assert_eq!(back["prev_page_token"].as_str().unwrap_or_default(), "");

    // A new account is counted on the next first page (the cached count is dropped by the write).
    create(7).await.unwrap();
    assert_eq!(list(String::new()).await.unwrap()["total_size"], json!(8));
}
