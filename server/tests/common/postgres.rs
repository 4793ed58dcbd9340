//! A throwaway PostgreSQL cluster for tests (initdb + pg_ctl in a temp dir, password
//! authentication over TCP), as `.ci/run` installs PostgreSQL from Debian when it is missing.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a panic in a test is a failed test

use std::path::{Path, PathBuf};
use std::process::Command;

pub const PASSWORD: &str = "s3cret-pg-password";

/// A throwaway cluster, stopped and removed on drop.
pub struct Cluster {
    dir: PathBuf,
    bin: PathBuf,
    pub port: u16,
}

/// PostgreSQL's server programs: on PATH, or in Debian's versioned directory.
fn pg_bin() -> PathBuf {
    if let Ok(out) = Command::new("sh").args(["-c", "command -v initdb"]).output() {
        let found = String::from_utf8_lossy(&out.stdout).trim().to_string();
        if !found.is_empty() {
            // Debian links a few programs into /usr/local/bin; psql sits next to the real initdb.
            let real = std::fs::canonicalize(&found).unwrap_or_else(|_| PathBuf::from(&found));
            return real.parent().unwrap().to_path_buf();
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed (.ci/run installs it)")
        .map(|e| e.unwrap().path().join("bin"))
        .collect();
    versions.sort();
    versions.pop().expect("a PostgreSQL version")
}

/// Runs a server program; as root, as the `postgres` user (initdb refuses root).
fn pg_command(bin: &Path, program: &str) -> Command {
    let is_root = Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false);
    if is_root {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(bin.join(program));
        c
    } else {
        Command::new(bin.join(program))
    }
}

impl Cluster {
    pub fn start() -> Cluster {
        Cluster::start_with(|_| {})
    }

    /// A cluster that `configure` adjusts between initdb and the first start; it gets the
    /// cluster's directory (the data directory is its `data`, owned by the `postgres` user when
    /// the tests run as root: files put there must be given to that user).
    pub fn start_with(configure: impl FnOnce(&Path)) -> Cluster {
        let bin = pg_bin();
        let dir = std::env::temp_dir().join(format!("agentkit-pg-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let pwfile = dir.join("pw");
        std::fs::write(&pwfile, PASSWORD).unwrap();
        let _ = Command::new("chown").args(["-R", "postgres:postgres"]).arg(&dir).status();
        let data = dir.join("data");
        let ok = pg_command(&bin, "initdb")
            .args(["-U", "postgres", "--auth-host=scram-sha-256", "--auth-local=trust", "--pwfile"])
            .arg(&pwfile)
            .arg("-D")
            .arg(&data)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(ok.success(), "initdb");
        configure(&dir);
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let cluster = Cluster { dir, bin, port };
        cluster.start_again();
        cluster
    }

    /// Starts the server (again, after [`Cluster::stop`]) on the same port and data.
    pub fn start_again(&self) {
        let ok = pg_command(&self.bin, "pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-w", "-l"])
            .arg(self.dir.join("log"))
            .arg("-o")
            .arg(format!("-p {} -k {} -c listen_addresses=127.0.0.1", self.port, self.dir.display()))
            .arg("start")
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(ok.success(), "pg_ctl start");
    }

    /// Stops the server at once (`immediate`: as a crash; recovery runs at the next start).
    pub fn stop(&self) {
        let ok = pg_command(&self.bin, "pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(ok.success(), "pg_ctl stop");
    }

    /// Runs `sql` in the `postgres` database; what it printed (unaligned, tuples only).
    pub fn psql(&self, sql: &str) -> String {
        self.psql_in("postgres", sql)
    }

    /// Runs `sql` in `database`; what it printed (unaligned, tuples only).
    pub fn psql_in(&self, database: &str, sql: &str) -> String {
        let ok = pg_command(&self.bin, "psql")
            .args([
                "-h",
                self.dir.to_str().unwrap(),
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                "-d",
                database,
                "-At",
                "-v",
                "ON_ERROR_STOP=1",
            ])
            .args(["-c", sql])
            .output()
            .unwrap();
        assert!(ok.status.success(), "psql {sql}: {}", String::from_utf8_lossy(&ok.stderr));
        String::from_utf8_lossy(&ok.stdout).trim().to_string()
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = pg_command(&self.bin, "pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "stop"])
            .stdout(std::process::Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Whether the tests run as root (then the cluster runs as `postgres`, see [`pg_command`]).
pub fn running_as_root() -> bool {
    Command::new("id").arg("-u").output().map(|o| o.stdout.starts_with(b"0")).unwrap_or(false)
}

impl Cluster {
    /// The cluster's directory (its data directory is `data` in it).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// A new database owned by a new (non-superuser) role; its `postgres://` URL.
    pub fn database(&self, name: &str) -> String {
        self.psql(&format!("CREATE ROLE {name} LOGIN PASSWORD '{PASSWORD}'"));
        self.psql(&format!("CREATE DATABASE {name} OWNER {name}"));
        format!("postgres://{name}:{PASSWORD}@127.0.0.1:{}/{name}", self.port)
    }
}
