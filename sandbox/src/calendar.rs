//! The Google Calendar API subset: `/calendar/v3/calendars/{calendarId}/events` list, insert, get,
//! patch and delete, per user and calendar id, with Google's incremental sync (sync tokens,
//! cancelled tombstones, `410 fullSyncRequired`). Every new calendar starts with two events.
//!
//! Every insert, update and delete bumps the calendar's change sequence and stamps it on the event.
//! A sync token, `sync-<calendar>-<seq>`, is the sequence it was issued at: a list with it returns
//! the events stamped later, deleted ones included. A page token carries the listing's context (the
//! sync token's sequence, the sequence the listing started at, its order and the last key served),
//! so the pages of one listing end with the sync token of the moment the first page was read.

use std::collections::HashMap;

use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat, Utc};
use serde_json::{json, Map, Value};

use agentkit_core::model::query::QueryMap;

use crate::{user_of, Shared};

/// Fields the server owns: a client's values for them are ignored (`status` is read apart).
const SERVER_FIELDS: &[&str] = &[
    "kind",
    "etag",
    "id",
    "status",
    "htmlLink",
    "created",
    "updated",
    "creator",
    "organizer",
    "iCalUID",
    "sequence",
    "hangoutLink",
];

/// Query parameters Google refuses next to a `syncToken` (Events.list reference).
const NOT_WITH_SYNC_TOKEN: &[(&str, &str)] = &[
    ("time_min", "timeMin"),
    ("time_max", "timeMax"),
    ("q", "q"),
    ("order_by", "orderBy"),
    ("updated_min", "updatedMin"),
    ("i_cal_u_i_d", "iCalUID"),
];

/// The organizer of the events `POST /sandbox/calendar/event` invites users to.
const INVITER: &str = "someone@example.com";

/// Seeded events: summary, description, location, days from the seeding day, start hour, minutes.
const SEED: &[(&str, &str, &str, i64, u32, i64)] = &[
    ("Weekly team sync", "Agenda: roadmap, hiring, open issues.", "Room 4", 1, 9, 30),
    ("1:1 with Priya", "Q3 goals and the launch plan.", "", 2, 14, 45),
];

pub(crate) struct Event {
    /// Insertion order: the default list order and the generated id's suffix.
    counter: u64,
    id: String,
    /// `confirmed`, `tentative` or `cancelled` (a deleted event, kept as a tombstone).
    status: String,
    /// The client's fields: summary, description, location, start, end, attendees, recurrence, ….
    fields: Map<String, Value>,
    organizer: String,
    /// Whether the calendar's user organizes it (false for an invitation from someone else).
    own: bool,
    created: i64,
    updated: i64,
    sequence: u64,
    /// The calendar's change sequence at the event's last insert, update or delete.
    changed_at: u64,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Order {
    /// Insertion order (Google's is "unspecified, stable").
    Default,
    StartTime,
    Updated,
}

impl Event {
    fn start_ms(&self) -> i64 {
        self.fields.get("start").and_then(instant_ms).unwrap_or(0)
    }

    fn end_ms(&self) -> i64 {
        self.fields.get("end").and_then(instant_ms).unwrap_or(0)
    }

    /// The event's position in a listing of that order (the page token's cursor).
    fn key(&self, order: Order) -> (i64, u64) {
        match order {
            Order::Default => (0, self.counter),
            Order::StartTime => (self.start_ms(), self.counter),
            Order::Updated => (self.updated, self.counter),
        }
    }

    /// What `q` searches: summary, description, location, attendees and organizer, lowercased.
    fn text(&self) -> String {
        let field = |k: &str| self.fields.get(k).and_then(Value::as_str).unwrap_or_default().to_lowercase();
        let mut text =
            format!("{} {} {} {}", field("summary"), field("description"), field("location"), self.organizer);
        for a in self.fields.get("attendees").and_then(Value::as_array).into_iter().flatten() {
            for k in ["email", "displayName"] {
                text.push(' ');
                text.push_str(&a.get(k).and_then(Value::as_str).unwrap_or_default().to_lowercase());
            }
        }
        text
    }

    /// Google's `Event` resource; `calendar` is the calendar's address (in `htmlLink`).
    fn resource(&self, calendar: &str) -> Value {
        let mut v = self.fields.clone();
        let person =
            if self.own { json!({"email": self.organizer, "self": true}) } else { json!({"email": self.organizer}) };
        let eid = B64URL.encode(format!("{} {calendar}", self.id));
        for (k, val) in [
            ("kind", json!("calendar#event")),
            ("etag", json!(format!("\"{}\"", self.updated * 1000 + (self.sequence % 1000) as i64))),
            ("id", json!(self.id)),
            ("status", json!(self.status)),
            ("htmlLink", json!(format!("https://www.google.com/calendar/event?eid={eid}"))),
            ("created", json!(rfc3339(self.created))),
            ("updated", json!(rfc3339(self.updated))),
            ("creator", person.clone()),
            ("organizer", person),
            ("iCalUID", json!(format!("{}@google.com", self.id))),
            ("sequence", json!(self.sequence)),
        ] {
            v.insert(k.to_string(), val);
        }
        v.entry("eventType").or_insert_with(|| json!("default"));
        v.entry("reminders").or_insert_with(|| json!({"useDefault": true}));
        Value::Object(v)
    }
}

pub(crate) struct Calendar {
    /// The calendar's title: a primary calendar's is its user's address, another's its id.
    summary: String,
    events: Vec<Event>,
    /// The change sequence: every insert, update and delete of an event bumps it.
    seq: u64,
    /// Sync tokens issued below this sequence answer 410 (`invalidate_sync_tokens`).
    tokens_valid_from: u64,
    /// The last modification (ms): strictly increasing, so every change has a newer `updated`.
    last_modified: i64,
}

impl Calendar {
    fn seeded(summary: &str, next_event: &mut u64) -> Calendar {
        let mut cal = Calendar {
            summary: summary.to_string(),
            events: Vec::new(),
            seq: 0,
            tokens_valid_from: 0,
            last_modified: 0,
        };
        let today = Utc::now().date_naive();
        for (title, description, location, days, hour, minutes) in SEED {
            let start = (today + chrono::Duration::days(*days)).and_hms_opt(*hour, 0, 0).unwrap_or_default().and_utc();
            let end = start + chrono::Duration::minutes(*minutes);
            let mut fields = Map::new();
            fields.insert("summary".into(), json!(title));
            fields.insert("description".into(), json!(description));
            if !location.is_empty() {
                fields.insert("location".into(), json!(location));
            }
            fields.insert("start".into(), json!({"dateTime": rfc3339_secs(start), "timeZone": "UTC"}));
            fields.insert("end".into(), json!({"dateTime": rfc3339_secs(end), "timeZone": "UTC"}));
            fields.insert(
                "attendees".into(),
                json!([{"email": summary, "self": true, "organizer": true, "responseStatus": "accepted"},
                       {"email": "priya@acme.test", "responseStatus": "needsAction"}]),
            );
            cal.add(next_event, None, fields, summary, true);
        }
        cal
    }

    /// A strictly increasing modification time (ms) for a change happening now.
    fn tick(&mut self) -> i64 {
        self.last_modified = Utc::now().timestamp_millis().max(self.last_modified + 1);
        self.last_modified
    }

    /// Bumps the change sequence for a change of `events[i]` and stamps the event.
    fn touch(&mut self, i: usize) {
        let now = self.tick();
        self.seq += 1;
        let event = &mut self.events[i];
        event.updated = now;
        event.changed_at = self.seq;
    }

    fn add(
        &mut self,
        next_event: &mut u64,
        id: Option<String>,
        fields: Map<String, Value>,
        organizer: &str,
        own: bool,
    ) -> usize {
        *next_event += 1;
        let counter = *next_event;
        let now = self.tick();
        self.events.push(Event {
            counter,
            id: id.unwrap_or_else(|| format!("evt{counter:013x}")),
            status: "confirmed".into(),
            fields,
            organizer: organizer.to_string(),
            own,
            created: now,
            updated: now,
            sequence: 0,
            changed_at: 0,
        });
        let i = self.events.len() - 1;
        self.touch(i);
        i
    }

    fn position(&self, id: &str) -> Option<usize> {
        self.events.iter().position(|e| e.id == id)
    }
}

/// Every user's calendars, by (user, calendar id); `primary` (or the user's own name) is theirs.
#[derive(Default)]
pub(crate) struct Calendars {
    calendars: HashMap<(String, String), Calendar>,
    next_event: u64,
}

impl Calendars {
    /// The user's calendar, created (and seeded) on first use.
    fn calendar(&mut self, user: &str, calendar_id: &str) -> &mut Calendar {
        self.entry(user, calendar_id).0
    }

    /// The user's calendar, created (and seeded) on first use, and the event counter.
    fn entry(&mut self, user: &str, calendar_id: &str) -> (&mut Calendar, &mut u64) {
        let id = canonical(user, calendar_id);
        let summary = address(user, &id);
        let next_event = &mut self.next_event;
        let cal =
            self.calendars.entry((user.to_string(), id)).or_insert_with(|| Calendar::seeded(&summary, next_event));
        (cal, next_event)
    }

    /// Makes every sync token issued so far for the user's calendars answer 410.
    pub(crate) fn invalidate_sync_tokens(&mut self, user: &str) {
        for ((owner, _), cal) in self.calendars.iter_mut() {
            if owner == user {
                cal.seq += 1;
                cal.tokens_valid_from = cal.seq;
            }
        }
    }
}

/// `primary` for the user's own calendar however it is named (Google accepts their address).
fn canonical(user: &str, calendar_id: &str) -> String {
    if calendar_id == user {
        "primary".to_string()
    } else {
        calendar_id.to_string()
    }
}

/// The calendar's address (a primary calendar's is its user's).
fn address(user: &str, calendar_id: &str) -> String {
    if calendar_id == "primary" {
        user.to_string()
    } else {
        calendar_id.to_string()
    }
}

fn rfc3339(ms: i64) -> String {
    DateTime::from_timestamp_millis(ms).unwrap_or_default().to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn rfc3339_secs(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// Milliseconds since the epoch of an `EventDateTime` (`dateTime`, or `date` for all-day events);
/// a local `dateTime` (no offset) is read as UTC, whatever its `timeZone`.
fn instant_ms(v: &Value) -> Option<i64> {
    if let Some(dt) = v.get("dateTime").and_then(Value::as_str) {
        if let Ok(t) = DateTime::parse_from_rfc3339(dt) {
            return Some(t.timestamp_millis());
        }
        return NaiveDateTime::parse_from_str(dt, "%Y-%m-%dT%H:%M:%S%.f").ok().map(|t| t.and_utc().timestamp_millis());
    }
    let date = NaiveDate::parse_from_str(v.get("date")?.as_str()?, "%Y-%m-%d").ok()?;
    date.and_hms_opt(0, 0, 0).map(|t| t.and_utc().timestamp_millis())
}

/// Google's Calendar error body: `{"error": {"code", "message", "errors": [{domain, reason}], "status"}}`.
fn calendar_error(status: StatusCode, message: &str, domain: &str, reason: &str) -> Response {
    let name = match status.as_u16() {
        400 => "INVALID_ARGUMENT",
        404 => "NOT_FOUND",
        409 => "ALREADY_EXISTS",
        410 => "GONE",
        _ => "UNKNOWN",
    };
    let body = json!({"error": {
        "code": status.as_u16(),
        "message": message,
        "errors": [{"domain": domain, "reason": reason, "message": message}],
        "status": name,
    }});
    (status, Json(body)).into_response()
}

fn bad_request(message: &str, reason: &str) -> Response {
    calendar_error(StatusCode::BAD_REQUEST, message, "global", reason)
}

fn not_found() -> Response {
    calendar_error(StatusCode::NOT_FOUND, "Not Found", "global", "notFound")
}

fn deleted() -> Response {
    calendar_error(StatusCode::GONE, "Resource has been deleted", "global", "deleted")
}

fn full_sync_required() -> Response {
    calendar_error(
        StatusCode::GONE,
        "Sync token is no longer valid, a full sync is required.",
        "calendar",
        "fullSyncRequired",
    )
}

/// `start`/`end` present, parseable, of one kind (`date` or `dateTime`) and in order.
#[allow(clippy::result_large_err)] // the Err is the HTTP answer itself
fn check_times(fields: &Map<String, Value>) -> Result<(), Response> {
    let instant = |which: &str| -> Result<(i64, bool), Response> {
        let Some(v) = fields.get(which).filter(|v| v.is_object()) else {
            return Err(bad_request(&format!("Missing {which} time."), "required"));
        };
        let all_day = v.get("dateTime").is_none();
        if all_day && v.get("date").is_none() {
            return Err(bad_request(&format!("Missing {which} time."), "required"));
        }
        if let Some(dt) = v.get("dateTime").and_then(Value::as_str) {
            let has_zone = v.get("timeZone").and_then(Value::as_str).is_some_and(|z| !z.is_empty());
            if DateTime::parse_from_rfc3339(dt).is_err() && !has_zone {
                return Err(bad_request(&format!("Missing time zone definition for {which} time."), "required"));
            }
        }
        match instant_ms(v) {
            Some(ms) => Ok((ms, all_day)),
            None => Err(bad_request(&format!("Invalid {which} time."), "invalid")),
        }
    };
    let (start, start_all_day) = instant("start")?;
    let (end, end_all_day) = instant("end")?;
    if start_all_day != end_all_day {
        return Err(bad_request("Start and end times must either both be date or both be dateTime.", "invalid"));
    }
    if end < start {
        return Err(bad_request("The specified time range is empty.", "timeRangeEmpty"));
    }
    Ok(())
}

/// Attendees with Google's defaults: `responseStatus: needsAction`, `self` for the user.
#[allow(clippy::result_large_err)] // the Err is the HTTP answer itself
fn attendees(v: &Value, user: &str) -> Result<Value, Response> {
    let Some(list) = v.as_array() else {
        return Err(bad_request("Invalid value for attendees.", "invalid"));
    };
    let mut out = Vec::with_capacity(list.len());
    for a in list {
        let Some(email) = a.get("email").and_then(Value::as_str).filter(|e| !e.is_empty()) else {
            return Err(bad_request("Missing attendee email.", "required"));
        };
        let mut a = a.as_object().cloned().unwrap_or_default();
        a.entry("responseStatus").or_insert_with(|| json!("needsAction"));
        if email.eq_ignore_ascii_case(user) {
            a.insert("self".into(), json!(true));
        }
        out.push(Value::Object(a));
    }
    Ok(Value::Array(out))
}

/// The Meet conference Google attaches for a `conferenceData.createRequest`; and its link.
fn new_conference(request: &Value) -> (Value, String) {
    let letters: String = uuid::Uuid::new_v4().as_bytes().iter().take(10).map(|b| (b'a' + b % 26) as char).collect();
    let code = format!("{}-{}-{}", &letters[..3], &letters[3..7], &letters[7..]);
    let link = format!("https://meet.google.com/{code}");
    let data = json!({
        "createRequest": {
            "requestId": request.get("requestId").cloned().unwrap_or(Value::Null),
            "conferenceSolutionKey": {"type": "hangoutsMeet"},
            "status": {"statusCode": "success"},
        },
        "entryPoints": [{"entryPointType": "video", "uri": link, "label": format!("meet.google.com/{code}")}],
        "conferenceSolution": {"key": {"type": "hangoutsMeet"}, "name": "Google Meet"},
        "conferenceId": code,
    });
    (data, link)
}

fn merge(into: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (k, v) in patch {
        match (into.get_mut(k), v) {
            (_, Value::Null) => {
                into.remove(k);
            }
            (Some(Value::Object(existing)), Value::Object(p)) => merge(existing, p),
            _ => {
                into.insert(k.clone(), v.clone());
            }
        }
    }
}

/// Applies a client's event fields with Google's patch semantics: nested objects merge, arrays,
/// `start` and `end` are replaced, `null` clears; conference data only with
/// `conferenceDataVersion=1`. Then checks the times.
#[allow(clippy::result_large_err)] // the Err is the HTTP answer itself
fn apply(
    fields: &mut Map<String, Value>,
    body: &Map<String, Value>,
    user: &str,
    conference: bool,
) -> Result<(), Response> {
    for (key, value) in body.iter().filter(|(k, _)| !SERVER_FIELDS.contains(&k.as_str())) {
        match (key.as_str(), value) {
            ("conferenceData", _) if !conference => {}
            (_, Value::Null) => {
                fields.remove(key);
                if key == "conferenceData" {
                    fields.remove("hangoutLink");
                }
            }
            ("conferenceData", v) if v.get("createRequest").is_some() => {
                let (data, link) = new_conference(&v["createRequest"]);
                fields.insert(key.clone(), data);
                fields.insert("hangoutLink".into(), json!(link));
            }
            ("attendees", v) => {
                fields.insert(key.clone(), attendees(v, user)?);
            }
            ("start" | "end", v) => {
                fields.insert(key.clone(), v.clone());
            }
            (_, Value::Object(patch)) => match fields.get_mut(key) {
                Some(Value::Object(existing)) => merge(existing, patch),
                _ => {
                    fields.insert(key.clone(), value.clone());
                }
            },
            _ => {
                fields.insert(key.clone(), value.clone());
            }
        }
    }
    check_times(fields)
}

/// A client's `status`: `tentative` or `confirmed` (deleting is what cancels).
fn client_status(body: &Map<String, Value>) -> Option<String> {
    body.get("status").and_then(Value::as_str).filter(|s| *s == "tentative" || *s == "confirmed").map(String::from)
}

#[allow(clippy::result_large_err)] // the Err is the HTTP answer itself
fn parse_body(body: &Bytes) -> Result<Map<String, Value>, Response> {
    if body.is_empty() {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(m)) => Ok(m),
        _ => Err(bad_request("Parse Error", "parseError")),
    }
}

/// The context a listing's pages share, opaque to clients (base64url of dotted fields).
#[derive(Debug, PartialEq)]
struct PageToken {
    /// The sync token's sequence: only events changed after it (an incremental sync).
    since: Option<u64>,
    /// The sequence when the first page was read: the listing's `nextSyncToken`.
    upto: u64,
    order: Order,
    /// The key of the last event served.
    after: Option<(i64, u64)>,
}

impl PageToken {
    fn encode(&self) -> String {
        let since = self.since.map_or("-".to_string(), |s| s.to_string());
        let order = match self.order {
            Order::Default => 'd',
            Order::StartTime => 's',
            Order::Updated => 'u',
        };
        let (key, counter) = self.after.unwrap_or((0, 0));
        B64URL.encode(format!("{since}.{}.{order}.{key}.{counter}", self.upto))
    }

    fn decode(token: &str) -> Option<PageToken> {
        let text = String::from_utf8(B64URL.decode(token).ok()?).ok()?;
        let parts: Vec<&str> = text.split('.').collect();
        let [since, upto, order, key, counter] = parts.as_slice() else {
            return None;
        };
        Some(PageToken {
            since: if *since == "-" { None } else { Some(since.parse().ok()?) },
            upto: upto.parse().ok()?,
            order: match *order {
                "d" => Order::Default,
                "s" => Order::StartTime,
                "u" => Order::Updated,
                _ => return None,
            },
            after: Some((key.parse().ok()?, counter.parse().ok()?)),
        })
    }
}

/// `GET /calendar/v3/calendars/{calendarId}/events`: Events.list, a full or incremental sync.
pub(crate) async fn list_events(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(calendar_id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Response {
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    let user = match user_of(&s, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let q = QueryMap::parse(raw.as_deref());
    let max = match q.get_u32("max_results") {
        Ok(v) => v.unwrap_or(250).clamp(1, 2500) as usize,
        Err(_) => {
            let v = q.get("max_results").unwrap_or_default();
            return bad_request(&format!("Invalid value '{v}'. Values must be within the range: [1, 2500]"), "invalid");
        }
    };
    let sync_token = q.get("sync_token");
    if sync_token.is_some() {
        if let Some((_, name)) = NOT_WITH_SYNC_TOKEN.iter().find(|(key, _)| q.get(key).is_some()) {
            return bad_request(&format!("The {name} parameter cannot be used together with syncToken."), "invalid");
        }
    }
    let mut bounds = [None, None];
    for (bound, key) in bounds.iter_mut().zip(["time_min", "time_max"]) {
        if let Some(v) = q.get(key) {
            match DateTime::parse_from_rfc3339(&v) {
                Ok(t) => *bound = Some(t.timestamp_millis()),
                Err(_) => return bad_request("Bad Request", "badRequest"),
            }
        }
    }
    let [time_min, time_max] = bounds;
    let show_deleted = q.get_bool("show_deleted").ok().flatten().unwrap_or(false);
    let words: Vec<String> =
        q.get("q").unwrap_or_default().to_lowercase().split_whitespace().map(String::from).collect();
    let order = match q.get("order_by").as_deref() {
        None => Order::Default,
        Some("startTime") => Order::StartTime,
        Some("updated") => Order::Updated,
        Some(other) => return bad_request(&format!("Invalid value for orderBy: {other}"), "invalid"),
    };
    let id = canonical(&user, &calendar_id);
    let cal = s.calendars.calendar(&user, &calendar_id);
    // The listing's context: the page token's, else the sync token's, else a new full sync.
    let page = match q.get("page_token") {
        Some(t) => match PageToken::decode(&t) {
            Some(page) => page,
            None => return bad_request("Invalid page token value.", "invalid"),
        },
        None => {
            let since = match sync_token {
                None => None,
                Some(t) => {
                    let parsed = t.strip_prefix("sync-").and_then(|rest| rest.rsplit_once('-'));
                    match parsed.and_then(|(c, n)| Some((c, n.parse::<u64>().ok()?))) {
                        Some((c, n)) if c == id => Some(n),
                        _ => return full_sync_required(),
                    }
                }
            };
            PageToken { since, upto: cal.seq, order, after: None }
        }
    };
    if page.since.is_some_and(|since| since < cal.tokens_valid_from || since > cal.seq) {
        return full_sync_required();
    }
    let mut found: Vec<&Event> = cal
        .events
        .iter()
        // Changes after the listing's first page wait for the next sync (the token it ends with).
        .filter(|e| e.changed_at <= page.upto)
        .filter(|e| match page.since {
            Some(since) => e.changed_at > since,
            None => e.status != "cancelled" || show_deleted,
        })
        .filter(|e| time_min.is_none_or(|t| e.end_ms() > t))
        .filter(|e| time_max.is_none_or(|t| e.start_ms() < t))
        .filter(|e| {
            let text = e.text();
            words.iter().all(|w| text.contains(w.as_str()))
        })
        .filter(|e| page.after.is_none_or(|after| e.key(page.order) > after))
        .collect();
    found.sort_by_key(|e| e.key(page.order));
    let calendar = address(&user, &id);
    let items: Vec<Value> = found.iter().take(max).map(|e| e.resource(&calendar)).collect();
    let mut body = json!({
        "kind": "calendar#events",
        "etag": format!("\"{}\"", cal.last_modified * 1000),
        "summary": cal.summary,
        "updated": rfc3339(cal.last_modified),
        "timeZone": "UTC",
        "accessRole": "owner",
        "defaultReminders": [],
        "items": items,
    });
    if found.len() > max {
        let next = PageToken { after: Some(found[max - 1].key(page.order)), ..page };
        body["nextPageToken"] = json!(next.encode());
    } else {
        body["nextSyncToken"] = json!(format!("sync-{id}-{}", page.upto));
    }
    Json(body).into_response()
}

/// `POST /calendar/v3/calendars/{calendarId}/events`: Events.insert.
pub(crate) async fn insert_event(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path(calendar_id): Path<String>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    let user = match user_of(&s, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let conference =
        QueryMap::parse(raw.as_deref()).get_u32("conference_data_version").ok().flatten().unwrap_or(0) >= 1;
    let mut fields = Map::new();
    if let Err(r) = apply(&mut fields, &body, &user, conference) {
        return r;
    }
    let id = body.get("id").and_then(Value::as_str).map(String::from);
    if let Some(id) = &id {
        let base32hex = id.chars().all(|c| c.is_ascii_digit() || ('a'..='v').contains(&c));
        if !(5..=1024).contains(&id.len()) || !base32hex {
            return bad_request("Invalid resource id value.", "invalid");
        }
    }
    let calendar = address(&user, &canonical(&user, &calendar_id));
    let (cal, next_event) = s.calendars.entry(&user, &calendar_id);
    if id.as_deref().is_some_and(|id| cal.position(id).is_some()) {
        return calendar_error(StatusCode::CONFLICT, "The requested identifier already exists.", "global", "duplicate");
    }
    let i = cal.add(next_event, id, fields, &user, true);
    if let Some(status) = client_status(&body) {
        cal.events[i].status = status;
    }
    Json(cal.events[i].resource(&calendar)).into_response()
}

/// `GET /calendar/v3/calendars/{calendarId}/events/{eventId}` (a deleted one has status cancelled).
pub(crate) async fn get_event(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path((calendar_id, event_id)): Path<(String, String)>,
) -> Response {
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    let user = match user_of(&s, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let calendar = address(&user, &canonical(&user, &calendar_id));
    let cal = s.calendars.calendar(&user, &calendar_id);
    match cal.position(&event_id) {
        Some(i) => Json(cal.events[i].resource(&calendar)).into_response(),
        None => not_found(),
    }
}

/// `PATCH /calendar/v3/calendars/{calendarId}/events/{eventId}`: Events.patch.
pub(crate) async fn patch_event(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path((calendar_id, event_id)): Path<(String, String)>,
    RawQuery(raw): RawQuery,
    body: Bytes,
) -> Response {
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    let user = match user_of(&s, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let body = match parse_body(&body) {
        Ok(b) => b,
        Err(r) => return r,
    };
    let conference =
        QueryMap::parse(raw.as_deref()).get_u32("conference_data_version").ok().flatten().unwrap_or(0) >= 1;
    let calendar = address(&user, &canonical(&user, &calendar_id));
    let cal = s.calendars.calendar(&user, &calendar_id);
    let Some(i) = cal.position(&event_id) else {
        return not_found();
    };
    if cal.events[i].status == "cancelled" {
        return deleted();
    }
    let mut fields = cal.events[i].fields.clone();
    if let Err(r) = apply(&mut fields, &body, &user, conference) {
        return r;
    }
    let event = &mut cal.events[i];
    event.fields = fields;
    if let Some(status) = client_status(&body) {
        event.status = status;
    }
    event.sequence += 1;
    cal.touch(i);
    Json(cal.events[i].resource(&calendar)).into_response()
}

/// `DELETE /calendar/v3/calendars/{calendarId}/events/{eventId}`: 204; the event stays as a
/// cancelled tombstone (what an incremental sync reports); deleting it again is 410.
pub(crate) async fn delete_event(
    State(state): State<Shared>,
    headers: HeaderMap,
    Path((calendar_id, event_id)): Path<(String, String)>,
) -> Response {
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    let user = match user_of(&s, &headers) {
        Ok(u) => u,
        Err(r) => return r,
    };
    let cal = s.calendars.calendar(&user, &calendar_id);
    let Some(i) = cal.position(&event_id) else {
        return not_found();
    };
    if cal.events[i].status == "cancelled" {
        return deleted();
    }
    cal.events[i].status = "cancelled".into();
    cal.events[i].sequence += 1;
    cal.touch(i);
    StatusCode::NO_CONTENT.into_response()
}

/// `POST /sandbox/calendar/event {"user", "calendar_id"?, "summary"?, "start"?, "end"?,
/// "organizer"?, "description"?, "location"?}`: someone else invites the user to an event (start
/// and end: RFC 3339 strings or Google `EventDateTime`s; by default the next full hour, one hour
/// long). The event, as the user's calendar shows it.
pub(crate) async fn invite(State(state): State<Shared>, Json(req): Json<Value>) -> Response {
    let text = |k: &str| req.get(k).and_then(Value::as_str).filter(|v| !v.is_empty()).map(String::from);
    let Some(user) = text("user") else {
        return (StatusCode::BAD_REQUEST, Json(json!({"error": "user is required"}))).into_response();
    };
    let calendar_id = text("calendar_id").unwrap_or_else(|| "primary".into());
    let organizer = text("organizer").unwrap_or_else(|| INVITER.into());
    let when = |k: &str| match req.get(k) {
        Some(Value::String(t)) => Some(json!({"dateTime": t, "timeZone": "UTC"})),
        Some(v @ Value::Object(_)) => Some(v.clone()),
        _ => None,
    };
    let start = when("start").unwrap_or_else(|| {
        let now = Utc::now().timestamp();
        let hour = DateTime::from_timestamp(now - now % 3600 + 3600, 0).unwrap_or_default();
        json!({"dateTime": rfc3339_secs(hour), "timeZone": "UTC"})
    });
    let end = when("end").unwrap_or_else(|| match (start.get("date").and_then(Value::as_str), instant_ms(&start)) {
        (Some(_), Some(ms)) => {
            let next_day = DateTime::from_timestamp_millis(ms + 86_400_000).unwrap_or_default();
            json!({"date": next_day.format("%Y-%m-%d").to_string()})
        }
        (_, ms) => {
            let end = DateTime::from_timestamp_millis(ms.unwrap_or(0) + 3_600_000).unwrap_or_default();
            json!({"dateTime": rfc3339_secs(end), "timeZone": "UTC"})
        }
    });
    let mut fields = Map::new();
    fields.insert("summary".into(), json!(text("summary").unwrap_or_else(|| "Meeting".into())));
    for k in ["description", "location"] {
        if let Some(v) = text(k) {
            fields.insert(k.into(), json!(v));
        }
    }
    fields.insert("start".into(), start);
    fields.insert("end".into(), end);
    fields.insert(
        "attendees".into(),
        json!([{"email": organizer, "organizer": true, "responseStatus": "accepted"},
               {"email": user, "self": true, "responseStatus": "needsAction"}]),
    );
    if let Err(r) = check_times(&fields) {
        return r;
    }
    let mut s = state.lock().unwrap_or_else(|p| p.into_inner());
    let calendar = address(&user, &canonical(&user, &calendar_id));
    let (cal, next_event) = s.calendars.entry(&user, &calendar_id);
    let i = cal.add(next_event, None, fields, &organizer, false);
    Json(cal.events[i].resource(&calendar)).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A sandbox on a free port and a client for it.
    struct Sandbox {
        base: String,
        http: reqwest::Client,
        task: tokio::task::JoinHandle<()>,
    }

    impl Drop for Sandbox {
        fn drop(&mut self) {
            self.task.abort();
        }
    }

    impl Sandbox {
        async fn start() -> Sandbox {
            let (addr, task) = crate::start("127.0.0.1:0".parse().expect("address")).await.expect("sandbox starts");
            Sandbox { base: format!("http://{addr}"), http: reqwest::Client::new(), task }
        }

        async fn token(&self, user: &str) -> String {
            let (status, body) = self.call("POST", "/sandbox/tokens", None, &[], Some(json!({"user": user}))).await;
            assert_eq!(status, 200, "{body}");
            body["access_token"].as_str().expect("access_token").to_string()
        }

        async fn call(
            &self,
            method: &str,
            path: &str,
            token: Option<&str>,
            query: &[(&str, &str)],
            body: Option<Value>,
        ) -> (u16, Value) {
            let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
            let mut request = self.http.request(method, format!("{}{path}", self.base)).query(query);
            if let Some(token) = token {
                request = request.bearer_auth(token);
            }
            if let Some(body) = body {
                request = request.json(&body);
            }
            let answer = request.send().await.expect("the sandbox answers");
            let status = answer.status().as_u16();
            let text = answer.text().await.expect("body");
            (status, serde_json::from_str(&text).unwrap_or(Value::Null))
        }

        async fn list(&self, token: &str, query: &[(&str, &str)]) -> (u16, Value) {
            self.call("GET", "/calendar/v3/calendars/primary/events", Some(token), query, None).await
        }

        /// Every page of a listing: the items' ids and statuses, the number of pages, the sync token.
        async fn sync(&self, token: &str, query: &[(&str, &str)]) -> (Vec<Value>, usize, String) {
            let (mut items, mut pages, mut page_token) = (Vec::new(), 0, None::<String>);
            loop {
                let mut q = query.to_vec();
                if let Some(t) = &page_token {
                    q.push(("pageToken", t));
                }
                let (status, body) = self.list(token, &q).await;
                assert_eq!(status, 200, "{body}");
                pages += 1;
                items.extend(body["items"].as_array().expect("items").iter().cloned());
                match body["nextPageToken"].as_str() {
                    Some(next) => {
                        assert!(body.get("nextSyncToken").is_none(), "nextSyncToken only on the last page: {body}");
                        page_token = Some(next.to_string());
                    }
                    None => return (items, pages, body["nextSyncToken"].as_str().expect("nextSyncToken").to_string()),
                }
            }
        }

        async fn insert(&self, token: &str, summary: &str) -> Value {
            let event = json!({
                "summary": summary,
                "start": {"dateTime": "2026-11-26T10:00:00", "timeZone": "Europe/Paris"},
                "end": {"dateTime": "2026-11-26T11:00:00", "timeZone": "Europe/Paris"},
                "attendees": [{"email": "bob@acme.test"}],
            });
            let path = "/calendar/v3/calendars/primary/events";
            let (status, body) = self.call("POST", path, Some(token), &[("sendUpdates", "all")], Some(event)).await;
            assert_eq!(status, 200, "{body}");
            body
        }
    }

    fn ids(items: &[Value]) -> Vec<&str> {
        items.iter().map(|e| e["id"].as_str().expect("id")).collect()
    }

    #[tokio::test]
    async fn full_then_incremental_sync_through_insert_patch_and_delete() {
        let sb = Sandbox::start().await;
        let token = sb.token("alice@acme.test").await;

        // A full sync: the two seeded events, then a sync token.
        let (status, body) = sb.list(&token, &[]).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["kind"], "calendar#events");
        assert_eq!(body["summary"], "alice@acme.test");
        assert_eq!(body["items"].as_array().map(Vec::len), Some(2), "{body}");
        assert!(body.get("nextPageToken").is_none());
        let seeded = &body["items"][0];
        assert_eq!(seeded["kind"], "calendar#event");
        assert_eq!(seeded["status"], "confirmed");
        assert_eq!(seeded["organizer"], json!({"email": "alice@acme.test", "self": true}));
        let token0 = body["nextSyncToken"].as_str().expect("nextSyncToken").to_string();

        // Nothing changed: an incremental sync is empty.
        let (items, _, token1) = sb.sync(&token, &[("syncToken", &token0)]).await;
        assert!(items.is_empty(), "{items:?}");

        // An insert: the incremental sync returns just it.
        let created = sb.insert(&token, "Design review").await;
        let id = created["id"].as_str().expect("id").to_string();
        assert!(id.starts_with("evt"), "{id}");
        assert_eq!(created["kind"], "calendar#event");
        assert_eq!(created["sequence"], 0);
        assert_eq!(created["attendees"], json!([{"email": "bob@acme.test", "responseStatus": "needsAction"}]));
        assert_eq!(created["creator"], json!({"email": "alice@acme.test", "self": true}));
        for field in ["created", "updated"] {
            let at = created[field].as_str().expect(field);
            assert!(at.ends_with('Z') && at.len() == "2026-01-01T00:00:00.000Z".len(), "{field}: {at}");
        }
        let (items, _, token2) = sb.sync(&token, &[("syncToken", &token1)]).await;
        assert_eq!(ids(&items), [id.as_str()]);
        assert_eq!(items[0]["summary"], "Design review");

        // A patch: merged, with a newer `updated`, a higher `sequence`; the sync returns it.
        let path = format!("/calendar/v3/calendars/primary/events/{id}");
        let (status, patched) = sb.call("PATCH", &path, Some(&token), &[], Some(json!({"location": "Room 2"}))).await;
        assert_eq!(status, 200, "{patched}");
        assert_eq!(patched["summary"], "Design review");
        assert_eq!(patched["location"], "Room 2");
        let (items, _, token3) = sb.sync(&token, &[("syncToken", &token2)]).await;
        assert_eq!(ids(&items), [id.as_str()]);
        let updated =
            |e: &Value| DateTime::parse_from_rfc3339(e["updated"].as_str().expect("updated")).expect("rfc3339");
        assert!(updated(&items[0]) > updated(&created), "{} !> {}", items[0]["updated"], created["updated"]);
        assert_eq!(items[0]["sequence"], 1);
        assert_eq!(items[0]["location"], "Room 2");

        // A delete: 204, then the sync returns it cancelled; a full sync leaves it out.
        let (status, _) = sb.call("DELETE", &path, Some(&token), &[], None).await;
        assert_eq!(status, 204);
        let (items, _, _) = sb.sync(&token, &[("syncToken", &token3)]).await;
        assert_eq!(ids(&items), [id.as_str()]);
        assert_eq!(items[0]["status"], "cancelled");
        let (full, _, _) = sb.sync(&token, &[]).await;
        assert_eq!(full.len(), 2);
        let (with_deleted, _, _) = sb.sync(&token, &[("showDeleted", "true")]).await;
        assert_eq!(with_deleted.len(), 3);
        let (status, got) = sb.call("GET", &path, Some(&token), &[], None).await;
        assert_eq!((status, &got["status"]), (200, &json!("cancelled")));
        let (status, body) = sb.call("DELETE", &path, Some(&token), &[], None).await;
        assert_eq!(status, 410, "{body}");
        assert_eq!(body["error"]["message"], "Resource has been deleted");

        // An unknown event is Google's 404.
        let unknown = "/calendar/v3/calendars/primary/events/nosuchevent";
        let (status, body) = sb.call("PATCH", unknown, Some(&token), &[], Some(json!({"summary": "x"}))).await;
        assert_eq!(status, 404, "{body}");
        assert_eq!(body["error"]["message"], "Not Found");
        assert_eq!(sb.call("GET", unknown, Some(&token), &[], None).await.0, 404);
    }

    #[tokio::test]
    async fn an_incremental_sync_pages_and_ends_with_the_token_of_its_first_page() {
        let sb = Sandbox::start().await;
        let token = sb.token("bob").await;
        let (_, _, start) = sb.sync(&token, &[]).await;
        let mut inserted = Vec::new();
        for n in 0..3 {
            inserted.push(sb.insert(&token, &format!("Event {n}")).await["id"].as_str().expect("id").to_string());
        }

        // Page by page with maxResults=1, the sync token resent with each page token.
        let (mut seen, mut page_token, mut pages, mut late) = (Vec::new(), None::<String>, 0, String::new());
        let next_sync = loop {
            let mut q = vec![("syncToken", start.as_str()), ("maxResults", "1")];
            if let Some(t) = &page_token {
                q.push(("pageToken", t));
            }
            let (status, body) = sb.list(&token, &q).await;
            assert_eq!(status, 200, "{body}");
            pages += 1;
            seen.extend(ids(body["items"].as_array().expect("items")).into_iter().map(String::from));
            if pages == 1 {
                // A change while the listing is paged: not in this listing, in the next sync.
                late = sb.insert(&token, "Late").await["id"].as_str().expect("id").to_string();
            }
            match body["nextPageToken"].as_str() {
                Some(t) => {
                    assert!(body.get("nextSyncToken").is_none());
                    page_token = Some(t.to_string());
                }
                None => break body["nextSyncToken"].as_str().expect("nextSyncToken").to_string(),
            }
        };
        assert_eq!(seen, inserted);
        assert_eq!(pages, 3);
        let (items, _, latest) = sb.sync(&token, &[("syncToken", &next_sync)]).await;
        assert_eq!(ids(&items), [late.as_str()]);

        // A page token alone carries the sync token's context.
        let (_, first) = sb.list(&token, &[("syncToken", &start), ("maxResults", "2")]).await;
        assert_eq!(first["items"].as_array().map(Vec::len), Some(2), "{first}");
        let next = first["nextPageToken"].as_str().expect("nextPageToken");
        let (status, second) = sb.list(&token, &[("pageToken", next), ("maxResults", "2")]).await;
        assert_eq!(status, 200, "{second}");
        assert_eq!(ids(second["items"].as_array().expect("items")), [inserted[2].as_str(), late.as_str()]);
        assert_eq!(second["nextSyncToken"], json!(latest));
        let (full, pages, _) = sb.sync(&token, &[("maxResults", "1")]).await;
        assert_eq!((full.len(), pages), (6, 6));
    }

    #[tokio::test]
    async fn sync_tokens_refuse_filters_and_die_when_invalidated() {
        let sb = Sandbox::start().await;
        let token = sb.token("carol").await;
        let (_, _, sync) = sb.sync(&token, &[]).await;

        let (status, body) = sb.list(&token, &[("syncToken", &sync), ("timeMin", "2026-01-01T00:00:00Z")]).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"]["errors"][0]["reason"], "invalid");

        for bogus in ["nonsense", "sync-primary-999", "sync-other-1"] {
            let (status, body) = sb.list(&token, &[("syncToken", bogus)]).await;
            assert_eq!(status, 410, "{bogus}: {body}");
        }

        let (status, _) =
            sb.call("POST", "/sandbox/settings", None, &[], Some(json!({"invalidate_sync_tokens": "carol"}))).await;
        assert_eq!(status, 204);
        let (status, body) = sb.list(&token, &[("syncToken", &sync)]).await;
        assert_eq!(status, 410, "{body}");
        assert_eq!(
            body,
            json!({"error": {
                "code": 410,
                "message": "Sync token is no longer valid, a full sync is required.",
                "errors": [{"domain": "calendar", "reason": "fullSyncRequired",
                            "message": "Sync token is no longer valid, a full sync is required."}],
                "status": "GONE",
            }})
        );
        // A full sync gives a token that works again.
        let (items, _, fresh) = sb.sync(&token, &[]).await;
        assert_eq!(items.len(), 2);
        let (status, body) = sb.list(&token, &[("syncToken", &fresh)]).await;
        assert_eq!(status, 200, "{body}");
    }

    #[tokio::test]
    async fn calls_without_a_valid_token_get_googles_401() {
        let sb = Sandbox::start().await;
        for token in [None, Some("ya29.not-issued")] {
            let (status, body) = sb.call("GET", "/calendar/v3/calendars/primary/events", token, &[], None).await;
            assert_eq!(status, 401, "{body}");
            assert_eq!(body["error"]["status"], "UNAUTHENTICATED");
            let (status, _) =
                sb.call("POST", "/calendar/v3/calendars/primary/events", token, &[], Some(json!({}))).await;
            assert_eq!(status, 401);
        }
    }

    #[tokio::test]
    async fn inserts_are_checked_and_filters_and_calendars_apply() {
        let sb = Sandbox::start().await;
        let token = sb.token("dave").await;
        let path = "/calendar/v3/calendars/primary/events";
        let start = json!({"dateTime": "2026-11-26T10:00:00Z"});
        let (status, body) =
            sb.call("POST", path, Some(&token), &[], Some(json!({"summary": "x", "start": start}))).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(body["error"]["message"], "Missing end time.");
        let local = json!({"summary": "x", "start": {"dateTime": "2026-11-26T10:00:00"},
                           "end": {"dateTime": "2026-11-26T11:00:00"}});
        let (status, body) = sb.call("POST", path, Some(&token), &[], Some(local)).await;
        assert_eq!(status, 400, "{body}");

        // A Meet room with conferenceDataVersion=1.
        let meet = json!({"summary": "Standup", "start": start, "end": {"dateTime": "2026-11-26T10:15:00Z"},
                          "conferenceData": {"createRequest": {"requestId": "r1",
                                             "conferenceSolutionKey": {"type": "hangoutsMeet"}}}});
        let (status, body) = sb.call("POST", path, Some(&token), &[("conferenceDataVersion", "1")], Some(meet)).await;
        assert_eq!(status, 200, "{body}");
        assert!(body["hangoutLink"].as_str().is_some_and(|l| l.starts_with("https://meet.google.com/")), "{body}");

        // timeMin / timeMax / q filter; orderBy=startTime orders.
        let (items, _, _) =
            sb.sync(&token, &[("timeMin", "2026-11-26T00:00:00Z"), ("timeMax", "2026-11-27T00:00:00Z")]).await;
        assert_eq!(items.iter().map(|e| e["summary"].clone()).collect::<Vec<_>>(), [json!("Standup")]);
        let (items, _, _) = sb.sync(&token, &[("q", "standup")]).await;
        assert_eq!(items.len(), 1);
        let (items, _, _) = sb.sync(&token, &[("singleEvents", "true"), ("orderBy", "startTime")]).await;
        let starts: Vec<i64> = items.iter().filter_map(|e| instant_ms(&e["start"])).collect();
        assert!(starts.len() == 3 && starts.windows(2).all(|w| w[0] <= w[1]), "{starts:?}");

        // Another calendar of the user, and another user, are separate.
        let (status, body) =
            sb.call("GET", "/calendar/v3/calendars/team%40acme.test/events", Some(&token), &[], None).await;
        assert_eq!((status, body["items"].as_array().map(Vec::len)), (200, Some(2)), "{body}");
        assert_eq!(body["summary"], "team@acme.test");
        let other = sb.token("erin").await;
        assert_eq!(sb.sync(&other, &[]).await.0.len(), 2);
    }

    #[tokio::test]
    async fn an_invitation_from_someone_else_arrives_in_the_next_sync() {
        let sb = Sandbox::start().await;
        let token = sb.token("frank").await;
        let (_, _, sync) = sb.sync(&token, &[]).await;
        let (status, invited) = sb
            .call("POST", "/sandbox/calendar/event", None, &[], Some(json!({"user": "frank", "summary": "Offsite"})))
            .await;
        assert_eq!(status, 200, "{invited}");
        assert_eq!(invited["organizer"], json!({"email": "someone@example.com"}));
        let (items, _, _) = sb.sync(&token, &[("syncToken", &sync)]).await;
        assert_eq!(ids(&items), [invited["id"].as_str().expect("id")]);
        let me = items[0]["attendees"].as_array().expect("attendees").iter().find(|a| a["self"] == true).cloned();
        assert_eq!(me, Some(json!({"email": "frank", "self": true, "responseStatus": "needsAction"})));
    }

    #[test]
    fn page_tokens_round_trip() {
        let page = PageToken { since: Some(7), upto: 9, order: Order::StartTime, after: Some((-5, 3)) };
        assert_eq!(PageToken::decode(&page.encode()), Some(page));
        assert_eq!(PageToken::decode("garbage"), None);
    }
}
