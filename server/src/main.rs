//! The `agentkit` command: `serve` (the gateway), `dev` (gateway + sandbox upstream with printed
//! credentials) and `sandbox` (the upstream alone).

use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use agentkit_server::{config::Config, dev, sandbox};

#[derive(Parser)]
#[command(
    name = "agentkit",
    version,
    about = "AgentKit gateway: authenticated tool calling for AI agents"
)]
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
}

fn init_logging() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("AGENTKIT_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
}

async fn wait_for_shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("signal handler");
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
