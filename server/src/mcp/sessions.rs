//! Legacy HTTP+SSE sessions: in memory and bounded, since their event stream is a connection to
//! this process. (Streamable HTTP sessions live in the database, `store::mcp_sessions`, so any
//! replica serves them.)

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::mpsc;

/// Open legacy SSE sessions (in memory: a restart makes clients reconnect, as the spec allows).
/// Bounded: a session idle for [`SESSION_IDLE_TTL`] ends, and one URL holds at most
/// [`SESSIONS_PER_URL`] (opening another ends its least recently used one).
#[derive(Default, Clone)]
pub struct Sessions {
    open: Arc<Mutex<HashMap<String, Session>>>,
}

struct Session {
    owner: String,
    /// The legacy SSE stream answers are sent to.
    stream: Option<SessionStream>,
    last_seen: Instant,
}

/// How long an unused session lives.
pub const SESSION_IDLE_TTL: Duration = Duration::from_secs(3600);
/// Most open sessions one MCP URL (instance or config) may hold.
pub const SESSIONS_PER_URL: usize = 64;
/// Most messages one JSON-RPC batch may carry.
pub const MAX_BATCH: usize = 32;

impl Sessions {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.open.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(crate) fn open(&self, owner: &str, stream: Option<SessionStream>) -> String {
        let id = uuid::Uuid::new_v4().simple().to_string();
        let now = Instant::now();
        let mut open = self.lock();
        open.retain(|_, s| now.duration_since(s.last_seen) < SESSION_IDLE_TTL);
        let mine: Vec<(&String, Instant)> =
            open.iter().filter(|(_, s)| s.owner == owner).map(|(id, s)| (id, s.last_seen)).collect();
        if mine.len() >= SESSIONS_PER_URL {
            if let Some(oldest) = mine.iter().min_by_key(|(_, seen)| *seen).map(|(id, _)| (*id).clone()) {
                open.remove(&oldest);
            }
        }
        open.insert(id.clone(), Session { owner: owner.to_string(), stream, last_seen: now });
        id
    }

    /// Is `id` a live session of this URL? Marks it used.
    pub(crate) fn belongs(&self, id: &str, owner: &str) -> bool {
        let mut open = self.lock();
        match open.get_mut(id) {
            Some(s) if s.owner == owner && s.last_seen.elapsed() < SESSION_IDLE_TTL => {
                s.last_seen = Instant::now();
                true
            }
            _ => false,
        }
    }

    pub(crate) fn stream(&self, id: &str, owner: &str) -> Option<SessionStream> {
        if !self.belongs(id, owner) {
            return None;
        }
        self.lock().get(id).and_then(|s| s.stream.clone())
    }

    /// Ends a session of this URL (another URL's session id is "unknown").
    pub(crate) fn close(&self, id: &str, owner: &str) -> bool {
        let mut open = self.lock();
        if open.get(id).is_some_and(|s| s.owner == owner) {
            open.remove(id);
            return true;
        }
        false
    }

    /// At shutdown: every legacy SSE stream gets a last message saying so, then ends (its
    /// session with it).
    pub fn close_streams(&self) {
        let mut open = self.lock();
        let goodbye = serde_json::json!({
            "jsonrpc": "2.0",
            "method": "notifications/message",
            "params": {"level": "notice", "logger": "agentkit", "data": "the server is shutting down; reconnect"}
        });
        open.retain(|_, session| match session.stream.take() {
            Some(stream) => {
                if let Ok(slot) = stream.reserve() {
                    slot.send(goodbye.to_string());
                }
                false
            }
            None => true,
        });
    }
}

/// Answers one legacy SSE stream may hold unread.
pub const STREAM_QUEUE_MESSAGES: usize = 64;
/// Bytes of answers one legacy SSE stream may hold unread (a tool answer is itself capped well
/// below this).
pub const STREAM_QUEUE_BYTES: usize = 16 * 1024 * 1024;

/// The sending side of a legacy SSE session's answer queue, bounded in messages and bytes.
#[derive(Clone)]
pub(crate) struct SessionStream {
    queue: mpsc::Sender<String>,
    /// Bytes of serialized answers queued and not yet taken by the stream.
    queued_bytes: Arc<AtomicUsize>,
}

/// Why no answer can be queued.
pub(crate) enum QueueFull {
    /// The client is not reading its stream.
    Full,
    /// The stream is gone.
    Closed,
}

/// Room for one answer, taken before the message that produces it runs.
pub(crate) struct AnswerSlot {
    permit: mpsc::OwnedPermit<String>,
    queued_bytes: Arc<AtomicUsize>,
}

impl AnswerSlot {
    pub(crate) fn send(self, text: String) {
        self.queued_bytes.fetch_add(text.len(), Ordering::AcqRel);
        self.permit.send(text);
    }
}

/// The receiving side, read by the SSE response (what it never takes goes with the stream).
pub(crate) struct StreamAnswers {
    answers: mpsc::Receiver<String>,
    queued_bytes: Arc<AtomicUsize>,
}

impl StreamAnswers {
    pub(crate) async fn recv(&mut self) -> Option<String> {
        let text = self.answers.recv().await?;
        self.queued_bytes.fetch_sub(text.len(), Ordering::AcqRel);
        Some(text)
    }
}

impl SessionStream {
    pub(crate) fn new() -> (SessionStream, StreamAnswers) {
        let (queue, answers) = mpsc::channel(STREAM_QUEUE_MESSAGES);
        let queued_bytes = Arc::new(AtomicUsize::new(0));
        (SessionStream { queue, queued_bytes: queued_bytes.clone() }, StreamAnswers { answers, queued_bytes })
    }

    /// Room for one more answer, unless the stream holds its limit of messages or bytes.
    pub(crate) fn reserve(&self) -> Result<AnswerSlot, QueueFull> {
        if self.queued_bytes.load(Ordering::Acquire) >= STREAM_QUEUE_BYTES {
            return Err(QueueFull::Full);
        }
        match self.queue.clone().try_reserve_owned() {
            Ok(permit) => Ok(AnswerSlot { permit, queued_bytes: self.queued_bytes.clone() }),
            Err(mpsc::error::TrySendError::Full(_)) => Err(QueueFull::Full),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(QueueFull::Closed),
        }
    }
}

/// Ends a legacy SSE session when its stream is dropped (the client went away).
pub(crate) struct EndWithStream {
    pub(crate) sessions: Sessions,
    pub(crate) id: String,
    pub(crate) owner: String,
}

impl Drop for EndWithStream {
    fn drop(&mut self) {
        self.sessions.close(&self.id, &self.owner);
    }
}
