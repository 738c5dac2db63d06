//! The auction engine: the bidding rules of one lot as a pure state machine.
//!
//! No I/O, no clock, no tokio: every method is handed `now_ms` (milliseconds since the Unix
//! epoch, from the caller's clock) and answers with the event it caused or the rule that
//! was broken. The room actor (`crate::rooms`) owns one [`Room`] per live lot.

mod event;
mod ladder;
mod rejection;
mod room;
mod rules;

#[cfg(test)]
mod simulation;

pub use event::{ClosedEvent, LotResult, RoomEvent, Sequenced, StateReason};
pub use rejection::{IneligibleReason, Rejection};
pub use room::{Room, RoomRestore};
pub use rules::{Bidder, Eligibility, ExtensionMode, LotRules, LotState, Phase};
