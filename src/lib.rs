//! bidroom: a real-time auction server for public-resource and property-rights exchanges.
//!
//! The map, from the inside out:
//! - [`money`]: exact amounts (rust_decimal), parsed at the edge.
//! - [`auction`]: the bidding rules of one lot as a pure state machine (no I/O, no clock).
#![forbid(unsafe_code)]

pub mod auction;
pub mod money;
