//! `agentkit dev`: the gateway on SQLite plus the sandbox upstream, wired together, with
//! throw-away API credentials printed as `export NAME=value` lines for the documented samples.

use std::net::SocketAddr;
use std::path::Path;

use agentkit_core::{Error, ErrorKind, Result};

use crate::config::{ApiClientConfig, Config, ConnectionConfig, ServerConfig};

/// Settings of a dev environment.
pub struct DevOptions {
    pub port: u16,
    pub data_dir: std::path::PathBuf,
    pub sandbox_port: u16,
}

/// The running dev environment and the variables to hand to sample code.
pub struct DevEnvironment {
    pub gateway: crate::RunningServer,
    pub sandbox_url: String,
    pub client_id: String,
    pub client_secret: String,
    /// A one-time link that signs the local operator in to the console as `admin`.
    pub console_url: String,
}

impl DevEnvironment {
    /// `export NAME=value` lines, as printed on stdout.
    pub fn exports(&self) -> String {
        let metrics_url = self.gateway.metrics_addr.map(|a| format!("http://{a}/metrics")).unwrap_or_default();
        [
            ("SCALEKIT_ENV_URL", self.gateway.public_url.as_str()),
            ("SCALEKIT_CLIENT_ID", self.client_id.as_str()),
            ("SCALEKIT_CLIENT_SECRET", self.client_secret.as_str()),
            ("GMAIL_CONNECTION_NAME", "gmail"),
            ("AGENTKIT_METRICS_URL", metrics_url.as_str()),
            ("AGENTKIT_CONSOLE_URL", self.console_url.as_str()),
            ("AGENTKIT_SANDBOX_URL", self.sandbox_url.as_str()),
        ]
        .iter()
        .map(|(k, v)| format!("export {k}={v}\n"))
        .collect()
    }
}

/// Dev credentials are kept in the data dir so restarts keep the same client.
fn dev_credentials(data_dir: &Path) -> Result<(String, String)> {
    let path = data_dir.join("dev-credentials");
    if let Ok(text) = std::fs::read_to_string(&path) {
        if let Some((id, secret)) = text.trim().split_once(' ') {
            return Ok((id.to_string(), secret.to_string()));
        }
    }
    let id = format!("skc_dev_{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let secret = format!("sks_dev_{}", uuid::Uuid::new_v4().simple());
    std::fs::write(&path, format!("{id} {secret}\n"))
        .map_err(|e| Error::new(ErrorKind::Server, format!("cannot write {}: {e}", path.display())))?;
    Ok((id, secret))
}

pub async fn start(opts: DevOptions) -> Result<DevEnvironment> {
    std::fs::create_dir_all(&opts.data_dir)
        .map_err(|e| Error::invalid_field("data_dir", format!("cannot create {}: {e}", opts.data_dir.display())))?;
    let (sandbox_addr, _task) = agentkit_sandbox::start(SocketAddr::from(([127, 0, 0, 1], opts.sandbox_port)))
        .await
        .map_err(|e| Error::new(ErrorKind::Server, format!("cannot start the sandbox upstream: {e}")))?;
    let sandbox_url = format!("http://{sandbox_addr}");
    let (client_id, client_secret) = dev_credentials(&opts.data_dir)?;
    let config = Config {
        server: ServerConfig {
            listen: SocketAddr::from(([127, 0, 0, 1], opts.port)),
            data_dir: opts.data_dir.clone(),
            ..ServerConfig::default()
        },
        api_clients: vec![ApiClientConfig {
            client_id: client_id.clone(),
            client_secret: Some(client_secret.clone()),
            client_secret_sha256: None,
            read_credentials: true,
            scopes: None,
        }],
        connections: vec![ConnectionConfig {
            name: "gmail".into(),
            connector: "gmail".into(),
            base_url: Some(sandbox_url.clone()),
            scopes: Vec::new(),
            client_id: Some(agentkit_sandbox::SANDBOX_CLIENT_ID.into()),
            client_secret: Some(agentkit_sandbox::SANDBOX_CLIENT_SECRET.into()),
            authorize_url: Some(format!("{sandbox_url}/oauth2/authorize")),
            token_url: Some(format!("{sandbox_url}/oauth2/token")),
            revoke_url: Some(format!("{sandbox_url}/oauth2/revoke")),
            token_auth_method: Some("client_secret_basic".into()),
            authorize_params: Default::default(),
            account_lookup_url: None,
            allow_writes: false,
            api_config_hosts: Default::default(),
            propagate_trace_context: false,
            // The sandbox tells its users apart by the hint.
            send_login_hint: true,
        }],
        // The sandbox is an internal address: allowed by name, the policy stays on.
        egress: crate::egress::EgressConfig { allow: vec![sandbox_addr.to_string()] },
        // MCP clients sign in through the sandbox's stand-in for the app's sign-in page.
        mcp_oauth: Some(crate::config::McpOAuthConfig::signing_in_with(
            Some(format!("{sandbox_url}/sandbox/app/login")),
            Some(agentkit_sandbox::SANDBOX_APP_LOGIN_SECRET.into()),
            None,
        )),
        // Webhook receivers on this machine, and a short retry schedule: the first four tries
        // within a minute.
        webhooks: crate::config::WebhooksConfig {
            retry_schedule_secs: vec![1, 2, 4, 8, 30, 60],
            allow_loopback: true,
            endpoints: Vec::new(),
        },
        // Metrics on a loopback port of their own, printed as AGENTKIT_METRICS_URL.
        metrics: crate::telemetry::metrics::MetricsConfig { listen: Some(SocketAddr::from(([127, 0, 0, 1], 0))) },
        // A trigger shows its events within seconds, not the provider's minimum minutes.
        triggers: crate::config::TriggersConfig { short_intervals: true, ..Default::default() },
        ..Config::default()
    };
    // AGENTKIT_* settings (AGENTKIT_DATABASE_URL above all) apply to the dev gateway too.
    let gateway = crate::start(config.with_environment()?).await?;
    let console_url = console_operator(&gateway.state).await?;
    Ok(DevEnvironment { gateway, sandbox_url, client_id, client_secret, console_url })
}

/// The local operator, `dev` (admin), whose password nobody knows: it signs in through the
/// one-time link this returns, a new one each start.
async fn console_operator(state: &crate::state::SharedState) -> Result<String> {
    const OPERATOR: &str = "dev";
    if state.store.operator(OPERATOR).await?.is_none() {
        let unknowable = format!("{:x}{:x}", rand::random::<u128>(), rand::random::<u128>());
        let operator = crate::store::Operator {
            name: OPERATOR.into(),
            role: crate::permissions::OperatorRole::Admin.as_str().into(),
            password_hash: crate::console::hash_password(&unknowable)?,
        };
        let row =
            crate::audit::change_row_by("dev", "console.operator_set", OPERATOR, serde_json::json!({"role": "admin"}));
        state.store.put_operator(&operator, &crate::store::ChangeRecords::audited(row)).await?;
    }
    crate::console::sign_in_link(state, OPERATOR).await
}
