//! Issue 23 §3: a failed request names the step that failed — DNS, refused, TLS, a connection
//! closed before the answer — in the SDK's error, not reqwest's bare "error sending request".
//! Each case is a real socket: a name under `.invalid` (which never resolves), a port nobody
//! listens on, a plain-TCP server spoken to over TLS, and one that hangs up after the request.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::time::Duration;

use agentkit_core::model::ListToolsRequest;
use agentkit_core::transport::{Failure, Step};
use agentkit_core::{Actions, ClientOptions, ErrorKind, ScalekitClient};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// A server that reads each request's first bytes, then writes `answer` (maybe nothing) and
/// closes the connection.
async fn raw_server(answer: &'static [u8]) -> std::net::SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((mut conn, _)) = listener.accept().await {
            let mut buf = [0u8; 1024];
            let _ = conn.read(&mut buf).await;
            let _ = conn.write_all(answer).await;
            let _ = conn.shutdown().await;
        }
    });
    addr
}

/// A port nobody listens on.
fn closed_port() -> std::net::SocketAddr {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap()
}

async fn failure(url: &str) -> (Failure, reqwest::Error) {
    let client = reqwest::Client::builder().connect_timeout(Duration::from_secs(5)).build().unwrap();
    let err = client.get(url).send().await.unwrap_err();
    (Failure::of(&err), err)
}

#[tokio::test]
async fn each_failed_step_is_named() {
    let (dns, _) = failure("http://agentkit-test.invalid/").await;
    assert_eq!(dns.step, Step::Resolve, "{dns:?}");
    assert!(dns.describe().starts_with("could not be reached: DNS lookup failed ("), "{}", dns.describe());

    let (refused, _) = failure(&format!("http://{}/", closed_port())).await;
    assert_eq!(refused.step, Step::Refused, "{refused:?}");
    assert_eq!(refused.describe(), "could not be reached: connection refused");

    // A plain HTTP server spoken to over TLS answers its ClientHello with HTTP.
    let plain = raw_server(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n").await;
    let (tls, _) = failure(&format!("https://{plain}/")).await;
    assert_eq!(tls.step, Step::Tls, "{tls:?}");
    assert!(tls.describe().starts_with("could not be reached: TLS handshake failed ("), "{}", tls.describe());

    let hang_up = raw_server(b"").await;
    let (lost, err) = failure(&format!("http://{hang_up}/x?secret=s3cret")).await;
    assert_eq!(lost.step, Step::LostBeforeAnswer, "{lost:?}");
    let about = Failure::about(&err, "the server");
    assert!(
        about.starts_with(&format!("the server at http://{hang_up}/x closed the connection before answering")),
        "{about}"
    );
    assert!(!about.contains("s3cret"), "the query is not repeated: {about}");
}

#[tokio::test]
async fn the_sdk_error_names_the_gateway_and_the_step() {
    let options = ClientOptions { max_retries: 0, ..ClientOptions::default() };
    let gateway = format!("http://{}", closed_port());
    let actions = Actions::new(ScalekitClient::new(&gateway, "id", "secret", options).unwrap());
    let err = actions.list_tools(ListToolsRequest::default()).await.unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Transport);
    assert!(err.message().starts_with(&format!("the gateway at {gateway}/")), "{}", err.message());
    assert!(err.message().ends_with("could not be reached: connection refused"), "{}", err.message());
}
