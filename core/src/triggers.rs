//! Trigger operations on `actions.triggers` (the official `TriggerService` REST paths): a
//! connection's available triggers and its trigger subscriptions, its ingress endpoint for pushed
//! triggers with the signing secret's two-step rotation, what triggers did lately and a webhook
//! endpoint's delivery attempts. `connection_id` is `conn_<name>` or the connection's name.

use reqwest::Method;
use serde::Deserialize;
use serde_json::Value;

use crate::actions::Actions;
use crate::client::{Deadline, Retry};
use crate::error::{Error, Result};
use crate::model::proxy_path::encode_segment_value;
use crate::model::query::QueryPairs;
use crate::model::*;

/// `/api/v1/connections/{connection_id}` with the id checked and encoded as one segment.
fn connection_path(connection_id: &str, rest: &str) -> Result<String> {
    let id = connection_id.trim();
    if id.is_empty() {
        return Err(Error::invalid_field("connection_id", "connection_id is required"));
    }
    Ok(format!("/api/v1/connections/{}{rest}", encode_segment_value(id)))
}

/// Parameters of `list_trigger_subscriptions`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListSubscriptionsParams {
    /// The connection: `conn_<name>` or its name.
    #[serde(default, alias = "connectionId")]
    pub connection_id: String,
    /// Only subscriptions to this trigger.
    #[serde(default, alias = "triggerName")]
    pub trigger_name: Option<String>,
    /// Only subscriptions in these statuses (`ACTIVE`, `THROTTLED`, `PAUSED`, `PAUSED_CREDENTIAL`).
    #[serde(default)]
    pub statuses: Option<Vec<String>>,
    /// Results per page, at most 100 (the gateway's default when absent).
    #[serde(default, alias = "pageSize")]
    pub page_size: Option<u32>,
    /// A `next_page_token` / `prev_page_token` of an earlier page.
    #[serde(default, alias = "pageToken")]
    pub page_token: Option<String>,
}

/// Parameters of `list_eligible_accounts`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EligibleAccountsParams {
    /// The connection: `conn_<name>` or its name.
    #[serde(default, alias = "connectionId")]
    pub connection_id: String,
    /// The trigger the accounts would be subscribed to (required).
    #[serde(default, alias = "triggerName")]
    pub trigger_name: String,
    /// Only accounts whose identifier contains this text.
    #[serde(default)]
    pub query: Option<String>,
    /// Results per page (the gateway's default when absent).
    #[serde(default, alias = "pageSize")]
    pub page_size: Option<u32>,
    /// A `next_page_token` / `prev_page_token` of an earlier page.
    #[serde(default, alias = "pageToken")]
    pub page_token: Option<String>,
}

/// Parameters of `delete_trigger_subscription`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionRef {
    /// The connection: `conn_<name>` or its name.
    #[serde(default, alias = "connectionId")]
    pub connection_id: String,
    /// The subscription to delete.
    #[serde(default, alias = "subscriptionId")]
    pub subscription_id: String,
}

/// Parameters of the operations that name only a connection (`list_available_triggers`,
/// `get_trigger_ingress_endpoint`, `create_trigger_ingress_endpoint`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectionRef {
    /// The connection: `conn_<name>` or its name.
    #[serde(default, alias = "connectionId")]
    pub connection_id: String,
}

/// The parameters of an operation that takes none (`get_trigger_activity`): any given is refused
/// by name rather than ignored.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoParams {}

/// Parameters of `set_trigger_signing_secret`. The secret is sent as given (never trimmed): the
/// gateway checks its length and characters against what the provider shows.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningSecretParams {
    /// The connection: `conn_<name>` or its name.
    #[serde(default, alias = "connectionId")]
    pub connection_id: String,
    /// The secret as the provider shows it (required).
    #[serde(default, alias = "signingSecret")]
    pub signing_secret: String,
}

/// Parameters of `confirm_trigger_signing_secret_rotation`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfirmRotationParams {
    /// The connection: `conn_<name>` or its name.
    #[serde(default, alias = "connectionId")]
    pub connection_id: String,
    /// The rotation to confirm: the id `set_trigger_signing_secret` answered (required).
    #[serde(default, alias = "signingSecretRotationId")]
    pub signing_secret_rotation_id: Option<u64>,
}

/// Parameters of `list_trigger_delivery_attempts_by_endpoint`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeliveryAttemptsParams {
    /// The webhook endpoint (required).
    #[serde(default, alias = "endpointId")]
    pub endpoint_id: String,
    /// Attempts per page, at most 100 (the gateway's default when absent).
    #[serde(default, alias = "pageSize")]
    pub page_size: Option<u32>,
}

impl Actions {
    /// The triggers the connection offers, and whether each can be used there.
    pub async fn list_available_triggers(&self, connection_id: &str) -> Result<ListAvailableTriggersResponse> {
        let path = connection_path(connection_id, "/triggers")?;
        self.client()
            .call_json::<(), _>(
                Method::GET,
                &path,
                QueryPairs::default(),
                None,
                Retry::Idempotent,
                Deadline::ControlPlane,
            )
            .await
    }

    /// The connection's accounts, each eligible for the trigger or not, with its health.
    pub async fn list_eligible_accounts(&self, p: EligibleAccountsParams) -> Result<ListEligibleAccountsResponse> {
        if p.trigger_name.trim().is_empty() {
            return Err(Error::invalid_field("trigger_name", "trigger_name is required"));
        }
        let rest = format!("/triggers/{}/eligible-accounts", encode_segment_value(p.trigger_name.trim()));
        let path = connection_path(&p.connection_id, &rest)?;
        let mut query = QueryPairs::default();
        query.opt("query", p.query.as_ref()).opt("page_size", p.page_size).opt("page_token", p.page_token.as_ref());
        self.client()
            .call_json::<(), _>(Method::GET, &path, query, None, Retry::Idempotent, Deadline::ControlPlane)
            .await
    }

    /// The connection's trigger subscriptions, a page at a time, with counts by status.
    pub async fn list_trigger_subscriptions(
        &self,
        p: ListSubscriptionsParams,
    ) -> Result<ListTriggerSubscriptionsResponse> {
        let path = connection_path(&p.connection_id, "/trigger-subscriptions")?;
        let mut query = QueryPairs::default();
        query
            .opt("trigger_name", p.trigger_name.as_ref())
            .all("statuses", &p.statuses.unwrap_or_default())
            .opt("page_size", p.page_size)
            .opt("page_token", p.page_token.as_ref());
        self.client()
            .call_json::<(), _>(Method::GET, &path, query, None, Retry::Idempotent, Deadline::ControlPlane)
            .await
    }

    /// Subscribes one connected account to a trigger; not retried once sent.
    pub async fn create_trigger_subscription(
        &self,
        req: CreateTriggerSubscriptionRequest,
    ) -> Result<TriggerSubscription> {
        let path = connection_path(&req.connection_id, "/trigger-subscriptions")?;
        let body = CreateTriggerSubscriptionRequest { connection_id: String::new(), ..req };
        self.client()
            .call_json(
                Method::POST,
                &path,
                QueryPairs::default(),
                Some(&body),
                Retry::ConnectOnly,
                Deadline::ControlPlane,
            )
            .await
    }

    /// Subscribes several connected accounts to one trigger, with an outcome per account; not
    /// retried once sent.
    pub async fn batch_create_trigger_subscriptions(
        &self,
        req: BatchCreateTriggerSubscriptionsRequest,
    ) -> Result<BatchCreateTriggerSubscriptionsResponse> {
        let path = connection_path(&req.connection_id, "/trigger-subscriptions:batchCreate")?;
        let body = BatchCreateTriggerSubscriptionsRequest { connection_id: String::new(), ..req };
        self.client()
            .call_json(
                Method::POST,
                &path,
                QueryPairs::default(),
                Some(&body),
                Retry::ConnectOnly,
                Deadline::ControlPlane,
            )
            .await
    }

    /// Deletes the connection's subscription `subscription_id`.
    pub async fn delete_trigger_subscription(&self, r: SubscriptionRef) -> Result<Value> {
        if r.subscription_id.trim().is_empty() {
            return Err(Error::invalid_field("subscription_id", "subscription_id is required"));
        }
        let rest = format!("/trigger-subscriptions/{}", encode_segment_value(r.subscription_id.trim()));
        let path = connection_path(&r.connection_id, &rest)?;
        self.client()
            .call_json::<(), _>(
                Method::DELETE,
                &path,
                QueryPairs::default(),
                None,
                Retry::Idempotent,
                Deadline::ControlPlane,
            )
            .await
    }

    /// The connection's ingress endpoint (its URL and the signing secret's state); `NotFound`
    /// until one is created.
    pub async fn get_trigger_ingress_endpoint(&self, connection_id: &str) -> Result<TriggerIngressEndpoint> {
        let path = connection_path(connection_id, "/trigger-ingress")?;
        self.client()
            .call_json::<(), _>(
                Method::GET,
                &path,
                QueryPairs::default(),
                None,
                Retry::Idempotent,
                Deadline::ControlPlane,
            )
            .await
    }

    /// Creates the connection's ingress endpoint (again: the same one); `FailedPrecondition` when
    /// its connector has no pushed triggers.
    pub async fn create_trigger_ingress_endpoint(&self, connection_id: &str) -> Result<TriggerIngressEndpoint> {
        let path = connection_path(connection_id, "/trigger-ingress")?;
        self.client()
            .call_json::<(), _>(
                Method::POST,
                &path,
                QueryPairs::default(),
                None,
                Retry::ConnectOnly,
                Deadline::ControlPlane,
            )
            .await
    }

    /// Sets the provider's signing secret; with one set already this starts a rotation, whose
    /// new `signing_secret_rotation_id` the answer carries. Not retried once sent: a second
    /// send would start another rotation.
    pub async fn set_trigger_signing_secret(&self, p: SigningSecretParams) -> Result<TriggerIngressEndpoint> {
        let path = connection_path(&p.connection_id, "/trigger-ingress/signing-secret")?;
        if p.signing_secret.is_empty() {
            return Err(Error::invalid_field("signing_secret", "signing_secret is required"));
        }
        let body = SetTriggerSigningSecretRequest { connection_id: String::new(), signing_secret: p.signing_secret };
        self.client()
            .call_json(
                Method::PUT,
                &path,
                QueryPairs::default(),
                Some(&body),
                Retry::ConnectOnly,
                Deadline::ControlPlane,
            )
            .await
    }

    /// Confirms the rotation `signing_secret_rotation_id`: the previous secret is no longer
    /// accepted. `Conflict` naming the field when it is not the current rotation.
    pub async fn confirm_trigger_signing_secret_rotation(
        &self,
        p: ConfirmRotationParams,
    ) -> Result<TriggerIngressEndpoint> {
        let path = connection_path(&p.connection_id, "/trigger-ingress/signing-secret/confirm")?;
        let Some(rotation_id) = p.signing_secret_rotation_id else {
            return Err(Error::invalid_field(
                "signing_secret_rotation_id",
                "signing_secret_rotation_id is required: the one set_trigger_signing_secret answered",
            ));
        };
        let body = ConfirmTriggerSigningSecretRotationRequest {
            connection_id: String::new(),
            signing_secret_rotation_id: rotation_id,
        };
        self.client()
            .call_json(
                Method::POST,
                &path,
                QueryPairs::default(),
                Some(&body),
                Retry::ConnectOnly,
                Deadline::ControlPlane,
            )
            .await
    }

    /// What triggers did over the gateway's window (`window_hours`), in `counts` by name.
    pub async fn get_trigger_activity(&self) -> Result<GetTriggerActivityResponse> {
        self.client()
            .call_json::<(), _>(
                Method::GET,
                "/api/v1/trigger-activity",
                QueryPairs::default(),
                None,
                Retry::Idempotent,
                Deadline::ControlPlane,
            )
            .await
    }

    /// A webhook endpoint's newest delivery attempts (`page_size`: the gateway's default when
    /// absent, at most 100); `NotFound` for an unknown endpoint.
    pub async fn list_trigger_delivery_attempts_by_endpoint(
        &self,
        p: DeliveryAttemptsParams,
    ) -> Result<ListTriggerDeliveryAttemptsByEndpointResponse> {
        let id = p.endpoint_id.trim();
        if id.is_empty() {
            return Err(Error::invalid_field("endpoint_id", "endpoint_id is required"));
        }
        let path = format!("/api/v1/trigger-delivery/endpoints/{}/attempts", encode_segment_value(id));
        let mut query = QueryPairs::default();
        query.opt("page_size", p.page_size);
        self.client()
            .call_json::<(), _>(Method::GET, &path, query, None, Retry::Idempotent, Deadline::ControlPlane)
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{ClientOptions, ScalekitClient};

    /// Nothing listens there: every check below fails before the network.
    fn offline() -> Actions {
        Actions::new(ScalekitClient::new("http://127.0.0.1:9", "id", "secret", ClientOptions::default()).unwrap())
    }

    #[tokio::test]
    async fn missing_inputs_are_refused_by_name_before_any_request() {
        let a = offline();
        let field = |r: Result<TriggerIngressEndpoint>| r.unwrap_err().field().map(str::to_string);
        assert_eq!(field(a.get_trigger_ingress_endpoint(" ").await).as_deref(), Some("connection_id"));
        assert_eq!(field(a.create_trigger_ingress_endpoint("").await).as_deref(), Some("connection_id"));
        let p = SigningSecretParams { connection_id: "github".into(), signing_secret: String::new() };
        assert_eq!(field(a.set_trigger_signing_secret(p).await).as_deref(), Some("signing_secret"));
        let p = SigningSecretParams { connection_id: String::new(), signing_secret: "s3cret-value".into() };
        assert_eq!(field(a.set_trigger_signing_secret(p).await).as_deref(), Some("connection_id"));
        let p = ConfirmRotationParams { connection_id: "github".into(), signing_secret_rotation_id: None };
        assert_eq!(
            field(a.confirm_trigger_signing_secret_rotation(p).await).as_deref(),
            Some("signing_secret_rotation_id")
        );
        let p = DeliveryAttemptsParams { endpoint_id: " ".into(), page_size: Some(5) };
        let err = a.list_trigger_delivery_attempts_by_endpoint(p).await.unwrap_err();
        assert_eq!((err.kind(), err.field()), (crate::ErrorKind::InvalidInput, Some("endpoint_id")));
    }
}
