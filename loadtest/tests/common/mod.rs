//! What the load tester's tests that start the real `bidroom` binary share.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace holds the loadtest crate")
        .to_path_buf()
}

/// The bidroom binary beside the load tester's, built now if it is missing or older than
/// the sources it is made of.
pub fn server_bin() -> PathBuf {
    let load_tester = Path::new(env!("CARGO_BIN_EXE_bidroom-loadtest"));
    let bin = load_tester.with_file_name("bidroom");
    let built = std::fs::metadata(&bin)
        .and_then(|meta| meta.modified())
        .ok();
    let root = workspace();
    let sources = [
        "src",
        "migrations",
        "web",
        "client-js/src",
        "Cargo.toml",
        "Cargo.lock",
    ];
    let newest = sources
        .iter()
        .filter_map(|source| newest_modified(&root.join(source)))
        .max();
    if built.is_none() || newest > built {
        let profile = load_tester
            .parent()
            .and_then(Path::file_name)
            .and_then(|name| name.to_str())
            .expect("target/<profile>/bidroom-loadtest");
        let profile = if profile == "debug" { "dev" } else { profile };
        let status = std::process::Command::new(env!("CARGO"))
            .current_dir(&root)
            .args(["build", "--quiet", "-p", "bidroom", "--bin", "bidroom"])
            .args(["--profile", profile])
            .status()
            .expect("cargo runs");
        assert!(status.success(), "cargo build -p bidroom failed");
    }
    bin
}

fn newest_modified(path: &Path) -> Option<SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if !meta.is_dir() {
        return meta.modified().ok();
    }
    std::fs::read_dir(path)
        .ok()?
        .filter_map(Result::ok)
        .filter_map(|entry| newest_modified(&entry.path()))
        .max()
}
