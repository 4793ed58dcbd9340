//! The `agentkit` command: `serve` (the gateway), `dev` (gateway + sandbox upstream with printed
//! credentials) and `sandbox` (the upstream alone).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use agentkit_server::{config::Config, dev, sandbox};

#[derive(Parser)]
#[command(name = "agentkit", version, about = "AgentKit gateway: authenticated tool calling for AI agents")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the gateway from a config file.
    Serve {
        #[arg(long, short, env = "AGENTKIT_CONFIG", default_value = "agentkit.toml")]
        config: PathBuf,
        /// Override `server.listen`.
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Run the gateway on SQLite with the sandbox Gmail upstream; prints `export` lines on stdout.
    Dev {
        #[arg(long, default_value_t = 8080)]
        port: u16,
        #[arg(long, default_value = ".agentkit-dev")]
        data_dir: PathBuf,
        /// Port of the sandbox upstream (0 picks a free one).
        #[arg(long, default_value_t = 0)]
        sandbox_port: u16,
    },
    /// Run only the sandbox upstream.
    Sandbox {
        #[arg(long, default_value_t = 9100)]
        port: u16,
    },
    /// Manage the vault keys that seal stored credentials.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
}

#[derive(Subcommand)]
enum KeysAction {
    /// Add a new key, make it active and re-seal every stored credential with it, while gateways
    /// keep serving (they load the new key on first sight). With AGENTKIT_VAULT_KEYS set, put the
    /// new key first there and this only re-seals.
    Rotate {
        /// The gateway's config file (its data dir and database are used).
        #[arg(long, short, conflicts_with = "data_dir")]
        config: Option<PathBuf>,
        /// A data dir of `agentkit dev` instead of a config file.
        #[arg(long)]
        data_dir: Option<PathBuf>,
    },
}

fn init_logging() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(tracing_subscriber::EnvFilter::try_from_env("AGENTKIT_LOG").unwrap_or_else(|_| "info".into()))
        .init();
}

async fn wait_for_shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("signal handler");
        tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    init_logging();
    let cli = Cli::parse();
    let result: agentkit_core::Result<()> = async {
        match cli.command {
            Command::Serve { config, listen } => {
                let mut config = Config::load(&config)?;
                if let Some(addr) = listen {
                    config.server.listen = addr;
                }
                let server = agentkit_server::start(config).await?;
                tracing::info!(url = %server.public_url, "gateway listening");
                wait_for_shutdown().await;
            }
            Command::Dev { port, data_dir, sandbox_port } => {
                let env = dev::start(dev::DevOptions { port, data_dir, sandbox_port }).await?;
                tracing::info!(gateway = %env.gateway.public_url, sandbox = %env.sandbox_url, "dev environment ready");
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(env.exports().as_bytes());
                let _ = out.flush();
                drop(out);
                wait_for_shutdown().await;
            }
            Command::Keys { action: KeysAction::Rotate { config, data_dir } } => {
                let mut config = match config {
                    Some(path) => Config::load(&path)?,
                    None => Config::default(),
                };
                if let Some(dir) = data_dir {
                    config.server.data_dir = dir;
                }
                let vault = std::sync::Arc::new(agentkit_server::vault::Vault::open(&config.server.data_dir)?);
                let rotated_to = if std::env::var(agentkit_server::vault::KEYS_ENV).is_ok() {
                    vault.active_kid()
                } else {
                    vault.add_key()?
                };
                let store = agentkit_server::store::Store::open(&config.database_url(), vault).await?;
                let count = store.reseal_credentials().await?;
                println!("active vault key {rotated_to}; re-sealed {count} credential(s)");
            }
            Command::Sandbox { port } => {
                let (addr, _task) = sandbox::start(SocketAddr::from(([127, 0, 0, 1], port)))
                    .await
                    .map_err(|e| agentkit_core::Error::new(agentkit_core::ErrorKind::Server, e.to_string()))?;
                println!("export AGENTKIT_SANDBOX_URL=http://{addr}");
                wait_for_shutdown().await;
            }
        }
        Ok(())
    }
    .await;
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("agentkit: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
