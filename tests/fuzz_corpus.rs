//! The fuzz targets' committed corpus (`fuzz/corpus/<target>/`: seeds, and every input that
//! once found a bug), replayed through the very harness the targets run (`fuzz/src/`), so
//! that a plain `cargo test` covers it on any toolchain, without cargo-fuzz or libFuzzer.

#[path = "../fuzz/src/money.rs"]
mod money;
#[path = "../fuzz/src/rest.rs"]
mod rest;
#[path = "../fuzz/src/room.rs"]
mod room;
#[path = "../fuzz/src/ws.rs"]
mod ws;

use std::panic::{self, AssertUnwindSafe};
use std::path::PathBuf;

/// Runs every file of `fuzz/corpus/<target>/` through `harness`, naming the file that fails.
fn replay(target: &str, harness: fn(&[u8])) {
    let directory = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/corpus")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&directory)
        .unwrap_or_else(|error| panic!("{}: {error}", directory.display()))
        .map(|entry| entry.expect("a corpus entry").path())
        .collect();
    files.sort();
    assert!(!files.is_empty(), "{} holds no seed", directory.display());
    for file in files {
        let input = std::fs::read(&file).expect("a corpus file");
        if let Err(panic) = panic::catch_unwind(AssertUnwindSafe(|| harness(&input))) {
            eprintln!("fuzz corpus input {} failed", file.display());
            panic::resume_unwind(panic);
        }
    }
}

#[test]
fn the_websocket_json_corpus_reads_as_the_rules_say() {
    replay("ws_json", ws::json);
}

#[test]
fn the_websocket_messagepack_corpus_reads_as_the_rules_say() {
    replay("ws_msgpack", ws::msgpack);
}

#[test]
fn the_money_corpus_parses_and_prints_back() {
    replay("money", money::run);
}

#[test]
fn the_rest_body_corpus_is_refused_or_kept_as_the_rules_say() {
    replay("rest_body", rest::run);
}

#[test]
fn the_room_corpus_keeps_the_engine_invariants_at_every_step() {
    replay("room", room::run);
}
