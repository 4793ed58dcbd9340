//! Trigger operations on `actions.triggers` (the official `TriggerService` REST paths): a
//! connection's available triggers and its trigger subscriptions. `connection_id` is
//! `conn_<name>` or the connection's name.

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
    #[serde(default, alias = "connectionId")]
    pub connection_id: String,
    #[serde(default, alias = "triggerName")]
    pub trigger_name: Option<String>,
    #[serde(default)]
    pub statuses: Option<Vec<String>>,
    #[serde(default, alias = "pageSize")]
    pub page_size: Option<u32>,
    #[serde(default, alias = "pageToken")]
    pub page_token: Option<String>,
}

/// Parameters of `list_eligible_accounts`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EligibleAccountsParams {
    #[serde(default, alias = "connectionId")]
    pub connection_id: String,
    #[serde(default, alias = "triggerName")]
    pub trigger_name: String,
    #[serde(default)]
    pub query: Option<String>,
    #[serde(default, alias = "pageSize")]
    pub page_size: Option<u32>,
    #[serde(default, alias = "pageToken")]
    pub page_token: Option<String>,
}

/// Parameters of `delete_trigger_subscription`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionRef {
    #[serde(default, alias = "connectionId")]
    pub connection_id: String,
    #[serde(default, alias = "subscriptionId")]
    pub subscription_id: String,
}

impl Actions {
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
}
