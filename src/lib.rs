//! bidroom: a real-time auction server for public-resource and property-rights exchanges.
//!
//! The map, from the inside out (dependencies point inward):
//! - [`domain`]: what every layer shares: ids, roles, deposit terms.
//! - [`money`]: exact amounts (rust_decimal), parsed at the edge, never `f64`.
//! - [`auction`]: the bidding rules of one lot as a pure state machine (no I/O, no clock).
//! - [`ledger`]: the double-entry ledger of wallets, deposits and settlements (pure rules).
//! - [`storage`]: the only module that speaks SQL; one trait, SQLite and PostgreSQL.
//! - [`rooms`]: one tokio task per live lot, their registry, and the group-commit journal.
//! - [`realtime`]: the WebSocket protocol (SPEC §4).
//! - [`http`]: the REST API (SPEC §5) and the router.
//! - [`lot_items`]: a lot's item list read from CSV or XLSX, every bad cell named (pure).
//! - [`stats`]: the weekly statistics counted from stored records in the exchange's weeks (pure).
//! - [`text`]: what client text may hold, checked at the edge (SPEC §8).
//! - [`app`]: the state that `http` and `realtime` share, built at start, and the router
//!   that mounts both.
//! - [`nats`]: the connection to NATS the nodes of an exchange talk through (SPEC §10).
//! - [`server`]: start and stop; [`config`]: the command line; [`clock`]: the one clock;
//!   [`logging`]: log lines as text or JSON.
//! - `fuzzing`: the entry points of the fuzz targets in `fuzz/` (hidden; not an API).
#![forbid(unsafe_code)]

pub mod app;
pub mod auction;
pub mod clock;
pub mod cluster;
pub mod config;
pub mod demo;
pub mod domain;
#[doc(hidden)]
pub mod fuzzing;
pub mod http;
pub mod ledger;
pub mod limits;
pub mod logging;
pub mod lot_items;
pub mod money;
pub mod nats;
pub mod realtime;
pub mod rooms;
pub mod security;
pub mod server;
pub mod stats;
pub mod storage;
pub mod text;
pub mod time_format;
