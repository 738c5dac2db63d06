//! The servers a run starts itself: a bidroom server on a database of the run's own (the
//! chaos run kills it with SIGKILL and starts it again on the same database, port and
//! id-number key; the ceiling's shaped runs measure it beside the bare relay), and the bare
//! relay. Each is a process of its own, optionally pinned to cores with `taskset`, whose
//! output goes to a log and whose ready line gives its address.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use sqlx::Connection;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};
use tokio::sync::oneshot;
use tokio::time::Instant;

use crate::cli::OwnServer;

/// What the server logs once it listens (`src/server.rs`), followed by its address.
const READY_LINE: &str = "bidroom is ready: listening on http://";

/// The database of a run, and what to remove after it.
pub struct Database {
    pub url: String,
    cleanup: Cleanup,
}

enum Cleanup {
    Nothing,
    /// A temporary directory holding the SQLite file (removed when dropped).
    Directory(#[allow(dead_code)] tempfile::TempDir),
    Postgres {
        admin_url: String,
        name: String,
    },
}

impl Database {
    /// The server's `--database-url` as it is, or (`--fresh-database`) a new database on
    /// the PostgreSQL server it points to; without a URL, a SQLite file in a temporary
    /// directory. `name` names what is made (`chaos`, `ceiling`).
    pub async fn prepare(server: &OwnServer, name: &str) -> anyhow::Result<Database> {
        let Some(url) = server.database_url.as_deref() else {
            let directory = tempfile::tempdir().context("a temporary directory")?;
            let url = format!(
                "sqlite://{}",
                directory.path().join(format!("{name}.db")).display()
            );
            return Ok(Database {
                url,
                cleanup: Cleanup::Directory(directory),
            });
        };
        if !server.fresh_database {
            return Ok(Database {
                url: url.to_owned(),
                cleanup: Cleanup::Nothing,
            });
        }
        if !url.starts_with("postgres://") && !url.starts_with("postgresql://") {
            bail!("--fresh-database needs a postgres:// --database-url");
        }
        let name = format!(
            "bidroom_{name}_{}_{:08x}",
            std::process::id(),
            rand::random::<u32>()
        );
        let mut admin = sqlx::PgConnection::connect(url)
            .await
            .with_context(|| format!("connecting to {url}"))?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .await
            .with_context(|| format!("creating the database {name}"))?;
        let _ = admin.close().await;
        let base = url.split('?').next().unwrap_or(url);
        let base = base.rsplit_once('/').map_or(base, |(base, _)| base);
        Ok(Database {
            url: format!("{base}/{name}"),
            cleanup: Cleanup::Postgres {
                admin_url: url.to_owned(),
                name,
            },
        })
    }

    pub fn kind(&self) -> &'static str {
        database_kind(&self.url)
    }

    /// Removes what the run made (a fresh PostgreSQL database; the temporary directory).
    pub async fn remove(self) -> anyhow::Result<()> {
        if let Cleanup::Postgres { admin_url, name } = self.cleanup {
            let mut admin = sqlx::PgConnection::connect(&admin_url).await?;
            sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                .execute(&mut admin)
                .await
                .with_context(|| format!("dropping the database {name}"))?;
        }
        Ok(())
    }
}

/// `postgres` or `sqlite`, as a database URL says.
pub fn database_kind(url: &str) -> &'static str {
    if url.starts_with("postgres") {
        "postgres"
    } else {
        "sqlite"
    }
}

/// How every generation of the server is started.
#[derive(Clone)]
pub struct ServerSpec {
    pub bin: PathBuf,
    pub database_url: String,
    /// `USER:PASSWORD`, the server's `--bootstrap-admin`.
    pub admin: String,
    pub id_number_key: String,
    pub cpus: Option<String>,
    pub log: PathBuf,
    /// Flags after the ones every run sets (limits a load test lifts).
    pub extra_args: Vec<String>,
}

/// One server process.
pub struct Running {
    child: Child,
    pub spawned_at: Instant,
    ready: Option<oneshot::Receiver<SocketAddr>>,
}

/// Why a server did not become ready.
#[derive(Debug)]
pub enum NotReady {
    Exited(String),
    TimedOut,
}

impl ServerSpec {
    /// `--server-bin`, or the bidroom binary beside this executable.
    pub fn bin(server: &OwnServer) -> anyhow::Result<PathBuf> {
        match &server.server_bin {
            Some(bin) => Ok(bin.clone()),
            None => ServerSpec::default_bin(),
        }
    }

    /// The bidroom binary beside this executable (`target/<profile>/bidroom`).
    fn default_bin() -> anyhow::Result<PathBuf> {
        let me = std::env::current_exe().context("the load tester's own path")?;
        let directory = me.parent().context("the load tester's directory")?;
        // Integration tests run from target/<profile>/deps.
        let candidates = [
            directory.join("bidroom"),
            directory
                .parent()
                .map_or_else(PathBuf::new, |parent| parent.join("bidroom")),
        ];
        candidates
            .into_iter()
            .find(|path| path.is_file())
            .with_context(|| {
                format!(
                    "no bidroom binary beside {} (build it: cargo build -p bidroom, or pass --server-bin)",
                    me.display()
                )
            })
    }

    /// Starts generation `generation` of the server, listening on `listen`.
    pub fn spawn(&self, listen: SocketAddr, generation: u64) -> anyhow::Result<Running> {
        let listen = listen.to_string();
        let mut args: Vec<String> = [
            "serve",
            "--listen",
            &listen,
            "--database-url",
            &self.database_url,
            "--bootstrap-admin",
            &self.admin,
            "--id-number-key",
            &self.id_number_key,
            "--bid-rate-limit",
            "100000",
            "--allow-bulk-seed",
        ]
        .map(str::to_owned)
        .into();
        args.extend(self.extra_args.iter().cloned());
        let process = Process {
            bin: &self.bin,
            args: &args,
            cpus: self.cpus.as_deref(),
            log: &self.log,
            ready_line: READY_LINE,
        };
        process.spawn(&format!("generation {generation}, listening on {listen}"))
    }
}

/// A process to start: its program and arguments, the cores it may run on, where its
/// output goes, and what it prints, followed by its address, once it listens.
pub struct Process<'a> {
    pub bin: &'a Path,
    pub args: &'a [String],
    pub cpus: Option<&'a str>,
    pub log: &'a Path,
    pub ready_line: &'static str,
}

impl Process<'_> {
    /// Starts it (under `taskset -c CPUS` when given), marking the start in the log with
    /// `title`; stdout is copied into the log and watched for the ready line.
    pub fn spawn(&self, title: &str) -> anyhow::Result<Running> {
        let mut command = match self.cpus {
            Some(cpus) => {
                let mut command = Command::new("taskset");
                command.arg("-c").arg(cpus).arg(self.bin);
                command
            }
            None => Command::new(self.bin),
        };
        let log = append(self.log)?;
        writeln_sync(&log, &format!("--- {title}"));
        command
            .args(self.args)
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log.try_clone()?))
            .kill_on_drop(true);
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {}", self.bin.display()))?;
        let spawned_at = Instant::now();
        let stdout = child.stdout.take().context("the server's stdout")?;
        let (ready_tx, ready) = oneshot::channel();
        tokio::spawn(copy_log(
            stdout,
            tokio::fs::File::from_std(log),
            self.ready_line,
            ready_tx,
        ));
        Ok(Running {
            child,
            spawned_at,
            ready: Some(ready),
        })
    }
}

impl Running {
    /// The process id (of `taskset`, which became the server: it execs it).
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    /// The ready line's address, to be awaited apart from the process (once; `None` after
    /// [`Running::ready`]). The sender is dropped, unsent, when the process's output ends
    /// before the line: it exited.
    pub fn take_ready(&mut self) -> Option<oneshot::Receiver<SocketAddr>> {
        self.ready.take()
    }

    /// Waits for the ready line (once; later calls answer at once with the same address
    /// or say it never came).
    pub async fn ready(&mut self, timeout: Duration) -> Result<SocketAddr, NotReady> {
        let Some(ready) = self.ready.as_mut() else {
            return Err(NotReady::Exited(
                "the ready line was already awaited".to_owned(),
            ));
        };
        let outcome = tokio::select! {
            address = ready => address.ok(),
            status = self.child.wait() => {
                self.ready = None;
                return Err(NotReady::Exited(format!("{status:?}")));
            }
            () = tokio::time::sleep(timeout) => {
                self.ready = None;
                return Err(NotReady::TimedOut);
            }
        };
        self.ready = None;
        match outcome {
            Some(address) => Ok(address),
            // Its output ended without the ready line: it is exiting.
            None => Err(NotReady::Exited(self.exit_status().await)),
        }
    }

    async fn exit_status(&mut self) -> String {
        match tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await {
            Ok(status) => format!("{status:?}"),
            Err(_) => "closed its output".to_owned(),
        }
    }

    /// SIGKILL, and wait until the process is gone.
    pub async fn kill(&mut self) -> anyhow::Result<()> {
        self.child.start_kill().context("sending SIGKILL")?;
        self.child
            .wait()
            .await
            .context("waiting for the killed server")?;
        Ok(())
    }
}

fn append(path: &Path) -> anyhow::Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening the server log {}", path.display()))
}

fn writeln_sync(mut file: &std::fs::File, line: &str) {
    use std::io::Write;
    let _ = writeln!(file, "{line}");
}

/// Copies the process's stdout into the log, and sends its address on the ready line.
async fn copy_log(
    stdout: tokio::process::ChildStdout,
    mut log: tokio::fs::File,
    ready_line: &'static str,
    ready: oneshot::Sender<SocketAddr>,
) {
    let mut ready = Some(ready);
    let mut lines = BufReader::new(stdout).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        if let Some(address) = ready_address(&line, ready_line)
            && let Some(ready) = ready.take()
        {
            let _ = ready.send(address);
        }
        let _ = log.write_all(line.as_bytes()).await;
        let _ = log.write_all(b"\n").await;
    }
    let _ = log.flush().await;
}

fn ready_address(line: &str, ready_line: &str) -> Option<SocketAddr> {
    let (_, rest) = line.split_once(ready_line)?;
    rest.split_whitespace().next()?.parse().ok()
}

/// A free port on 127.0.0.1 (the server listens there at every restart).
pub fn free_local_address() -> anyhow::Result<SocketAddr> {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(listener.local_addr()?)
}

/// The last `lines` lines of the server's log, for an error message.
pub fn log_tail(path: &Path, lines: usize) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ready_line_gives_the_address() {
        let line = "2026-12-02T00:00:00.000000Z  INFO bidroom::server: bidroom is ready: listening on http://127.0.0.1:18090 local_addr=127.0.0.1:18090";
        assert_eq!(
            ready_address(line, READY_LINE),
            Some("127.0.0.1:18090".parse().unwrap())
        );
        assert_eq!(
            ready_address("INFO bidroom: open-file limit", READY_LINE),
            None
        );
    }
}
