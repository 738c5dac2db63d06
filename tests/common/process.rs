//! The `bidroom` binary as a separate process, for what only a process can show: SIGKILL
//! and restart, SIGTERM and exit codes.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{ADMIN_PASSWORD, ADMIN_USERNAME, BANK_SECRET, ID_NUMBER_KEY, TestApp, TestDatabase};

pub struct ServerProcess {
    pub child: Child,
    pub address: String,
}

impl ServerProcess {
    /// Starts `bidroom serve` on port 0 and waits for its ready line.
    pub fn start(database_url: &str) -> ServerProcess {
        ServerProcess::start_with(database_url, &[])
    }

    /// Starts `bidroom serve` on port 0 with more flags, and waits for its ready line.
    pub fn start_with(database_url: &str, flags: &[&str]) -> ServerProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_bidroom"))
            .args([
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--database-url",
                database_url,
            ])
            .args([
                "--bootstrap-admin",
                &format!("{ADMIN_USERNAME}:{ADMIN_PASSWORD}"),
            ])
            .args(["--bank-secret", BANK_SECRET, "--bid-rate-limit", "1000"])
            .args(["--account-bid-rate-limit", "1000"])
            // SQLite keeps a key of its own beside the database file.
            .args(
                database_url
                    .starts_with("postgres")
                    .then_some(["--id-number-key", ID_NUMBER_KEY])
                    .into_iter()
                    .flatten(),
            )
            .args(flags)
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("the bidroom binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (ready_tx, ready_rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut ready = Some(ready_tx);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(address) = line.split("listening on http://").nth(1)
                    && let Some(ready) = ready.take()
                {
                    let address = address.split_whitespace().next().unwrap_or_default();
                    let _ = ready.send(address.to_owned());
                }
            }
        });
        let address = ready_rx
            .recv_timeout(Duration::from_secs(30))
            .expect("the server logs its ready line");
        ServerProcess { child, address }
    }

    /// SIGKILL: no shutdown, no flush.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }

    /// SIGTERM, and the exit status.
    pub fn terminate(mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        self.child.wait().expect("the server exits")
    }
}

/// A failed test must not leave its server running.
impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl TestApp {
    /// A client of a server running in another process, on `database`.
    pub fn external(address: &str, database: TestDatabase) -> TestApp {
        TestApp {
            server: None,
            base_url: format!("http://{address}/api/v1"),
            ws_url: format!("ws://{address}/ws"),
            http: reqwest::Client::new(),
            database,
        }
    }

    /// Gives the database back (to start another server on it).
    pub fn into_database(self) -> TestDatabase {
        let TestApp { database, .. } = self;
        database
    }
}
