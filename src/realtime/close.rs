//! The close codes bidroom sends.

/// The first message was not a valid `auth` within 10 s (SPEC §4), or the session the
/// socket authenticated with was signed out or expired (SPEC §8).
pub const NOT_AUTHENTICATED: u16 = 4401;

/// The client did not take what the server wrote within `--ws-write-timeout-secs`: it
/// cannot keep up with its rooms (SPEC §8).
pub const TOO_SLOW: u16 = 4408;

/// The account holds `--max-connections-per-account` connections already (SPEC §8).
pub const TOO_MANY_CONNECTIONS: u16 = 4429;

/// A frame or message over 16 KiB (RFC 6455 "message too big").
pub const MESSAGE_TOO_BIG: u16 = 1009;

/// The server is shutting down (RFC 6455 "going away").
pub const GOING_AWAY: u16 = 1001;

/// The room of a lot the connection had joined moved to another node (this one lost its
/// lease): reconnect, to any node, and join again with `since_seq` (RFC 6455 "service
/// restart").
pub const ROOM_MOVED: u16 = 1012;
