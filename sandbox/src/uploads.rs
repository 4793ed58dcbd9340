//! Google's resumable upload protocol at `/upload/{*path}`, for any API path (Drive's
//! `/upload/drive/v3/files`, Gmail's `/upload/gmail/v1/users/me/messages/send`, …): a
//! `POST …?uploadType=resumable` opens a session (`Location`), `PUT`s with `Content-Range` add
//! chunks (`308` with `Range: bytes=0-n` until the last, then `200` with the file), and
//! `Content-Range: bytes */total` asks how much arrived.
//!
//! Knobs (`POST /sandbox/settings`): `upload_fail_chunks: [i, …]` answers the i-th chunk request
//! (counted from 0 across all uploads since the knob was set) with a 503, keeping nothing;
//! `upload_break_chunks: [i, …]` keeps the first half of the i-th chunk and drops the connection
//! instead of answering — what a client must resume from; `upload_never_finish: true` keeps
//! answering `308` with every byte held (a provider whose answers never add up).

use axum::body::{Body, Bytes};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Value};

use agentkit_core::model::query::QueryMap;

use crate::{google_error, user_of, Shared};

/// One resumable upload session.
pub(crate) struct Upload {
    user: String,
    total: u64,
    content_type: String,
    metadata: Value,
    received: Vec<u8>,
    /// The file's answer once every byte arrived.
    done: Option<Value>,
}

/// Chunk requests seen, and the ones to fail or break (see the module's knobs).
#[derive(Default)]
pub(crate) struct UploadFaults {
    pub(crate) chunks_seen: u64,
    pub(crate) fail: Vec<u64>,
    pub(crate) break_after_half: Vec<u64>,
    /// Never says an upload is done: every byte held, still `308` (a provider that does not add up).
    pub(crate) never_finish: bool,
}

fn bad_request(message: &str) -> Response {
    google_error(StatusCode::BAD_REQUEST, message, "INVALID_ARGUMENT")
}

pub(crate) async fn upload(
    State(state): State<Shared>,
    method: Method,
    Path(path): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    let user = match user_of(&s, &headers) {
        Ok(user) => user,
        Err(answer) => return answer,
    };
    let q = QueryMap::parse(query.as_deref());
    // QueryMap keys are snake_case: `uploadType` reads as `upload_type`.
    if q.get("upload_type").as_deref() != Some("resumable") {
        return bad_request("the sandbox takes resumable uploads only (uploadType=resumable)");
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").trim().to_string();
    let Some(id) = q.get("upload_id") else {
        // A new session.
        let Ok(total) = header("x-upload-content-length").parse::<u64>() else {
            return bad_request("X-Upload-Content-Length is required");
        };
        let metadata: Value = if body.is_empty() {
            json!({})
        } else {
            match serde_json::from_slice(&body) {
                Ok(v) => v,
                Err(_) => return bad_request("the metadata is not JSON"),
            }
        };
        let id = format!("sbx-upload-{}", uuid::Uuid::new_v4().simple());
        let content_type = match header("x-upload-content-type") {
            t if t.is_empty() => "application/octet-stream".to_string(),
            t => t,
        };
        s.uploads.insert(id.clone(), Upload { user, total, content_type, metadata, received: Vec::new(), done: None });
        let location = format!("http://{}/upload/{path}?uploadType=resumable&upload_id={id}", header("host"));
        return (StatusCode::OK, [("location", location)]).into_response();
    };
    if method != Method::PUT {
        return bad_request("a session takes PUT requests");
    }
    let range = header("content-range");
    let faults_index = (!body.is_empty()).then(|| {
        let seen = s.upload_faults.chunks_seen;
        s.upload_faults.chunks_seen += 1;
        seen
    });
    let s_never_finish = s.upload_faults.never_finish;
    let failing = faults_index.is_some_and(|i| s.upload_faults.fail.contains(&i));
    let breaking = faults_index.is_some_and(|i| s.upload_faults.break_after_half.contains(&i));
    let Some(upload) = s.uploads.get_mut(&id).filter(|u| u.user == user) else {
        return google_error(StatusCode::NOT_FOUND, "upload session not found", "NOT_FOUND");
    };
    if let Some(done) = &upload.done {
        return (StatusCode::OK, Json(done.clone())).into_response();
    }
    let Some(rest) = range.strip_prefix("bytes ") else {
        return bad_request("Content-Range is required");
    };
    let (span, total) = rest.split_once('/').unwrap_or((rest, ""));
    if total.parse::<u64>().ok() != Some(upload.total) {
        return bad_request("Content-Range names another total than the session's");
    }
    let held = upload.received.len() as u64;
    if span != "*" {
        let (first, last) = span.split_once('-').unwrap_or(("", ""));
        let (Ok(first), Ok(last)) = (first.parse::<u64>(), last.parse::<u64>()) else {
            return bad_request("Content-Range is not bytes first-last/total");
        };
        if first != held || last < first || last - first + 1 != body.len() as u64 || last >= upload.total {
            return bad_request("the chunk does not continue the upload where it stands");
        }
        if failing {
            return google_error(StatusCode::SERVICE_UNAVAILABLE, "backend error", "UNAVAILABLE");
        }
        if breaking {
            upload.received.extend_from_slice(&body[..body.len() / 2]);
            // The connection goes down instead of an answer.
            let dropped =
                futures::stream::once(async { Err::<Bytes, std::io::Error>(std::io::Error::other("dropped")) });
            return Response::new(Body::from_stream(dropped));
        }
        upload.received.extend_from_slice(&body);
    }
    let held = upload.received.len() as u64;
    if held < upload.total || s_never_finish {
        let mut answer = StatusCode::PERMANENT_REDIRECT.into_response();
        if held > 0 {
            if let Ok(value) = format!("bytes=0-{}", held - 1).parse() {
                answer.headers_mut().insert("range", value);
            }
        }
        return answer;
    }
    let digest = <sha2::Sha256 as sha2::Digest>::digest(&upload.received);
    let done = json!({
        "kind": "drive#file",
        "id": id,
        "name": upload.metadata.get("name").cloned().unwrap_or(Value::Null),
        "mimeType": upload.content_type,
        "size": upload.total.to_string(),
        "sha256Checksum": digest.iter().map(|b| format!("{b:02x}")).collect::<String>(),
    });
    upload.done = Some(done.clone());
    (StatusCode::OK, Json(done)).into_response()
}
