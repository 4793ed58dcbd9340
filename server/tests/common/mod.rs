//! Shared harness of the server's integration tests: a real `agentkit dev` process.
#![allow(dead_code)]
#![allow(unsafe_code, clippy::unwrap_used, clippy::expect_used)] // signals to child processes; a panic in a test is a failed test

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

use agentkit_core::{Actions, ClientOptions, ScalekitClient};

pub mod postgres;

/// A running `agentkit dev` (gateway + sandbox) on free ports, removed on drop.
pub struct Gateway {
    child: Child,
    pub env: std::collections::HashMap<String, String>,
    pub data_dir: PathBuf,
    database_url: Option<String>,
}

impl Gateway {
    pub fn start() -> Gateway {
        Gateway::start_on(None)
    }

    /// `agentkit dev` with its store on `database_url` (`AGENTKIT_DATABASE_URL`), or SQLite.
    pub fn start_on(database_url: Option<&str>) -> Gateway {
        let data_dir = std::env::temp_dir().join(format!("agentkit-rust-test-{}", uuid::Uuid::new_v4().simple()));
        Gateway::launch(data_dir, database_url.map(String::from))
    }

    /// `agentkit dev` on SQLite in `data_dir` (made by the caller: a small filesystem, say).
    pub fn start_in(data_dir: PathBuf) -> Gateway {
        Gateway::launch(data_dir, None)
    }

    /// Kills the process at once (SIGKILL: no shutdown code runs) and starts a new one on the
    /// same data dir, as after a crash.
    pub fn crash_and_restart(mut self) -> Gateway {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let data_dir = std::mem::take(&mut self.data_dir);
        Gateway::launch(data_dir, self.database_url.take())
    }

    /// Sends SIGTERM (the gateway starts its graceful stop) without waiting for the exit.
    pub fn terminate(&self) {
        // SAFETY: kill(2) on our own child's pid; no memory is involved.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
    }

    /// Waits for the process to exit; its exit status.
    pub fn wait_exit(&mut self) -> std::process::ExitStatus {
        self.child.wait().unwrap()
    }

    /// Asks the process to stop (SIGTERM: shutdown code runs), waits, and starts a new one on the
    /// same data dir.
    pub fn stop_and_restart(mut self) -> Gateway {
        // SAFETY: kill(2) on our own child's pid; no memory is involved.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let _ = self.child.wait();
        let data_dir = std::mem::take(&mut self.data_dir);
        Gateway::launch(data_dir, self.database_url.take())
    }

    fn launch(data_dir: PathBuf, database_url: Option<String>) -> Gateway {
        let mut command = Command::new(env!("CARGO_BIN_EXE_agentkit"));
        command.env_remove("AGENTKIT_DATABASE_URL");
        if let Some(url) = &database_url {
            command.env("AGENTKIT_DATABASE_URL", url);
        }
        let mut child = command
            .args(["dev", "--port", "0", "--data-dir"])
            .arg(&data_dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("agentkit dev starts");
        let mut env = std::collections::HashMap::new();
        let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        while !env.contains_key("AGENTKIT_SANDBOX_URL") {
            let line = lines.next().expect("agentkit dev printed its variables").expect("utf-8");
            let (name, value) = line.trim_start_matches("export ").split_once('=').expect("NAME=value");
            env.insert(name.to_string(), value.to_string());
        }
        Gateway { child, env, data_dir, database_url }
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if !self.data_dir.as_os_str().is_empty() {
            let _ = std::fs::remove_dir_all(&self.data_dir);
        }
    }
}

impl Gateway {
    pub fn actions(&self) -> Actions {
        let client = ScalekitClient::new(
            &self.env["SCALEKIT_ENV_URL"],
            &self.env["SCALEKIT_CLIENT_ID"],
            &self.env["SCALEKIT_CLIENT_SECRET"],
            ClientOptions::default(),
        )
        .unwrap();
        Actions::new(client)
    }

    /// Mints a sandbox access token for `user` (a stand-in for the user's consent).
    pub async fn sandbox_token(&self, user: &str) -> String {
        let resp: serde_json::Value = reqwest::Client::new()
            .post(format!("{}/sandbox/tokens", self.env["AGENTKIT_SANDBOX_URL"]))
            .json(&serde_json::json!({"user": user}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        resp["access_token"].as_str().unwrap().to_string()
    }

    /// An ACTIVE gmail account for `user`, holding a sandbox access token.
    pub async fn active_account(&self, user: &str) {
        use agentkit_core::dispatch::{dispatch, Operation};
        let token = self.sandbox_token(user).await;
        dispatch(
            &self.actions(),
            Operation::CreateConnectedAccount,
            serde_json::json!({"connection_name": "gmail", "identifier": user,
                               "authorization_details": {"oauth_token": {"access_token": token}}}),
        )
        .await
        .unwrap();
    }

    /// An API access token for this gateway's dev client.
    pub async fn api_token(&self) -> String {
        api_token(&self.env["SCALEKIT_ENV_URL"], &self.env["SCALEKIT_CLIENT_ID"], &self.env["SCALEKIT_CLIENT_SECRET"])
            .await
    }

    /// Every byte the gateway keeps on disk (database, WAL, key files), as one lossy string.
    pub fn disk_contents(&self) -> String {
        let mut all = String::new();
        for entry in std::fs::read_dir(&self.data_dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_file() {
                all.push_str(&String::from_utf8_lossy(&std::fs::read(&path).unwrap()));
            }
        }
        all
    }
}

/// An API access token (client-credentials grant) from the gateway at `base`.
pub async fn api_token(base: &str, client_id: &str, client_secret: &str) -> String {
    let answer: serde_json::Value = reqwest::Client::new()
        .post(format!("{base}/oauth/token"))
        .form(&[("grant_type", "client_credentials"), ("client_id", client_id), ("client_secret", client_secret)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["access_token"].as_str().expect("an access token").to_string()
}

/// A browser: keeps cookies, follows redirects, stops at the app's verification page (which the
/// tests do not serve).
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            if attempt.url().path() == "/app/verify" {
                attempt.stop()
            } else {
                attempt.follow()
            }
        }))
        .build()
        .unwrap()
}

/// An authorization link for `user` on `connection`, with `extra` link parameters.
pub async fn authorization_link(actions: &Actions, connection: &str, user: &str, extra: serde_json::Value) -> String {
    use agentkit_core::dispatch::{dispatch, Operation};
    let mut params = serde_json::json!({"connection_name": connection, "identifier": user});
    params.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
    dispatch(actions, Operation::GetAuthorizationLink, params).await.unwrap()["link"].as_str().unwrap().to_string()
}

/// The status of `user`'s account on `connection` (`ACTIVE`, `PENDING_AUTH`…).
pub async fn account_status(actions: &Actions, connection: &str, user: &str) -> String {
    use agentkit_core::dispatch::{dispatch, Operation};
    let got = dispatch(
        actions,
        Operation::GetConnectedAccountDetails,
        serde_json::json!({"connection_name": connection, "identifier": user}),
    )
    .await
    .unwrap();
    got["connected_account"]["status"].as_str().unwrap().to_string()
}

/// `agentkit serve` from a config file: `[server]` on a free loopback port with its data dir in a
/// temp dir, then `server_settings` (more `[server]` keys), then `rest`; `environment` set for
/// the process (and `AGENTKIT_DATABASE_URL` removed). Ready (`/readyz` 200) once started; killed
/// and its directory removed on drop.
pub struct Served {
    child: Child,
    pub base: String,
    pub dir: PathBuf,
}

impl Served {
    pub async fn start(server_settings: &str, rest: &str, environment: &[(&str, &str)]) -> Served {
        let dir = std::env::temp_dir().join(format!("agentkit-served-{}", uuid::Uuid::new_v4().simple()));
        std::fs::create_dir_all(&dir).unwrap();
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let file = dir.join("agentkit.toml");
        let data = dir.join("data");
        let text = format!(
            "[server]\nlisten = \"127.0.0.1:{port}\"\ndata_dir = \"{}\"\n{server_settings}\n{rest}",
            data.display()
        );
        std::fs::write(&file, text).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_agentkit"))
            .args(["serve", "--config"])
            .arg(&file)
            .envs(environment.iter().copied())
            .env_remove("AGENTKIT_DATABASE_URL")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("agentkit serve starts");
        let served = Served { child, base: format!("http://127.0.0.1:{port}"), dir };
        for _ in 0..300 {
            if reqwest::get(format!("{}/readyz", served.base)).await.is_ok_and(|r| r.status() == 200) {
                return served;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        panic!("agentkit serve did not become ready");
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
