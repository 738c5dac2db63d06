//! What each fuzz target does with its input, and the rules it checks: a panic is a finding.
//!
//! The same files are compiled into the server's `tests/fuzz_corpus.rs`, which replays the
//! committed corpus (`fuzz/corpus/<target>/`) through them in a plain `cargo test`, so each
//! module uses only `bidroom` and the crates the server already depends on.

pub mod money;
pub mod rest;
pub mod room;
pub mod ws;
