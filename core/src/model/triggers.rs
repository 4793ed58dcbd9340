//! Triggers (the official `scalekit.v1.triggers` contract, marked PREVIEW there): what a
//! connection can watch, and the subscriptions that watch it for a connected account.
//! Enums travel as their names, as everywhere else on the wire.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// How a trigger learns of events: the gateway asks the provider on a schedule (`POLL`), or the
/// provider posts to the gateway's ingress URL (`WEBHOOK`).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TriggerMode {
    #[default]
    Poll,
    Webhook,
}

/// Who an event is for: one connected account, or the whole connection.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TriggerDeliveryScope {
    #[default]
    Account,
    Connection,
}

/// Where a subscription stands.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default, PartialOrd, Ord)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TriggerSubscriptionStatus {
    /// Polled on its effective interval.
    #[default]
    Active,
    /// The provider said 429: polled on a longer effective interval until it relents.
    Throttled,
    /// Stopped by the app.
    Paused,
    /// The account's credential was refused (revoked or expired): resumes after re-authorization.
    PausedCredential,
}

impl TriggerSubscriptionStatus {
    pub const ALL: [TriggerSubscriptionStatus; 4] =
        [Self::Active, Self::Throttled, Self::Paused, Self::PausedCredential];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "ACTIVE",
            Self::Throttled => "THROTTLED",
            Self::Paused => "PAUSED",
            Self::PausedCredential => "PAUSED_CREDENTIAL",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str().eq_ignore_ascii_case(text.trim()))
    }
}

/// Why the last poll failed.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TriggerPollErrorCode {
    RateLimited,
    CredentialRevoked,
    InvalidConfiguration,
    ProviderError,
    DeliveryFailed,
    TimedOut,
    PollFailed,
}

/// Whether a connected account can be watched, in one word, with the one thing to do about it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccountHealthState {
    #[default]
    Ready,
    AwaitingConfirmation,
    WrongApp,
    Disconnected,
    NeedsReauthentication,
}

/// What a batch subscription did for one account.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BatchSubscribeOutcome {
    Created,
    AlreadySubscribed,
    Refused,
    NotFound,
    Failed,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RequiredScope {
    pub scope: String,
    /// What the scope grants, in words.
    #[serde(default)]
    pub grant: String,
}

/// A setting a subscription takes (`config`), described for a form.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ConfigField {
    pub key: String,
    #[serde(default, alias = "displayName")]
    pub display_name: String,
    #[serde(default, alias = "helpText")]
    pub help_text: String,
    #[serde(default)]
    pub placeholder: String,
    #[serde(default)]
    pub required: bool,
}

/// A trigger a connection offers, and whether it can be used there now.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AvailableTrigger {
    pub name: String,
    pub display_name: String,
    pub description: String,
    /// The connector, upper-case (`GMAIL`), as accounts name it.
    pub provider: String,
    pub mode: TriggerMode,
    pub required_scopes: Vec<RequiredScope>,
    pub min_interval_seconds: u32,
    pub default_interval_seconds: u32,
    pub config_fields: Vec<ConfigField>,
    pub available: bool,
    /// Why not, when not available, and what to do about it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub remedy: String,
    pub delivery_scope: TriggerDeliveryScope,
    /// A pushed trigger checks the provider's signature: the connection's ingress endpoint needs
    /// the provider's signing secret first.
    pub requires_signing_secret: bool,
    /// Where, at the provider, to register the ingress URL; and where its signing secret is.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub register_hint: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub secret_hint: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListAvailableTriggersResponse {
    pub triggers: Vec<AvailableTrigger>,
    /// Always false here: every connection is the app's own OAuth app.
    pub connection_uses_shared_app: bool,
}

/// How polling a subscription is going.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TriggerPollState {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_run_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub last_error: String,
    pub consecutive_failures: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backoff_until: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub watermark_updated_at: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_error_code: Option<TriggerPollErrorCode>,
}

/// One connected account watched for one trigger.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TriggerSubscription {
    pub id: String,
    pub connected_account_id: String,
    pub connection_id: String,
    pub provider: String,
    pub trigger_name: String,
    pub status: TriggerSubscriptionStatus,
    /// What the app asked for, and what the gateway polls at (longer while THROTTLED).
    pub requested_interval_seconds: u32,
    pub effective_interval_seconds: u32,
    pub config: BTreeMap<String, String>,
    pub delivery_scope: TriggerDeliveryScope,
    pub connected_account_identifier: String,
    pub created_at: DateTime<Utc>,
    pub poll_state: TriggerPollState,
    pub account_health: AccountHealthState,
}

/// `POST /api/v1/connections/{connection_id}/trigger-subscriptions` body.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct CreateTriggerSubscriptionRequest {
    #[serde(default, alias = "connectionId", skip_serializing_if = "String::is_empty")]
    pub connection_id: String,
    #[serde(alias = "connectedAccountId")]
    pub connected_account_id: String,
    #[serde(alias = "triggerName")]
    pub trigger_name: String,
    /// 0 or absent: the trigger's default interval.
    #[serde(default, alias = "intervalSeconds")]
    pub interval_seconds: u32,
    #[serde(default)]
    pub config: BTreeMap<String, String>,
}

/// `POST /api/v1/connections/{connection_id}/trigger-subscriptions:batchCreate` body.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct BatchCreateTriggerSubscriptionsRequest {
    #[serde(default, alias = "connectionId", skip_serializing_if = "String::is_empty")]
    pub connection_id: String,
    #[serde(alias = "connectedAccountIds")]
    pub connected_account_ids: Vec<String>,
    #[serde(alias = "triggerName")]
    pub trigger_name: String,
    #[serde(default, alias = "intervalSeconds")]
    pub interval_seconds: u32,
    #[serde(default)]
    pub config: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchCreateTriggerSubscriptionResult {
    pub connected_account_id: String,
    pub outcome: BatchSubscribeOutcome,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subscription: Option<TriggerSubscription>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BatchCreateTriggerSubscriptionsResponse {
    pub results: Vec<BatchCreateTriggerSubscriptionResult>,
    pub created_count: u32,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListTriggerSubscriptionsResponse {
    pub subscriptions: Vec<TriggerSubscription>,
    pub next_page_token: String,
    pub prev_page_token: String,
    pub total_size: u32,
    /// Subscriptions of the connection by status name (every status, zeros included).
    pub status_counts: BTreeMap<String, u32>,
}

/// The one thing to do about an account's health.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AccountHealthAction {
    Reconnect,
    CompleteSetup,
}

/// Whether a connected account can be watched, why not, and what to do.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AccountHealth {
    pub state: AccountHealthState,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub remedy: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<AccountHealthAction>,
    /// Its tool calls fail too until the action is taken.
    pub blocks_tool_calls: bool,
}

/// A connected account of the connection, and whether it can be subscribed to the trigger.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EligibleAccount {
    pub id: String,
    pub identifier: String,
    pub eligible: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub remedy: String,
    pub health: AccountHealth,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListEligibleAccountsResponse {
    pub accounts: Vec<EligibleAccount>,
    pub next_page_token: String,
    pub prev_page_token: String,
    pub total_size: u32,
}

/// Where a provider posts a connection's pushed events, and the state of its signing secret
/// (never the secret: its last characters at most).
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TriggerIngressEndpoint {
    pub id: String,
    pub connection_id: String,
    /// The URL to register at the provider.
    pub url: String,
    pub signing_secret_configured: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub masked_signing_secret: String,
    /// A new secret was set and not confirmed yet: the previous one is accepted too, until
    /// `previous_signing_secret_expires_at`.
    pub rotation_in_progress: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_signing_secret_expires_at: Option<DateTime<Utc>>,
    /// Counts the secrets set; a confirmation names the one it confirms.
    pub signing_secret_rotation_id: u64,
}

/// `PUT /api/v1/connections/{connection_id}/trigger-ingress/signing-secret` body.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SetTriggerSigningSecretRequest {
    #[serde(default, alias = "connectionId", skip_serializing_if = "String::is_empty")]
    pub connection_id: String,
    #[serde(alias = "signingSecret")]
    pub signing_secret: String,
}

/// `POST /api/v1/connections/{connection_id}/trigger-ingress/signing-secret/confirm` body.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ConfirmTriggerSigningSecretRotationRequest {
    #[serde(default, alias = "connectionId", skip_serializing_if = "String::is_empty")]
    pub connection_id: String,
    #[serde(alias = "signingSecretRotationId")]
    pub signing_secret_rotation_id: u64,
}

/// `GET /api/v1/trigger-activity`: what triggers did over the last `window_hours`.
#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GetTriggerActivityResponse {
    /// Counts by name: `events`, `delivered`, `delivery_pending`, `delivery_failed`,
    /// `polls`, `poll_failures`, `pushes_accepted`, `pushes_refused`, and subscriptions by status.
    pub counts: BTreeMap<String, u64>,
    pub window_hours: u32,
    /// Some pushed trigger's connection has no signing secret yet: its pushes are refused.
    pub signature_banner: bool,
    /// Some subscription is failing, throttled or paused for its credential.
    pub degraded: bool,
    /// Counts only: single events are read from the endpoints' delivery attempts.
    pub explains_individual_events: bool,
    pub delivery_details_path: String,
}

/// How one try to deliver an event to an endpoint went.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TriggerDeliveryAttemptStatus {
    Success,
    Pending,
    Fail,
    Sending,
    Canceled,
}

/// One try to deliver an event (`msg_id`: the event id, the `webhook-id` header) to an endpoint.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TriggerDeliveryAttempt {
    pub id: String,
    pub endpoint_id: String,
    pub msg_id: String,
    pub status: TriggerDeliveryAttemptStatus,
    /// The receiver's HTTP status; 0 when it gave none (unreachable, timed out).
    pub response_status_code: u16,
    /// The start of the receiver's answer, or why there was none.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub response: String,
    pub timestamp: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, Deserialize, Default, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListTriggerDeliveryAttemptsByEndpointResponse {
    pub attempts: Vec<TriggerDeliveryAttempt>,
}
