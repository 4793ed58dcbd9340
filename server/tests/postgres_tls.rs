//! PostgreSQL over TLS, against a throwaway cluster that takes TLS connections only (`hostssl`,
//! `hostnossl … reject`) with a server certificate for 127.0.0.1/localhost that a CA made here
//! signed (the `openssl` command line):
//! - the gateway's store on `?sslmode=verify-full&sslrootcert=<ca.pem>` works, and every one of its
//!   sessions is encrypted;
//! - clear text (`sslmode=disable`) is refused by the server, for the store and for SQL tools;
//! - `verify-full` against a certificate from another CA stops the gateway at start with an
//!   error naming the certificate;
//! - SQL tools honour `sslmode` (`verify-full` / `verify-ca` with the CA as PEM text, `require`),
//!   and a connection string may not name files on the gateway (`sslrootcert=/path`) nor a Unix
//!   socket (`?host=/dir`).

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use agentkit_core::dispatch::{dispatch, Operation};
use agentkit_core::{Actions, ClientOptions, ScalekitClient};
use serde_json::{json, Value};

mod common;
use common::postgres::{running_as_root, Cluster, PASSWORD};
use common::Gateway;

/// A CA, a server certificate it signed (for localhost and 127.0.0.1) and a second, unrelated CA,
/// in a temp dir removed on drop.
struct Certs {
    dir: PathBuf,
}

impl Certs {
    fn make() -> Certs {
        let dir = std::env::temp_dir().join(format!("agentkit-pgtls-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let certs = Certs { dir };
        let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
        for (ca, name) in [("ca", "agentkit test CA"), ("other-ca", "some other CA")] {
            certs.openssl(&[&["req", "-x509"][..], &ec, &["-days", "2", "-subj", &format!("/CN={name}")]].concat(), ca);
        }
        std::fs::write(
            certs.path("server.ext"),
            "subjectAltName = DNS:localhost, IP:127.0.0.1\nbasicConstraints = CA:FALSE\n\
             keyUsage = critical, digitalSignature\nextendedKeyUsage = serverAuth\n",
        )
        .unwrap();
        certs.openssl(
            &[&["req"][..], &ec, &["-subj", "/CN=localhost", "-out", "server.csr", "-keyout", "server.key"]].concat(),
            "",
        );
        certs.openssl(
            &[
                "x509",
                "-req",
                "-in",
                "server.csr",
                "-CA",
                "ca.pem",
                "-CAkey",
                "ca.key",
                "-CAcreateserial",
                "-days",
                "2",
                "-extfile",
                "server.ext",
                "-out",
                "server.crt",
            ],
            "",
        );
        certs
    }

    /// Runs `openssl args` in the dir; with `ca`, writes `<ca>.pem` and `<ca>.key`.
    fn openssl(&self, args: &[&str], ca: &str) {
        let mut command = Command::new("openssl");
        command.current_dir(&self.dir).args(args);
        if !ca.is_empty() {
            command.args(["-out", &format!("{ca}.pem"), "-keyout", &format!("{ca}.key")]);
        }
        let out = command.output().expect("the openssl command line is installed (.ci/run installs it)");
        assert!(out.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }

    /// The PEM text of `name` on one line (the account API refuses line breaks in credentials;
    /// SQL tools take them as spaces or `\n`).
    fn pem(&self, name: &str, line_break: &str) -> String {
        std::fs::read_to_string(self.path(name)).unwrap().trim().lines().collect::<Vec<_>>().join(line_break)
    }
}

impl Drop for Certs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A cluster serving `certs`' server certificate that refuses every connection without TLS
/// (the Unix socket, which `psql` uses for setup, stays open).
fn tls_cluster(certs: &Certs) -> Cluster {
    Cluster::start_with(|dir| {
        for file in ["server.crt", "server.key"] {
            std::fs::copy(certs.path(file), dir.join(file)).unwrap();
            if running_as_root() {
                let ok = Command::new("chown").arg("postgres:postgres").arg(dir.join(file)).status().unwrap();
                assert!(ok.success(), "chown {file}");
            }
        }
        // PostgreSQL refuses a key that others may read.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.join("server.key"), std::fs::Permissions::from_mode(0o600)).unwrap();
        let data = dir.join("data");
        let mut conf = std::fs::read_to_string(data.join("postgresql.conf")).unwrap();
        conf.push_str(&format!(
            "\nssl = on\nssl_cert_file = '{}'\nssl_key_file = '{}'\n",
            dir.join("server.crt").display(),
            dir.join("server.key").display()
        ));
        std::fs::write(data.join("postgresql.conf"), conf).unwrap();
        std::fs::write(
            data.join("pg_hba.conf"),
            "local all all trust\nhostssl all all 127.0.0.1/32 scram-sha-256\nhostnossl all all all reject\n",
        )
        .unwrap();
    })
}

/// Runs `agentkit dev` on `database_url` until it exits (it must, within 60 s): its exit status
/// and everything it printed.
fn failed_start(database_url: &str) -> (std::process::ExitStatus, String) {
    let data_dir = std::env::temp_dir().join(format!("agentkit-pgtls-gw-{}", uuid::Uuid::new_v4().simple()));
    let mut child = Command::new(env!("CARGO_BIN_EXE_agentkit"))
        .env("AGENTKIT_DATABASE_URL", database_url)
        .args(["dev", "--port", "0", "--data-dir"])
        .arg(&data_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("agentkit dev kept running on {database_url}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = child.wait_with_output().unwrap();
    let _ = std::fs::remove_dir_all(&data_dir);
    (status, format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr)))
}

async fn run(actions: &Actions, identifier: &str, sql: &str) -> agentkit_core::Result<Value> {
    dispatch(
        actions,
        Operation::ExecuteTool,
        json!({"tool_name": "postgres_query", "identifier": identifier, "tool_input": {"sql": sql}}),
    )
    .await
    .map(|r| r["data"].clone())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_over_tls() {
    let certs = Certs::make();
    let cluster = tls_cluster(&certs);
    let url = cluster.database("agentkit_tls");
    let ca = certs.path("ca.pem");
    let verified = format!("{url}?sslmode=verify-full&sslrootcert={}", ca.display());

    // Clear text is refused by the server; the same URL over verified TLS is encrypted.
    let err = sqlx::PgPool::connect(&format!("{url}?sslmode=disable")).await.unwrap_err();
    assert!(err.to_string().contains("no encryption"), "{err}");
    let db = sqlx::PgPool::connect(&verified).await.unwrap();
    let ssl: bool =
        sqlx::query_scalar("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetch_one(&db).await.unwrap();
    assert!(ssl);

    // The gateway's store over verify-full: an account written and read back over HTTP.
    let gateway = Gateway::start_on(Some(&verified));
    gateway.active_account("alice").await;
    assert_eq!(common::account_status(&gateway.actions(), "gmail", "alice").await, "ACTIVE");
    let stored: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM connected_accounts").fetch_one(&db).await.unwrap();
    assert_eq!(stored, 1);
    // Every session the gateway holds is encrypted (the server would refuse any other).
    let sessions: Vec<(bool,)> = sqlx::query_as(
        "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) \
         WHERE a.usename = 'agentkit_tls' AND a.pid <> pg_backend_pid()",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    assert!(!sessions.is_empty() && sessions.iter().all(|(ssl,)| *ssl), "{sessions:?}");
    drop(gateway);

    // A store in clear text does not start: the server refuses it.
    let (status, printed) = failed_start(&format!("{url}?sslmode=disable"));
    assert!(!status.success());
    assert!(printed.contains("no encryption"), "{printed}");
    // verify-full against a certificate another CA signed stops the gateway at start, saying why.
    let (status, printed) =
        failed_start(&format!("{url}?sslmode=verify-full&sslrootcert={}", certs.path("other-ca.pem").display()));
    assert!(!status.success());
    assert!(printed.contains("invalid peer certificate: UnknownIssuer"), "{printed}");

    sql_tools_over_tls(&cluster, &certs, &verified).await;
}

/// SQL tools honour `sslmode` in their credentials, with the CA as PEM text.
async fn sql_tools_over_tls(cluster: &Cluster, certs: &Certs, store_url: &str) {
    let tools_url = cluster.database("sqltools");
    let data_dir = std::env::temp_dir().join(format!("agentkit-pgtls-sql-{}", uuid::Uuid::new_v4().simple()));
    let config = format!(
        "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"{}\"\ndatabase_url = \"{store_url}\"\n\
         [egress]\nallow = [\"127.0.0.1\"]\n[[api_clients]]\nclient_id = \"c\"\nclient_secret = \"s\"\n\
         [[connections]]\nname = \"warehouse\"\nconnector = \"postgres\"\n",
        data_dir.display()
    );
    let server = agentkit_server::start(agentkit_server::Config::parse(&config, "tls.toml").unwrap()).await.unwrap();
    let actions = Actions::new(ScalekitClient::new(&server.public_url, "c", "s", ClientOptions::default()).unwrap());
    let base = json!({"host": "127.0.0.1", "port": cluster.port, "database": "sqltools", "username": "sqltools",
                      "password": PASSWORD});
    let with = |extra: Value| {
        let mut details = base.clone();
        details.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        details
    };
    let ca = certs.pem("ca.pem", " ");
    let path_url = format!("{tools_url}?sslmode=verify-full&sslrootcert={}", certs.path("ca.pem").display());
    let socket_url = format!("{tools_url}?host={}", cluster.dir().display());
    let accounts = [
        ("full", with(json!({"sslmode": "verify-full", "sslrootcert": ca}))),
        ("ca", with(json!({"sslmode": "verify-ca", "sslrootcert": ca}))),
        ("require", with(json!({"sslmode": "require"}))),
        (
            "url",
            json!({"connection_string": format!("{tools_url}?sslmode=verify-full"),
                        "sslrootcert": certs.pem("ca.pem", "\\n")}),
        ),
        ("clear", with(json!({"sslmode": "disable"}))),
        ("other_ca", with(json!({"sslmode": "verify-full", "sslrootcert": certs.pem("other-ca.pem", " ")}))),
        ("no_ca", with(json!({"sslmode": "verify-full"}))),
        ("ca_path", with(json!({"sslmode": "verify-full", "sslrootcert": certs.path("ca.pem").display().to_string()}))),
        ("url_path", json!({"connection_string": path_url})),
        ("socket", json!({"connection_string": socket_url})),
    ];
    for (user, details) in &accounts {
        dispatch(
            &actions,
            Operation::CreateConnectedAccount,
            json!({"connection_name": "warehouse", "identifier": user,
                   "authorization_details": {"static_auth": {"details": details}}}),
        )
        .await
        .unwrap();
    }
    let session = "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()";
    for user in ["full", "ca", "require", "url"] {
        let result = run(&actions, user, session).await.unwrap_or_else(|e| panic!("{user}: {}", e.message()));
        assert_eq!(result["rows"], json!([[true]]), "{user}: {result}");
    }
    let refused = |user: &'static str, says: &'static str| {
        let actions = &actions;
        async move {
            let err = run(actions, user, session).await.expect_err(user);
            assert!(err.message().contains(says), "{user}: {}", err.message());
        }
    };
    refused("clear", "no encryption").await;
    refused("other_ca", "certificate").await;
    refused("no_ca", "certificate").await;
    // Certificate files and sockets on the gateway are not the client's to name.
    refused("ca_path", "PEM text").await;
    refused("url_path", "names a file on the gateway").await;
    refused("socket", "Unix sockets").await;
    let _ = std::fs::remove_dir_all(Path::new(&data_dir));
}
