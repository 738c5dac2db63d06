//! `deploy/`: the systemd unit and the example environment file.
//!
//! The environment file names every setting of `bidroom serve`, each under a comment, and
//! nothing else; every value in it, the commented examples too, is one the server takes;
//! the server starts from the lines that are set and stops on SIGTERM with status 0. The
//! unit passes `systemd-analyze verify` with no warning and `systemd-analyze security` at
//! an exposure of at most 2.0 (where systemd-analyze exists; said so where it does not).

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use clap::CommandFactory;

fn deploy_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("deploy")
        .join(name)
}

fn environment_example() -> String {
    std::fs::read_to_string(deploy_file("bidroom.env.example")).expect("the environment example")
}

/// One `NAME=VALUE` line of the example (`BIDROOM_...`, `RUST_LOG`), set or shown
/// commented out (`#NAME=VALUE`; prose comments start with `# `).
#[derive(Debug)]
struct Assignment {
    line: usize,
    name: String,
    value: String,
    set: bool,
}

fn assignments(text: &str) -> Vec<Assignment> {
    text.lines()
        .enumerate()
        .filter_map(|(index, line)| {
            let (set, rest) = match line.strip_prefix('#') {
                Some(rest) => (false, rest),
                None => (true, line),
            };
            let (name, value) = rest.split_once('=')?;
            let is_name = !name.is_empty()
                && name
                    .bytes()
                    .all(|byte| byte.is_ascii_uppercase() || byte == b'_');
            is_name.then(|| Assignment {
                line: index,
                name: name.to_owned(),
                value: value.to_owned(),
                set,
            })
        })
        .collect()
}

/// Every setting of `bidroom serve` by its variable: (flag, takes a value).
fn settings() -> BTreeMap<String, (String, bool)> {
    let cli = bidroom::config::Cli::command();
    let serve = cli
        .get_subcommands()
        .find(|command| command.get_name() == "serve")
        .expect("the serve command");
    serve
        .get_arguments()
        .filter_map(|arg| {
            let variable = arg.get_env()?.to_str()?.to_owned();
            let flag = format!("--{}", arg.get_long()?);
            let takes_value = arg.get_action().takes_values();
            Some((variable, (flag, takes_value)))
        })
        .collect()
}

#[test]
fn the_environment_example_names_every_setting_each_under_a_comment() {
    let text = environment_example();
    let lines: Vec<&str> = text.lines().collect();
    let found = assignments(&text);
    let settings = settings();
    assert!(settings.len() > 20, "{settings:?}");
    for variable in settings.keys() {
        assert!(
            found.iter().any(|assignment| &assignment.name == variable),
            "{variable} is missing from deploy/bidroom.env.example"
        );
    }
    for assignment in &found {
        if assignment.name.starts_with("BIDROOM_") {
            assert!(
                settings.contains_key(&assignment.name),
                "{} is not a setting of bidroom serve",
                assignment.name
            );
        }
        // Above a run of assignments stands the comment that says what they are.
        let comment = lines[..assignment.line]
            .iter()
            .rev()
            .find(|line| assignments(line).is_empty());
        assert!(
            comment.is_some_and(|line| line.starts_with("# ")),
            "{} (line {}) has no comment above it",
            assignment.name,
            assignment.line + 1
        );
    }
}

/// `bidroom serve` with the example's assignments as flags: those set, or all of them (a
/// later line of a variable in place of an earlier one).
fn parse_as_flags(found: &[Assignment], only_set: bool) -> Result<(), clap::Error> {
    let settings = settings();
    let chosen: BTreeMap<&str, &str> = found
        .iter()
        .filter(|assignment| assignment.set || !only_set)
        .map(|assignment| (assignment.name.as_str(), assignment.value.as_str()))
        .collect();
    let mut args = vec!["bidroom".to_owned(), "serve".to_owned()];
    for (name, value) in chosen {
        let Some((flag, takes_value)) = settings.get(name) else {
            continue;
        };
        if *takes_value {
            args.push(format!("{flag}={value}"));
        } else {
            match value {
                "true" => args.push(flag.clone()),
                "false" => {}
                other => panic!("{name} is true or false, not {other}"),
            }
        }
    }
    <bidroom::config::Cli as clap::Parser>::try_parse_from(args).map(|_| ())
}

#[test]
fn every_value_in_the_environment_example_is_one_the_server_takes() {
    let found = assignments(&environment_example());
    parse_as_flags(&found, true)
        .unwrap_or_else(|error| panic!("the settings that are set: {error}"));
    // Every example at once, the cluster's and PostgreSQL's included.
    parse_as_flags(&found, false).unwrap_or_else(|error| panic!("every setting shown: {error}"));
}

#[test]
fn the_server_starts_from_the_environment_example_and_stops_on_sigterm() {
    let found = assignments(&environment_example());
    let directory = tempfile::tempdir().expect("a temporary directory");
    let database = format!("sqlite://{}", directory.path().join("bidroom.db").display());
    let mut command = Command::new(env!("CARGO_BIN_EXE_bidroom"));
    command.arg("serve").env_clear();
    for assignment in found.iter().filter(|assignment| assignment.set) {
        command.env(&assignment.name, &assignment.value);
    }
    // The state directory of the unit is this test's; the port is any free one.
    let mut child = command
        .env("BIDROOM_DATABASE_URL", &database)
        .env("BIDROOM_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the bidroom binary starts");
    let stdout = child.stdout.take().expect("piped stdout");
    let (ready_tx, ready_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if line.contains("bidroom is ready") {
                let _ = ready_tx.send(());
            }
        }
    });
    let ready = ready_rx.recv_timeout(Duration::from_secs(30));
    if ready.is_err() {
        let _ = child.kill();
    }
    ready.expect("the server logs its ready line");
    let signalled = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill runs");
    assert!(signalled.success());
    let status = child.wait().expect("the server exits");
    assert!(status.success(), "SIGTERM ends it with status 0: {status}");
}

#[test]
fn the_unit_passes_systemd_analyze_verify_and_security() {
    let Ok(version) = Command::new("systemd-analyze").arg("--version").output() else {
        eprintln!("skipped: systemd-analyze is not installed, the unit is not verified");
        return;
    };
    assert!(version.status.success());
    let unit = std::fs::read_to_string(deploy_file("bidroom.service")).expect("the unit");
    assert!(unit.contains("ExecStart=/usr/local/bin/bidroom serve\n"));
    // The unit as installed, but with this build's binary (verify checks that it exists).
    let directory = tempfile::tempdir().expect("a temporary directory");
    let path = directory.path().join("bidroom.service");
    let unit = unit.replace(
        "ExecStart=/usr/local/bin/bidroom",
        &format!("ExecStart={}", env!("CARGO_BIN_EXE_bidroom")),
    );
    std::fs::write(&path, unit).expect("write the unit");

    let verified = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("systemd-analyze verify runs");
    let said = String::from_utf8_lossy(&verified.stderr);
    assert!(verified.status.success(), "{said}");
    assert!(
        said.trim().is_empty(),
        "systemd-analyze verify warns: {said}"
    );

    let security = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--threshold=20"])
        .arg(&path)
        .output()
        .expect("systemd-analyze security runs");
    assert!(
        security.status.success(),
        "exposure above 2.0:\n{}",
        String::from_utf8_lossy(&security.stdout)
    );
}
