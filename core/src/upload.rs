//! `upload_resumable`: Google's resumable upload protocol (Drive, Cloud Storage, YouTube, Gmail)
//! through the gateway's proxy, so the user's token never leaves the gateway.
//!
//! 1. `POST {path}?uploadType=resumable` with the file's metadata (JSON) and its type and length in
//!    `X-Upload-Content-Type` / `X-Upload-Content-Length`; the provider answers with the session
//!    URI in `Location`.
//! 2. `PUT` the session URI one chunk at a time (`Content-Range: bytes a-b/total`); `308` with
//!    `Range: bytes=0-n` says how much arrived, `200`/`201` ends the upload with the provider's
//!    answer.
//! 3. After a dropped connection or a 5xx, `PUT` with `Content-Range: bytes */total` and no body asks
//!    how much arrived; the upload resumes from there.
//!
//! The session URI is only ever sent back through the proxy, as the upload's own path with the
//! session's query: a URI that is not the upload's path is refused rather than followed.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::actions::{Actions, ProxyRequest};
use crate::client::RawResponse;
use crate::error::{Error, ErrorKind, Result};

/// Google requires every chunk but the last to be a multiple of 256 KiB.
pub const CHUNK_GRANULE: u64 = 256 * 1024;
/// 4 MiB, as Google's client libraries default to.
pub const DEFAULT_CHUNK_SIZE: u64 = 16 * CHUNK_GRANULE;
/// The largest chunk an SDK sends in one request: 16 MiB, what the gateway's proxy takes by
/// default (`server.proxy_max_request_bytes`).
pub const MAX_CHUNK_SIZE: u64 = 64 * CHUNK_GRANULE;
/// Attempts to resume after failures in a row (a chunk that gets through resets the count).
const MAX_RESUMES: u32 = 6;

/// Called after each chunk the provider confirmed: `(bytes uploaded, total bytes)`. An error
/// stops the upload.
pub type Progress = Arc<dyn Fn(u64, u64) -> Result<()> + Send + Sync>;

/// What is uploaded: bytes in memory, or a file read one chunk at a time.
#[derive(Debug, Clone)]
pub enum UploadData {
    /// Bytes in memory.
    Bytes(Vec<u8>),
    /// A file, its length read when the upload starts and its bytes one chunk at a time.
    File(PathBuf),
}

impl UploadData {
    async fn len(&self) -> Result<u64> {
        match self {
            UploadData::Bytes(b) => Ok(b.len() as u64),
            UploadData::File(path) => tokio::fs::metadata(path)
                .await
                .map(|m| m.len())
                .map_err(|e| Error::invalid_field("file_path", format!("file_path {}: {e}", path.display()))),
        }
    }

    /// Bytes `[start, end)`; the caller keeps `end` within the length.
    async fn slice(&self, start: u64, end: u64) -> Result<Vec<u8>> {
        match self {
            UploadData::Bytes(b) => Ok(b[start as usize..end as usize].to_vec()),
            UploadData::File(path) => {
                let read =
                    |e: std::io::Error| Error::invalid_field("file_path", format!("reading {}: {e}", path.display()));
                let mut file = tokio::fs::File::open(path).await.map_err(read)?;
                file.seek(std::io::SeekFrom::Start(start)).await.map_err(read)?;
                let mut chunk = vec![0; (end - start) as usize];
                file.read_exact(&mut chunk).await.map_err(read)?;
                Ok(chunk)
            }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
struct UploadParams {
    #[serde(default, alias = "connectionName")]
    connection_name: Option<String>,
    #[serde(default)]
    identifier: Option<String>,
    #[serde(default)]
    path: Option<String>,
    /// `POST` to create (the default), `PUT` / `PATCH` to replace an existing file's content.
    #[serde(default)]
    method: Option<String>,
    #[serde(default, alias = "queryParams")]
    query_params: Option<Map<String, Value>>,
    #[serde(default)]
    headers: Option<Map<String, Value>>,
    /// The resource's metadata (Drive: `{"name": …, "parents": […]}`), sent with the first request.
    #[serde(default)]
    metadata: Option<Value>,
    #[serde(default, alias = "contentType")]
    content_type: Option<String>,
    #[serde(default, alias = "chunkSize")]
    chunk_size: Option<f64>,
    #[serde(default, alias = "timeoutMs")]
    timeout_ms: Option<f64>,
}

/// Where one upload stands: the session's path and query, and how much the provider holds.
struct Session {
    path: String,
    query: Vec<(String, String)>,
}

/// Uploads `data` with Google's resumable protocol; the answer to the last chunk (the created
/// resource) is returned like `request`'s, whatever the provider said along the way.
pub async fn upload_resumable(
    actions: &Actions,
    params: Value,
    data: UploadData,
    progress: Option<Progress>,
) -> Result<RawResponse> {
    let p: UploadParams = crate::dispatch::parse_named("params", crate::dispatch::drop_nulls(params))?;
    let chunk_size = match p.chunk_size {
        None => DEFAULT_CHUNK_SIZE,
        Some(n) if n.fract() == 0.0 && n >= CHUNK_GRANULE as f64 && n <= MAX_CHUNK_SIZE as f64 => n as u64,
        Some(n) => {
            return Err(Error::invalid_field(
                "chunk_size",
                format!("chunk_size {n} must be a whole number of bytes between 256 KiB and 16 MiB"),
            ))
        }
    };
    if chunk_size % CHUNK_GRANULE != 0 {
        return Err(Error::invalid_field(
            "chunk_size",
            format!(
                "chunk_size {chunk_size} must be a multiple of 256 KiB ({CHUNK_GRANULE} bytes), as Google requires"
            ),
        ));
    }
    let timeout = crate::dispatch::call_timeout(p.timeout_ms)?;
    let path = p.path.clone().unwrap_or_default();
    if path.trim().is_empty() {
        return Err(Error::invalid_field(
            "path",
            "path is required (the upload endpoint, e.g. /upload/drive/v3/files)",
        ));
    }
    let content_type =
        p.content_type.clone().filter(|c| !c.trim().is_empty()).unwrap_or("application/octet-stream".into());
    let total = data.len().await?;
    let call = |method: &str, path: &str, query: Vec<(String, String)>, headers: Vec<(String, String)>| ProxyRequest {
        connection_name: p.connection_name.clone().unwrap_or_default(),
        identifier: p.identifier.clone().unwrap_or_default(),
        path: path.to_string(),
        method: method.to_string(),
        query_params: query,
        body: None,
        form_data: None,
        raw_body: None,
        headers,
        timeout,
    };

    // 1. The session.
    let mut query = crate::dispatch::pairs(p.query_params.clone());
    query.retain(|(k, _)| k != "uploadType");
    query.push(("uploadType".into(), "resumable".into()));
    let mut headers = crate::dispatch::pairs(p.headers.clone());
    headers.extend([
        ("X-Upload-Content-Type".to_string(), content_type.clone()),
        ("X-Upload-Content-Length".to_string(), total.to_string()),
        ("Content-Type".to_string(), "application/json; charset=UTF-8".to_string()),
    ]);
    let method = p.method.clone().filter(|m| !m.trim().is_empty()).unwrap_or("POST".into());
    let mut start = call(&method, &path, query, headers);
    start.raw_body = Some(serde_json::to_vec(&p.metadata.clone().unwrap_or(Value::Object(Map::new())))?);
    let started = actions.request(start).await?;
    if !(200..300).contains(&started.status) {
        return Err(answered(&started, "starting the upload"));
    }
    let session = session_of(&started, &path)?;

    // 2. The chunks, resuming where the provider says it stands after a failure.
    let ask_where_it_stands = || {
        call("PUT", &session.path, session.query.clone(), vec![("Content-Range".into(), format!("bytes */{total}"))])
    };
    let mut offset = 0u64;
    // The most the provider ever said it holds: only going past it is progress (a provider
    // whose answers go back and forth cannot keep the upload alive forever).
    let mut high_water = 0u64;
    let mut failures = 0u32;
    // Every request an upload may make: each chunk twice, and each allowed failure's question.
    let chunks = total.div_ceil(chunk_size).max(1);
    let budget = chunks.saturating_mul(2).saturating_add(u64::from(MAX_RESUMES) * 4 + 2);
    let mut requests = 0u64;
    let mut spend = || -> Result<()> {
        requests += 1;
        if requests > budget {
            return Err(Error::new(
                ErrorKind::Server,
                format!("the upload made {budget} requests without finishing: the provider's answers do not add up"),
            ));
        }
        Ok(())
    };
    loop {
        let request = if offset < total || total == 0 {
            let end = total.min(offset.saturating_add(chunk_size));
            let range =
                if total == 0 { "bytes */0".to_string() } else { format!("bytes {offset}-{}/{total}", end - 1) };
            let mut put = call("PUT", &session.path, session.query.clone(), vec![("Content-Range".into(), range)]);
            put.headers.push(("Content-Type".into(), content_type.clone()));
            put.raw_body = Some(data.slice(offset, end).await?);
            put
        } else {
            // Every byte was sent but the provider did not say it is done: ask.
            ask_where_it_stands()
        };
        spend()?;
        let answer = match actions.request(request).await {
            Ok(answer) if !retry_later(answer.status) => Some(answer),
            Ok(answer) => {
                count_failure(&mut failures, answered(&answer, "uploading"))?;
                None
            }
            Err(e) if transient(&e) => {
                count_failure(&mut failures, e)?;
                None
            }
            Err(e) => return Err(e),
        };
        // 3. Dropped or refused for now: ask the provider how much it holds. That answer's lack
        // of progress was counted with the failure.
        let (answer, counts) = match answer {
            Some(answer) => (answer, true),
            None => {
                tokio::time::sleep(backoff(failures)).await;
                spend()?;
                match actions.request(ask_where_it_stands()).await {
                    Ok(answer) if !retry_later(answer.status) => (answer, false),
                    Ok(_) => continue,
                    Err(e) if transient(&e) => continue,
                    Err(e) => return Err(e),
                }
            }
        };
        match answer.status {
            200 | 201 => {
                if let Some(report) = &progress {
                    report(total, total)?;
                }
                return Ok(answer);
            }
            308 => {
                let held = held_bytes(&answer)?;
                if held > total {
                    return Err(Error::new(
                        ErrorKind::Server,
                        format!("the provider says it holds {held} bytes of a {total}-byte upload"),
                    ));
                }
                offset = held;
                if held > high_water {
                    high_water = held;
                    failures = 0;
                    if let Some(report) = &progress {
                        report(held, total)?;
                    }
                } else if counts {
                    count_failure(&mut failures, Error::new(ErrorKind::Server, "the provider took nothing new"))?;
                    tokio::time::sleep(backoff(failures)).await;
                }
            }
            404 | 410 => return Err(Error::new(
                ErrorKind::NotFound,
                "the provider no longer knows this upload session (it expires after a week): start the upload again",
            )
            .with_status(answer.status)),
            _ => return Err(answered(&answer, "uploading")),
        }
    }
}

/// Failures that leave the session as it was: the network, a deadline, the gateway unable to
/// reach the provider.
fn transient(e: &Error) -> bool {
    matches!(e.kind(), ErrorKind::Transport | ErrorKind::Timeout | ErrorKind::Unavailable)
}

/// One more failure in a row; past `MAX_RESUMES`, the upload gives up with the last one.
fn count_failure(failures: &mut u32, last: Error) -> Result<()> {
    *failures += 1;
    if *failures <= MAX_RESUMES {
        return Ok(());
    }
    let message = format!("the upload did not resume after {MAX_RESUMES} attempts: {}", last.message());
    Err(Error::new(last.kind(), message).with_status(last.status()))
}

/// Answers that mean "try again later" in Google's protocol (5xx, 408, 429), and the gateway's own
/// 502/503/504 when the provider could not be reached.
fn retry_later(status: u16) -> bool {
    matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
}

/// 0.25 s, 0.5 s, 1 s, … capped at 4 s: about 12 s before an upload gives up.
fn backoff(failures: u32) -> Duration {
    Duration::from_millis(250u64.saturating_mul(1 << failures.saturating_sub(1).min(4)))
}

fn header<'a>(answer: &'a RawResponse, name: &str) -> Option<&'a str> {
    answer.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
}

/// An error answer (the provider's, or the gateway's own), with its message and status.
fn answered(answer: &RawResponse, step: &str) -> Error {
    let err = Error::from_response(answer.status, &answer.body, None);
    // Google's `{"error": {"message": …}}`, else the gateway's own message, else the body's text.
    let provider: Option<Value> = serde_json::from_slice(&answer.body).ok();
    let said = provider
        .as_ref()
        .and_then(|b| b.pointer("/error/message"))
        .and_then(Value::as_str)
        .map(str::to_string)
        .filter(|m| !m.is_empty())
        .unwrap_or_else(|| err.message().to_string());
    let said = if said.is_empty() { String::from_utf8_lossy(&answer.body).chars().take(300).collect() } else { said };
    let message = format!("{step}: HTTP {}: {said}", answer.status);
    Error::new(err.kind(), message).with_status(answer.status)
}

/// How many bytes the provider holds, from a 308's `Range: bytes=0-n` (none: nothing yet).
fn held_bytes(answer: &RawResponse) -> Result<u64> {
    let Some(range) = header(answer, "range") else { return Ok(0) };
    range
        .trim()
        .strip_prefix("bytes=0-")
        .and_then(|n| n.parse::<u64>().ok())
        .and_then(|last| last.checked_add(1))
        .ok_or_else(|| Error::new(ErrorKind::Server, format!("the provider's Range header {range:?} is not bytes=0-n")))
}

/// The session URI from `Location`, as the upload's own path and the session's query. A URI
/// whose path is not the upload's is refused: the proxy sends under the connection's API base
/// only, and this keeps the SDK from following a provider elsewhere.
fn session_of(answer: &RawResponse, path: &str) -> Result<Session> {
    let location = header(answer, "location").ok_or_else(|| {
        Error::new(ErrorKind::Server, "the provider started no upload session: its answer has no Location header")
    })?;
    let uri = url::Url::parse(location)
        .map_err(|e| Error::new(ErrorKind::Server, format!("the provider's session URI is not a URL: {e}")))?;
    let wanted = crate::model::proxy_path::encode_caller_path(path)?;
    if !uri.path().ends_with(&wanted) {
        return Err(Error::new(
            ErrorKind::Server,
            format!("the provider's session URI names another path than {path}: it is not sent anywhere"),
        ));
    }
    let query = uri.query_pairs().into_owned().collect();
    Ok(Session { path: path.to_string(), query })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(status: u16, headers: &[(&str, &str)]) -> RawResponse {
        RawResponse {
            status,
            headers: headers.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            body: vec![],
        }
    }

    #[test]
    fn a_308_says_how_much_the_provider_holds() {
        assert_eq!(held_bytes(&answer(308, &[("Range", "bytes=0-262143")])).unwrap(), 262_144);
        assert_eq!(held_bytes(&answer(308, &[])).unwrap(), 0);
        assert!(held_bytes(&answer(308, &[("range", "bytes=5-9")])).is_err());
        assert!(held_bytes(&answer(308, &[("range", "bytes=0-18446744073709551615")])).is_err());
    }

    #[test]
    fn the_session_uri_must_be_the_uploads_own_path() {
        let ok = answer(
            200,
            &[("location", "https://www.googleapis.com/upload/drive/v3/files?uploadType=resumable&upload_id=xa")],
        );
        let s = session_of(&ok, "/upload/drive/v3/files").unwrap();
        assert_eq!(s.path, "/upload/drive/v3/files");
        assert!(s.query.contains(&("upload_id".into(), "xa".into())));
        let elsewhere = answer(200, &[("location", "https://evil.test/collect?upload_id=xa")]);
        assert!(session_of(&elsewhere, "/upload/drive/v3/files").is_err());
        assert!(session_of(&answer(200, &[]), "/upload/drive/v3/files").is_err());
    }

    #[test]
    fn backoff_grows_and_stops_at_four_seconds() {
        assert_eq!(backoff(1), Duration::from_millis(250));
        assert_eq!(backoff(2), Duration::from_millis(500));
        assert_eq!(backoff(9), Duration::from_secs(4));
    }
}
