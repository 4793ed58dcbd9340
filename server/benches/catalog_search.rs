//! Tool search over a 20,000-tool catalog: the word index (`Catalog::search`) against the linear
//! scan it replaced (lower-casing every tool's name and description per query), both measured in
//! this run, plus the same searches through the gateway's `GET /api/v1/tools?filter.query=`.
//! Prints figures and ratios; asserts nothing. Run with `make bench` or
//! `cargo bench -p agentkit-server --bench catalog_search`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::time::{Duration, Instant};

use agentkit_server::catalog::connectors::{Catalog, CatalogTool};
use serde_json::json;

const CONNECTORS: usize = 400;
const TOOLS_PER_CONNECTOR: usize = 50;
const VERBS: &[&str] = &["list", "get", "create", "update", "delete", "search", "archive", "export", "sync", "send"];
const NOUNS: &[&str] = &[
    "contact",
    "invoice",
    "ticket",
    "message",
    "file",
    "event",
    "deal",
    "issue",
    "order",
    "user",
    "report",
    "label",
    "comment",
    "channel",
    "task",
    "project",
    "payment",
    "subscription",
    "document",
    "record",
    "note",
    "lead",
    "account",
    "shipment",
    "campaign",
];

/// A synthetic connector file: realistic names (`acme17_invoice_create`) and descriptions.
fn connector(i: usize) -> String {
    let slug = format!("vendor{i}");
    let tools: Vec<_> = (0..TOOLS_PER_CONNECTOR)
        .map(|j| {
            let (verb, noun) = (VERBS[j % VERBS.len()], NOUNS[(i + j) % NOUNS.len()]);
            json!({
                "name": format!("{slug}_{noun}_{verb}_{j}"),
                "description": format!("{} a {noun} in Vendor {i}. Works with the {noun} API of the account and returns the {noun} fields.", verb[..1].to_uppercase() + &verb[1..]),
                "input_schema": {"type": "object", "properties": {"id": {"type": "string"}}},
                "request": {"method": "GET", "path": format!("/{noun}s/{{{{id}}}}")}
            })
        })
        .collect();
    json!({"slug": slug, "display_name": format!("Vendor {i}"), "base_url": "https://api.example.test",
           "auth": {"type": "API_KEY"}, "tools": tools})
    .to_string()
}

/// The search this index replaced: every query lower-cases every tool's text.
fn linear_scan<'a>(catalog: &'a Catalog, query: &str) -> Vec<&'a std::sync::Arc<CatalogTool>> {
    catalog
        .tools()
        .filter(|t| {
            let haystack = format!("{} {}", t.def.name, t.def.description).to_lowercase();
            query.to_lowercase().split_whitespace().all(|w| haystack.contains(w))
        })
        .collect()
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn time<T>(runs: usize, mut f: impl FnMut() -> T) -> Duration {
    median(
        (0..runs)
            .map(|_| {
                let start = Instant::now();
                std::hint::black_box(f());
                start.elapsed()
            })
            .collect(),
    )
}

fn main() {
    let files: Vec<String> = (0..CONNECTORS).map(connector).collect();
    let started = Instant::now();
    let mut catalog = Catalog::built_in().unwrap();
    for (i, text) in files.iter().enumerate() {
        catalog.add_file(&format!("vendor{i}.json"), text).unwrap();
    }
    let total = catalog.tools().count();
    println!(
        "catalog: {total} tools in {} connectors, loaded and indexed in {:.0} ms",
        catalog.connectors().count(),
        started.elapsed().as_secs_f64() * 1e3
    );

    let queries =
        ["invoice create", "vendor123", "shipment", "subscription archive", "list labels", "nothing matches this"];
    println!("\n{:<24} {:>7} {:>14} {:>14} {:>8}", "query", "hits", "linear scan", "word index", "speedup");
    for q in queries {
        let hits = catalog.search(q).len();
        // The index matches word prefixes, the scan substrings: show both counts when they differ.
        let scanned = linear_scan(&catalog, q).len();
        let baseline = time(21, || linear_scan(&catalog, q));
        let indexed = time(201, || catalog.search(q));
        let note = if scanned == hits { String::new() } else { format!(" (scan: {scanned})") };
        println!(
            "{:<24} {:>7} {:>11.3} ms {:>11.3} ms {:>7.0}x{note}",
            q,
            hits,
            baseline.as_secs_f64() * 1e3,
            indexed.as_secs_f64() * 1e3,
            baseline.as_secs_f64() / indexed.as_secs_f64().max(1e-9)
        );
    }

    // Through the gateway: the same catalog from a connector directory.
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let dir = std::env::temp_dir().join(format!("agentkit-bench-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(dir.join("connectors")).unwrap();
        for (i, text) in files.iter().enumerate() {
            std::fs::write(dir.join("connectors").join(format!("vendor{i}.json")), text).unwrap();
        }
        let config = format!(
            "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"{}\"\nconnectors_dir = \"{}\"\n[[api_clients]]\nclient_id = \"c\"\nclient_secret = \"s\"\n",
            dir.join("data").display(),
            dir.join("connectors").display()
        );
        let started = Instant::now();
        let server = agentkit_server::start(agentkit_server::Config::parse(&config, "bench.toml").unwrap()).await.unwrap();
        println!("\ngateway start with {total} tools: {:.0} ms", started.elapsed().as_secs_f64() * 1e3);
        let http = reqwest::Client::new();
        let token: serde_json::Value = http
            .post(format!("{}/oauth/token", server.public_url))
            .form(&[("grant_type", "client_credentials"), ("client_id", "c"), ("client_secret", "s")])
            .send().await.unwrap().json().await.unwrap();
        let bearer = token["access_token"].as_str().unwrap().to_string();
        let get = |query: String| {
            let (http, bearer, base) = (http.clone(), bearer.clone(), server.public_url.clone());
            async move {
                let start = Instant::now();
                let resp = http.get(format!("{base}/api/v1/tools?{query}")).bearer_auth(&bearer).send().await.unwrap();
                assert!(resp.status().is_success());
                resp.bytes().await.unwrap();
                start.elapsed()
            }
        };
        let mut page = Vec::new();
        for _ in 0..51 {
            page.push(get("page_size=20".into()).await);
        }
        println!("GET /api/v1/tools?page_size=20 (baseline):          p50 {:.3} ms", median(page).as_secs_f64() * 1e3);
        for q in ["invoice%20create", "shipment", "vendor123"] {
            let mut samples = Vec::new();
            for _ in 0..51 {
                samples.push(get(format!("filter.query={q}&page_size=20")).await);
            }
            println!("GET /api/v1/tools?filter.query={:<18} p50 {:.3} ms", q, median(samples).as_secs_f64() * 1e3);
        }
        server.task.abort();
        let _ = std::fs::remove_dir_all(dir);
    });
}
