//! The back office over REST (SPEC §11): lot item lists and the weekly statistics, on
//! both databases.

#[path = "../common/mod.rs"]
mod common;

mod items;
mod stats;
