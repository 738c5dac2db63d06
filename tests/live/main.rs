//! Live rooms over real WebSockets, against the real server on both databases.

#[path = "../common/mod.rs"]
mod common;

mod closes;
mod lifecycle;
mod rules;
mod standing;
mod two_servers;
mod wire;
