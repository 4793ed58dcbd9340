//! Triggers declared in connector files: what a connection can watch, and for a polled trigger
//! the connector's tool that lists the provider's newest items (`poll.tool`, its input filled
//! from the subscription's `config`), where they are in its answer (`poll.items`, a JSON pointer)
//! and what names each one (`poll.id`). The poller (`domain::trigger_poller`) turns an unseen id into
//! an event.

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
    /// The provider's rate limits' floor for this trigger; production subscriptions keep it.
    pub min_interval_seconds: u32,
    pub default_interval_seconds: u32,
    #[serde(default)]
    pub config_fields: Vec<ConfigField>,
    #[serde(default)]
    pub delivery_scope: TriggerDeliveryScope,
    #[serde(default)]
    pub poll: Option<PollDef>,
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
}
