//! The `agentkit` command: `serve` (the gateway), `dev` (gateway + sandbox upstream with printed
//! credentials) and `sandbox` (the upstream alone).

#[cfg(feature = "sandbox")]
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Parser, Subcommand};

use agentkit_server::config::Config;
use agentkit_server::store::vault::{Vault, KEYS_ENV};

/// mimalloc rather than glibc's malloc: a call allocates many small short-lived buffers across
/// threads, where glibc spent ~12% of the gateway's CPU (see docs/performance.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;
#[cfg(feature = "sandbox")]
use agentkit_server::dev;

/// `agentkit --version`: the release and the commit it was built from (`server/build.rs`).
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (commit ", env!("AGENTKIT_COMMIT"), ")");

#[derive(Parser)]
#[command(name = "agentkit", version = VERSION, about = "AgentKit gateway: authenticated tool calling for AI agents")]
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
    #[cfg(feature = "sandbox")]
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
    #[cfg(feature = "sandbox")]
    Sandbox {
        #[arg(long, default_value_t = 9100)]
        port: u16,
    },
    /// Check connector files, or make a running gateway reload its connector directory.
    Connectors {
        #[command(subcommand)]
        action: ConnectorsAction,
    },
    /// Check a config file: print the effective configuration (defaults filled in, secrets
    /// redacted) and every problem `serve` would refuse or warn about.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Manage console operators.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
    /// Manage the vault keys that seal stored credentials.
    Keys {
        #[command(subcommand)]
        action: KeysAction,
    },
    /// Print the gateway's OpenAPI document, as `GET /api/v1/openapi.json` serves it
    /// (`docs/openapi.json` is this output).
    Openapi,
}

#[derive(Subcommand)]
enum AdminAction {
    /// Add a console operator, or set an existing one's role and password (ending their
    /// sessions). The password is read from AGENTKIT_OPERATOR_PASSWORD, else from the first line
    /// of standard input.
    AddUser {
        name: String,
        /// `admin` (everything) or `viewer` (reads; never a secret).
        #[arg(long, default_value = "admin")]
        role: String,
        #[command(flatten)]
        target: KeysTarget,
    },
}

#[derive(Subcommand)]
enum ConfigAction {
    /// Exit status 1 when `serve` would refuse the file.
    Check {
        #[arg(env = "AGENTKIT_CONFIG", default_value = "agentkit.toml")]
        file: PathBuf,
    },
    /// Print every setting with its default, commented (server/default.toml, built in).
    Defaults,
}

#[derive(Subcommand)]
enum ConnectorsAction {
    /// Validate connector files (or directories of them) as the gateway would load them, next to
    /// the built-in catalog; errors name the file, line, column and field.
    Check { paths: Vec<PathBuf> },
    /// Turn an API description into a connector file in our format, to review, edit and keep.
    Import {
        #[command(subcommand)]
        format: ImportFormat,
    },
    /// Show the exact request a tool sends for an input (--dry-run: no gateway, no credential),
    /// or run it through a gateway as a connected account and show the answer (the gateway from
    /// SCALEKIT_ENV_URL, SCALEKIT_CLIENT_ID and SCALEKIT_CLIENT_SECRET, as `agentkit dev` prints them).
    Try {
        /// The connector's slug (`gmail`).
        connector: String,
        /// The tool: its name (`gmail_fetch_mails`) or the part after the connector's slug (`fetch_mails`).
        tool: String,
        /// The tool input as JSON.
        #[arg(long, default_value = "{}")]
        input: String,
        /// Print the request without sending it.
        #[arg(long)]
        dry_run: bool,
        /// Connector files to load next to the built-in ones (a gateway's `server.connectors_dir`).
        #[arg(long)]
        connectors_dir: Option<PathBuf>,
        /// The API base of the dry run (a connection's `base_url`); default: the connector's.
        #[arg(long)]
        base_url: Option<String>,
        /// Without --dry-run: the user identifier of the connected account to run as.
        #[arg(long)]
        identifier: Option<String>,
        /// Without --dry-run: the connection of that account (default: the connector's slug).
        #[arg(long)]
        connection: Option<String>,
    },
    /// Print the built-in catalog as docs/connectors.md shows it (connectors, auth, set-up at the
    /// provider, tools), or with --update write it into that page between its markers.
    Catalog {
        /// The Markdown file whose generated catalog part to replace (docs/connectors.md).
        #[arg(long)]
        update: Option<PathBuf>,
    },
    /// Make the gateway serving this config re-read its connector directory (SIGHUP to the pid in
    /// its data dir). A broken file is logged and the running catalog kept.
    Reload {
        #[arg(long, short, env = "AGENTKIT_CONFIG", default_value = "agentkit.toml")]
        config: PathBuf,
    },
}

#[derive(Subcommand)]
enum ImportFormat {
    /// An OpenAPI 3.0 / 3.1 or Swagger 2.0 description (JSON or YAML): one tool per operation.
    /// The connector goes to stdout (or --out); the tool count, every skipped operation with its
    /// reason and the notes go to stderr.
    Openapi {
        /// The description file.
        spec: PathBuf,
        /// Connector slug and tool-name prefix (default: from `info.title`).
        #[arg(long)]
        name: Option<String>,
        /// Only operations tagged with one of these.
        #[arg(long, value_delimiter = ',')]
        include_tags: Vec<String>,
        /// Only operations under these paths: prefixes (`/pets`) or globs (`/pets/*/photos`).
        #[arg(long, value_delimiter = ',')]
        include_paths: Vec<String>,
        /// Write the connector file here instead of stdout.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand)]
enum KeysAction {
    /// Add a new key, make it active and re-seal every sealed value (credentials, held tokens,
    /// PKCE verifiers, MCP instance keys, webhook secrets) with it, while gateways keep serving
    /// (they load the new key on first sight). With AGENTKIT_VAULT_KEYS set, put the new key first
    /// there and this only re-seals.
    Rotate {
        #[command(flatten)]
        target: KeysTarget,
    },
    /// Remove an old key from the key file once nothing is sealed with it any more (run `rotate`
    /// first). Refuses the active key, a key still in use, and keys from AGENTKIT_VAULT_KEYS.
    Retire {
        /// The key id to remove (the first word of its line in the key file).
        kid: String,
        #[command(flatten)]
        target: KeysTarget,
    },
}

/// Which gateway's keys and database a `keys` command works on.
#[derive(clap::Args)]
struct KeysTarget {
    /// The gateway's config file (its key file and database are used).
    #[arg(long, short, conflicts_with = "data_dir")]
    config: Option<PathBuf>,
    /// A data dir of `agentkit dev` instead of a config file.
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

impl KeysTarget {
    fn config(self) -> agentkit_core::Result<Config> {
        let mut config = match self.config {
            Some(path) => Config::load(&path)?,
            None => Config::from_environment()?,
        };
        if let Some(dir) = self.data_dir {
            config.server.data_dir = dir;
        }
        Ok(config)
    }

    /// The store of the config, sealing with `vault`.
    async fn store(
        config: &Config,
        vault: std::sync::Arc<Vault>,
    ) -> agentkit_core::Result<agentkit_server::store::Store> {
        agentkit_server::store::Store::open(
            &config.database_url(),
            vault,
            agentkit_server::store::StoreSettings::from_config(config),
        )
        .await
    }
}

/// How to log: the config's `[logging]` (`AGENTKIT_LOG_FORMAT` and `AGENTKIT_LOG` over it) — of
/// the file for `serve` (a file that does not load is reported after logging starts).
fn log_settings(command: &Command) -> agentkit_server::telemetry::logging::LoggingConfig {
    let config = match command {
        Command::Serve { config, .. } => Config::load(config).or_else(|_| Config::from_environment()),
        _ => Config::from_environment(),
    };
    config.unwrap_or_default().logging
}

/// Where `serve` records its pid, for `agentkit connectors reload`.
const PID_FILE: &str = "agentkit.pid";

/// Reloads the connector directory on SIGHUP, logging the outcome (a broken file keeps the
/// running catalog).
fn reload_on_sighup(state: agentkit_server::state::SharedState) {
    #[cfg(unix)]
    tokio::spawn(async move {
        let Ok(mut hup) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) else { return };
        while hup.recv().await.is_some() {
            // Success is logged by the reload itself.
            if let Err(e) = state.reload_connectors().await {
                tracing::error!(error = %e.message(), "connector reload failed; the previous catalog stays");
            }
        }
    });
    #[cfg(not(unix))]
    let _ = state;
}

/// Whether `pid` is a running process of this same program (Linux: its `/proc/<pid>/exe`); where
/// that cannot be told, a running process is taken at its word.
fn is_agentkit_process(pid: &str) -> bool {
    let Ok(pid) = pid.parse::<u32>() else { return false };
    let proc_exe = std::path::PathBuf::from(format!("/proc/{pid}/exe"));
    if !std::path::Path::new("/proc/self/exe").exists() {
        return true;
    }
    match (std::fs::read_link(proc_exe), std::env::current_exe()) {
        (Ok(theirs), Ok(ours)) => theirs == ours,
        _ => false,
    }
}

async fn wait_for_shutdown() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut term) => tokio::select! { _ = ctrl_c => {}, _ = term.recv() => {} },
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGTERM; stopping on Ctrl-C only");
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    let _ = ctrl_c.await;
}

fn main() -> std::process::ExitCode {
    // SAFETY: the first statement, before the runtime (or anything else) starts a thread.
    #[allow(unsafe_code, reason = "isolate changes the environment, which needs a single thread")]
    unsafe {
        agentkit_server::store::libpq_env::isolate()
    };
    match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime.block_on(run()),
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> std::process::ExitCode {
    let cli = Cli::parse();
    let _log_writer = agentkit_server::telemetry::logging::init(&log_settings(&cli.command));
    let result: agentkit_core::Result<()> = async {
        match cli.command {
            Command::Serve { config, listen } => {
                let mut config = Config::load(&config)?;
                if let Some(addr) = listen {
                    config.server.listen = addr;
                }
                let pid_file = config.server.data_dir.join(PID_FILE);
                let server = agentkit_server::start(config).await?;
                if let Err(e) =
                    agentkit_server::private_files::write_private_file(&pid_file, std::process::id().to_string().as_bytes())
                {
                    tracing::warn!(path = %pid_file.display(), error = %e, "cannot write the pid file; `connectors reload` will not find this gateway");
                }
                reload_on_sighup(server.state.clone());
                tracing::info!(url = %server.public_url, "gateway listening");
                wait_for_shutdown().await;
                tracing::info!("stopping: finishing requests in flight");
                // In-flight requests finish and queued bookkeeping is committed before the process goes.
                server.shutdown().await;
                let _ = std::fs::remove_file(pid_file);
            }
            #[cfg(feature = "sandbox")]
            Command::Dev { port, data_dir, sandbox_port } => {
                let env = dev::start(dev::DevOptions { port, data_dir, sandbox_port }).await?;
                tracing::info!(gateway = %env.gateway.public_url, sandbox = %env.sandbox_url, "dev environment ready");
                let mut out = std::io::stdout().lock();
                let _ = out.write_all(env.exports().as_bytes());
                let _ = out.flush();
                drop(out);
                wait_for_shutdown().await;
                env.gateway.shutdown().await;
            }
            Command::Admin { action: AdminAction::AddUser { name, role, target } } => {
                let role: agentkit_server::permissions::OperatorRole = role.parse()?;
                let name = name.trim().to_string();
                if name.is_empty() || name.len() > 128 || name.chars().any(|c| c.is_control() || c.is_whitespace()) {
                    return Err(agentkit_core::Error::invalid_field(
                        "name",
                        "name must be 1 to 128 characters without spaces or control characters",
                    ));
                }
                let password = match std::env::var("AGENTKIT_OPERATOR_PASSWORD") {
                    Ok(password) => password,
                    Err(_) => {
                        let mut line = String::new();
                        std::io::stdin().read_line(&mut line).map_err(|e| {
                            agentkit_core::Error::invalid_field("password", format!("cannot read standard input: {e}"))
                        })?;
                        line.trim_end_matches(['\r', '\n']).to_string()
                    }
                };
                if password.chars().count() < 12 || password.len() > 256 {
                    return Err(agentkit_core::Error::invalid_field(
                        "password",
                        "the password must be 12 to 256 characters (AGENTKIT_OPERATOR_PASSWORD or standard input)",
                    ));
                }
                let config = target.config()?;
                let vault = std::sync::Arc::new(Vault::open(&config.vault_key_file())?);
                let store = KeysTarget::store(&config, vault).await?;
                let operator = agentkit_server::store::Operator {
                    name: name.clone(),
                    role: role.as_str().to_string(),
                    password_hash: agentkit_server::console::hash_password(&password)?,
                };
                let row = agentkit_server::audit::change_row_by(
                    "cli",
                    "console.operator_set",
                    &name,
                    serde_json::json!({"role": role.as_str()}),
                );
                store.put_operator(&operator, &agentkit_server::store::ChangeRecords::audited(row)).await?;
                println!("operator {name} ({}) can sign in at {}/console", role.as_str(), config.public_url(config.server.listen));
            }
            Command::Keys { action: KeysAction::Rotate { target } } => {
                let config = target.config()?;
                let vault = std::sync::Arc::new(Vault::open(&config.vault_key_file())?);
                let store = KeysTarget::store(&config, vault.clone()).await?;
                let rotated = agentkit_server::domain::vault_keys::rotate(&store, &vault, std::env::var(KEYS_ENV).is_ok()).await?;
                let total: u64 = rotated.resealed.iter().map(|(_, n)| n).sum();
                println!("active vault key {}; re-sealed {total} value(s)", rotated.active_key);
                for (column, n) in &rotated.resealed {
                    println!("  {}: {n}", column.name());
                }
            }
            Command::Keys { action: KeysAction::Retire { kid, target } } => {
                if std::env::var(KEYS_ENV).is_ok() {
                    return Err(agentkit_core::Error::invalid_field(
                        KEYS_ENV,
                        format!(
                            "vault keys come from {KEYS_ENV}, not a key file: run `agentkit keys rotate` (it re-seals \
                             everything with the first key listed there), then remove {kid:?} from {KEYS_ENV} and \
                             restart the gateways"
                        ),
                    ));
                }
                let config = target.config()?;
                let key_file = config.vault_key_file();
                // Opening a vault on a missing file would generate one.
                if !key_file.exists() {
                    return Err(agentkit_core::Error::not_found(format!(
                        "no vault key file at {}",
                        key_file.display()
                    )));
                }
                let vault = std::sync::Arc::new(Vault::open(&key_file)?);
                let store = KeysTarget::store(&config, vault.clone()).await?;
                agentkit_server::domain::vault_keys::retire(&store, &vault, &kid).await?;
                println!(
                    "retired vault key {kid}; {} key(s) left in {}, {} active",
                    vault.kids().len(),
                    key_file.display(),
                    vault.active_kid()
                );
            }
            Command::Config { action: ConfigAction::Defaults } => {
                print!("{}", agentkit_server::config::DEFAULTS);
            }
            Command::Config { action: ConfigAction::Check { file } } => {
                let config = Config::load(&file)?;
                let mut catalog = agentkit_server::catalog::connectors::Catalog::built_in()?;
                if let Some(dir) = &config.server.connectors_dir {
                    catalog.add_dir(dir)?;
                }
                print!("{}", agentkit_server::config::redacted(&config));
                let problems = config.problems(&|slug| catalog.is_oauth(slug));
                for problem in &problems {
                    eprintln!("{}: {}", if problem.refuse { "error" } else { "warning" }, problem.message);
                }
                if problems.iter().any(|p| p.refuse) {
                    return Err(agentkit_core::Error::invalid_field("config", "serve would refuse this configuration"));
                }
                if problems.is_empty() {
                    eprintln!("{}: no problems found", file.display());
                }
            }
            Command::Connectors { action: ConnectorsAction::Check { paths } } => check_connector_files(&paths)?,
            Command::Connectors { action: ConnectorsAction::Catalog { update } } => print_catalog(update.as_deref())?,
            Command::Connectors {
                action:
                    ConnectorsAction::Import {
                        format: ImportFormat::Openapi { spec, name, include_tags, include_paths, out },
                    },
            } => {
                import_openapi_file(&spec, name, include_tags, include_paths, out.as_deref())?;
            }
            Command::Connectors {
                action:
                    ConnectorsAction::Try {
                        connector,
                        tool,
                        input,
                        dry_run,
                        connectors_dir,
                        base_url,
                        identifier,
                        connection,
                    },
            } => {
                let try_run = ToolTry { connector, tool, input, connectors_dir, base_url, identifier, connection };
                if dry_run {
                    try_run.preview()?;
                } else {
                    try_run.send().await?;
                }
            }
            Command::Connectors { action: ConnectorsAction::Reload { config } } => {
                let config = Config::load(&config)?;
                let pid_file = config.server.data_dir.join(PID_FILE);
                let pid = std::fs::read_to_string(&pid_file).map_err(|_| {
                    agentkit_core::Error::not_found(format!("no running gateway: {} is missing", pid_file.display()))
                })?;
                let pid = pid.trim();
                // A pid file left by a gateway that died may name an unrelated process by now.
                if !is_agentkit_process(pid) {
                    return Err(agentkit_core::Error::not_found(format!(
                        "no running gateway: {} names process {pid}, which is not an agentkit gateway (a stale pid file)",
                        pid_file.display()
                    )));
                }
                let sent = std::process::Command::new("kill").args(["-HUP", pid]).status();
                if !sent.is_ok_and(|s| s.success()) {
                    return Err(agentkit_core::Error::not_found(format!("gateway process {pid} is not running")));
                }
                println!("asked gateway {pid} to reload its connectors (see its log for the outcome)");
            }
            Command::Openapi => {
                use std::io::Write;
                let text = agentkit_server::api::openapi::document_text();
                std::io::stdout().lock().write_all(text.as_bytes()).map_err(|e| {
                    agentkit_core::Error::new(agentkit_core::ErrorKind::Server, format!("cannot write: {e}"))
                })?;
            }
            #[cfg(feature = "sandbox")]
            Command::Sandbox { port } => {
                let (addr, _task) = agentkit_sandbox::start(SocketAddr::from(([127, 0, 0, 1], port)))
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

/// `agentkit connectors catalog`: the generated catalog on stdout, or written into `update`.
fn print_catalog(update: Option<&std::path::Path>) -> agentkit_core::Result<()> {
    use agentkit_server::catalog::catalog_docs;
    let generated = catalog_docs::markdown(&agentkit_server::catalog::connectors::Catalog::built_in()?);
    let Some(path) = update else {
        print!("{generated}");
        return Ok(());
    };
    let io = |e: std::io::Error| agentkit_core::Error::invalid_field("update", format!("{}: {e}", path.display()));
    let text = std::fs::read_to_string(path).map_err(io)?;
    let updated = catalog_docs::replace_generated(&text, &generated).ok_or_else(|| {
        agentkit_core::Error::invalid_field(
            "update",
            format!(
                "{} has no generated catalog part (between {:?} and {:?})",
                path.display(),
                catalog_docs::BEGIN_MARKER,
                catalog_docs::END_MARKER
            ),
        )
    })?;
    std::fs::write(path, updated).map_err(io)?;
    Ok(())
}

/// `agentkit connectors check`: every finding of every file, then a count; fails on any error.
fn check_connector_files(paths: &[PathBuf]) -> agentkit_core::Result<()> {
    let report = agentkit_server::catalog::connector_check::check_files(paths)?;
    for line in &report.lines {
        eprintln!("{line}");
    }
    if report.errors > 0 {
        return Err(agentkit_core::Error::invalid_field(
            "connector",
            format!("{} error(s) in the connector files above", report.errors),
        ));
    }
    println!("ok: {} connectors, {} tools (built-in included)", report.connectors, report.tools);
    Ok(())
}

/// `agentkit connectors import openapi`: imports, proves the result loads next to the built-in
/// catalog, writes it, and reports what was left out and why.
fn import_openapi_file(
    spec: &std::path::Path,
    slug: Option<String>,
    include_tags: Vec<String>,
    include_paths: Vec<String>,
    out: Option<&std::path::Path>,
) -> agentkit_core::Result<()> {
    use agentkit_server::catalog::openapi_import::{import_openapi, ImportOptions, MAX_DESCRIPTION_BYTES};
    let unreadable =
        |e: std::io::Error| agentkit_core::Error::invalid_field("spec", format!("cannot read {}: {e}", spec.display()));
    let size = std::fs::metadata(spec).map_err(unreadable)?.len();
    if size > MAX_DESCRIPTION_BYTES as u64 {
        return Err(agentkit_core::Error::invalid_field(
            "spec",
            format!("{} is {size} bytes, over the limit of {MAX_DESCRIPTION_BYTES} bytes", spec.display()),
        ));
    }
    let text = std::fs::read_to_string(spec).map_err(unreadable)?;
    let imported = import_openapi(&text, &ImportOptions { slug, include_tags, include_paths })?;
    let file = imported.file_text();
    let mut catalog = agentkit_server::catalog::connectors::Catalog::built_in()?;
    catalog.add_file("imported connector", &file)?;
    match out {
        Some(path) => std::fs::write(path, format!("{file}\n"))
            .map_err(|e| agentkit_core::Error::invalid_field("out", format!("cannot write {}: {e}", path.display())))?,
        None => println!("{file}"),
    }
    let slug = imported.connector["slug"].as_str().unwrap_or_default();
    eprintln!(
        "imported {} tools into connector {slug:?}; skipped {} operations",
        imported.tool_count(),
        imported.skipped.len()
    );
    for skipped in &imported.skipped {
        eprintln!("skipped {}: {}", skipped.operation, skipped.reason);
    }
    for note in &imported.notes {
        eprintln!("note: {note}");
    }
    Ok(())
}

/// `agentkit connectors try`: one tool, one input.
struct ToolTry {
    connector: String,
    tool: String,
    input: String,
    connectors_dir: Option<PathBuf>,
    base_url: Option<String>,
    identifier: Option<String>,
    connection: Option<String>,
}

impl ToolTry {
    fn input(&self) -> agentkit_core::Result<serde_json::Value> {
        serde_json::from_str(&self.input)
            .map_err(|e| agentkit_core::Error::invalid_field("input", format!("--input is not JSON: {e}")))
    }

    /// The tool's full name: as given, or prefixed with the connector's slug.
    fn tool_name(&self, catalog: &agentkit_server::catalog::connectors::Catalog) -> String {
        if catalog.tool(&self.tool).is_some() {
            self.tool.clone()
        } else {
            format!("{}_{}", self.connector, self.tool)
        }
    }

    /// Prints the request the tool would send, the credential shown as a placeholder.
    fn preview(&self) -> agentkit_core::Result<()> {
        let mut catalog = agentkit_server::catalog::connectors::Catalog::built_in()?;
        if let Some(dir) = &self.connectors_dir {
            catalog.add_dir(dir)?;
        }
        let name = self.tool_name(&catalog);
        let tool = catalog.tool(&name).filter(|t| t.connector.slug == self.connector).ok_or_else(|| {
            agentkit_core::Error::not_found(format!("connector {:?} has no tool {:?}", self.connector, self.tool))
        })?;
        let request =
            agentkit_server::execution::http::preview_request(tool, &self.input()?, self.base_url.as_deref())?;
        print!("{}", request.describe(&tool.connector.auth));
        Ok(())
    }

    /// Runs the tool through the gateway as the connected account and prints the answer.
    async fn send(&self) -> agentkit_core::Result<()> {
        let identifier = self.identifier.clone().ok_or_else(|| {
            agentkit_core::Error::invalid_field(
                "identifier",
                "--identifier names the connected account to run as (or use --dry-run)",
            )
        })?;
        let env = |name: &str| {
            std::env::var(name).map_err(|_| {
                agentkit_core::Error::invalid_field(
                    name,
                    format!("{name} is not set: export what `agentkit dev` prints, or use --dry-run"),
                )
            })
        };
        let client = agentkit_core::ScalekitClient::new(
            &env("SCALEKIT_ENV_URL")?,
            &env("SCALEKIT_CLIENT_ID")?,
            &env("SCALEKIT_CLIENT_SECRET")?,
            agentkit_core::ClientOptions::default(),
        )?;
        let actions = agentkit_core::Actions::new(client);
        let tool_name = if self.tool.starts_with(&format!("{}_", self.connector)) {
            self.tool.clone()
        } else {
            format!("{}_{}", self.connector, self.tool)
        };
        let connection = self.connection.clone().unwrap_or_else(|| self.connector.clone());
        let request = serde_json::json!({
            "tool_name": tool_name, "identifier": identifier, "connection_name": connection, "tool_input": self.input()?,
        });
        let answer =
            agentkit_core::dispatch::dispatch(&actions, agentkit_core::dispatch::Operation::ExecuteTool, request)
                .await?;
        println!("{}", serde_json::to_string_pretty(&answer).unwrap_or_default());
        Ok(())
    }
}
