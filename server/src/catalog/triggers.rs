//! Triggers declared in connector files: what a connection can watch, and for a polled trigger
//! the connector's tool that lists the provider's newest items (`poll.tool`, its input filled
//! from the subscription's `config`), where they are in its answer (`poll.items`, a JSON pointer)
//! and what names each one (`poll.id`). The poller (`domain::trigger_poller`) turns an unseen id into
//! an event. A pushed trigger (`push`) names how its provider signs (`signature`), where a
//! push says what happened and which delivery it is, and which of its values a subscription's
//! `config` can select by (`domain::trigger_ingress`).

use std::collections::BTreeMap;

use serde::Deserialize;

use agentkit_core::model::{ConfigField, RequiredScope, TriggerDeliveryScope, TriggerMode};

/// The shortest interval a declaration may offer (and `agentkit dev` allows any subscription).
pub const FLOOR_INTERVAL_SECS: u32 = 1;
/// The longest interval a subscription may ask for: a day.
pub const MAX_INTERVAL_SECS: u32 = 86_400;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TriggerDef {
    /// `<slug>_<what happened>` (`gmail_new_message`): also the event type, after `trigger.`.
    pub name: String,
    pub display_name: String,
    pub description: String,
    #[serde(default)]
    pub mode: TriggerMode,
    #[serde(default)]
    pub required_scopes: Vec<RequiredScope>,
    /// The provider's rate limits' floor for this trigger; production subscriptions keep it
    /// (a pushed trigger has none: 0).
    #[serde(default)]
    pub min_interval_seconds: u32,
    #[serde(default)]
    pub default_interval_seconds: u32,
    #[serde(default)]
    pub config_fields: Vec<ConfigField>,
    #[serde(default)]
    pub delivery_scope: TriggerDeliveryScope,
    #[serde(default)]
    pub poll: Option<PollDef>,
    #[serde(default)]
    pub push: Option<PushDef>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollDef {
    /// The connector's tool that lists the newest items first: a poll is that tool run as the
    /// account (token refresh, rate limit, egress and error rules included).
    pub tool: String,
    /// The tool's input; `{{key}}` reads the subscription's `config`.
    #[serde(default)]
    pub input: serde_json::Map<String, serde_json::Value>,
    /// Where the list is in the tool's answer (`/messages`; empty: the answer is the list).
    pub items: String,
    /// What names an item within it (`/id`): an event is sent once per id.
    pub id: String,
    /// What tells one state of an item from the next (`/updated`): with it, a changed item is an
    /// event again (its id and version are what the watermark keeps).
    #[serde(default)]
    pub version: String,
    /// An incremental list (Google's sync tokens): the tool answers what changed since the
    /// cursor it was given; absent, it lists the newest items first.
    #[serde(default)]
    pub cursor: Option<Continuation>,
    /// How the tool pages. An incremental list is read to its last page; a newest-first list
    /// is read on while a whole page is news (a burst larger than a page is not missed).
    #[serde(default)]
    pub page: Option<Continuation>,
    /// A newest-first list that stands in when a cursor with a `start` is refused (Gmail's
    /// history ids expire): its items the watermark does not know are events, so the gap
    /// between the last poll and the new start is not lost. The first poll reads it too, so
    /// the watermark knows what was there before subscribing.
    #[serde(default)]
    pub relist: Option<Box<PollDef>>,
    /// A second list that new items must also appear in, when the subscription's config sets
    /// `when`: what the incremental list cannot filter by (a Gmail search query).
    #[serde(default)]
    pub filter: Option<PollFilter>,
}

/// Where a poll tool takes a token (a tool input, `sync_token`) and where its answer gives the
/// next one (a pointer, `/next_sync_token`): a sync cursor, or a page token.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Continuation {
    pub input: String,
    pub next: String,
    /// Where the first cursor comes from when a list cannot start without one (Gmail's history
    /// list needs the profile's `historyId`); absent, the first list is run without a cursor.
    #[serde(default)]
    pub start: Option<CursorStart>,
}

/// A tool whose answer holds the cursor to start from (`at`, a JSON pointer).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CursorStart {
    pub tool: String,
    #[serde(default)]
    pub input: serde_json::Map<String, serde_json::Value>,
    pub at: String,
}

/// The list a new item must also be in when the config key `when` is set (`query`); its input
/// may use `{{since}}`: the oldest new item's time (`since`, a pointer to epoch milliseconds),
/// in epoch seconds, one second early, so the list is only as long as the news.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PollFilter {
    pub when: String,
    pub since: String,
    pub tool: String,
    #[serde(default)]
    pub input: serde_json::Map<String, serde_json::Value>,
    pub items: String,
    pub id: String,
    #[serde(default)]
    pub page: Option<Continuation>,
}

impl PollFilter {
    /// The filter's list as a newest-first poll (read by the same pager).
    pub fn as_poll(&self) -> PollDef {
        PollDef {
            tool: self.tool.clone(),
            input: self.input.clone(),
            items: self.items.clone(),
            id: self.id.clone(),
            version: String::new(),
            cursor: None,
            page: self.page.clone(),
            relist: None,
            filter: None,
        }
    }
}

#[derive(Debug, Clone, Copy, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum SignatureScheme {
    /// `X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the body>`; no timestamp, so a replay is
    /// known by its `X-GitHub-Delivery`.
    Github,
    /// `X-Slack-Signature: v0=<hex HMAC of "v0:<timestamp>:<body>">` with
    /// `X-Slack-Request-Timestamp` within five minutes.
    Slack,
    /// `Linear-Signature: <hex HMAC of the body>`, its `webhookTimestamp` (ms) within a minute.
    Linear,
    /// `Stripe-Signature: t=<timestamp>,v1=<hex HMAC of "<t>.<body>">` within five minutes.
    Stripe,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PushDef {
    pub signature: SignatureScheme,
    /// Where a push says what happened: a header (`X-GitHub-Event`) or a JSON pointer into the
    /// body (`/event/type`).
    pub event_type: String,
    /// The provider's event types this trigger is.
    pub events: Vec<String>,
    /// Where the signed body names the delivery (Slack's `/event_id`): one delivery, one event.
    /// Absent: the body's hash (a header such as `X-GitHub-Delivery` is outside the signature,
    /// so a replay could change it).
    #[serde(default)]
    pub delivery_id: String,
    /// What the app's event carries as `item` (a pointer; empty: the whole push).
    #[serde(default)]
    pub item: String,
    /// Config key → pointer: a subscription with that key set receives only the pushes whose
    /// value there equals it (`repository` → `/repository/full_name`).
    #[serde(default)]
    pub match_config: BTreeMap<String, String>,
    /// Where, at the provider, the ingress URL is registered; and where the signing secret is.
    pub register_hint: String,
    pub secret_hint: String,
}

impl PushDef {
    /// A header name or a JSON pointer, read from a push.
    pub fn locate<'a>(
        locator: &str,
        headers: &'a axum::http::HeaderMap,
        body: &'a serde_json::Value,
    ) -> Option<String> {
        if locator.starts_with('/') {
            match body.pointer(locator)? {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Number(n) => Some(n.to_string()),
                _ => None,
            }
        } else {
            headers.get(locator)?.to_str().ok().map(str::to_string)
        }
    }
}
