//! The close codes bidroom sends.

/// The first message was not a valid `auth` within 10 s (SPEC §4).
pub const NOT_AUTHENTICATED: u16 = 4401;

/// A frame or message over 16 KiB (RFC 6455 "message too big").
pub const MESSAGE_TOO_BIG: u16 = 1009;

/// The server is shutting down (RFC 6455 "going away").
pub const GOING_AWAY: u16 = 1001;
