//! `sqlx::migrate!` embeds `migrations/` at compile time; without this, a new migration file
//! would not rebuild the crate and a stale binary would start without it. The same holds
//! for the pages and the client library that `rust-embed` compiles in (`src/http/pages.rs`):
//! a new file under `web/` or `client-js/src/` must rebuild the binary.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=web");
    println!("cargo:rerun-if-changed=client-js/src");
}
