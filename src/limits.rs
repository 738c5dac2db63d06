//! Every capacity, rate and timeout of the live side, each with its reason.

use std::time::Duration;

/// A client must authenticate within this time after connecting (SPEC §4), else 4401.
pub const AUTH_TIMEOUT: Duration = Duration::from_secs(10);

/// Frames and messages over this close the connection with 1009 (SPEC §4). Client
/// messages are small: the largest is an announcement.
pub const MAX_CLIENT_FRAME_BYTES: usize = 16 * 1024;

/// tungstenite's default read buffer is 128 KiB per connection, allocated up front; client
/// messages are tiny, so 4 KiB keeps an idle connection near 9 KiB of server memory.
pub const READ_BUFFER_BYTES: usize = 4 * 1024;

/// Outgoing bytes tungstenite may buffer before a write must wait for the socket; with
/// `MAX_WRITE_BUFFER_BYTES` above it, a stalled client errors instead of growing memory.
pub const WRITE_BUFFER_BYTES: usize = 16 * 1024;
pub const MAX_WRITE_BUFFER_BYTES: usize = 1024 * 1024;

/// How long a session waits to hand its close frame to a client before it drops the
/// connection: a client that stopped reading never takes it.
pub const CLOSE_FRAME_TIMEOUT: Duration = Duration::from_secs(1);

/// How often expired sessions are deleted from the database (their sockets close at the
/// expiry itself, each on its own timer), and full per-account bid buckets forgotten.
pub const SESSION_SWEEP_INTERVAL: Duration = Duration::from_secs(60);

/// Room events queued for one member before it counts as lagging and is resynchronised
/// with a fresh snapshot: 1024 events × ~250 B ≈ 250 KiB shared by all members (the
/// broadcast ring holds each event once).
pub const ROOM_BROADCAST_CAPACITY: usize = 1024;

/// Frames a session writes before one flush: one syscall for many small frames.
pub const MAX_FRAMES_PER_FLUSH: usize = 256;

/// Commands waiting for a room task. Bids beyond it wait at the sender (backpressure on
/// the connections that send them), never inside the room.
pub const ROOM_INBOX_CAPACITY: usize = 4096;

/// Events a room keeps for `join` with `since_seq`; older gaps get a fresh snapshot.
pub const REPLAY_WINDOW_EVENTS: usize = 1024;

/// Bid events in a snapshot's `recent_bids` (SPEC §4).
pub const RECENT_BIDS: usize = 20;

/// Idempotent bid answers a room remembers by (account, req): 200,000 × ~120 B ≈ 24 MiB
/// at worst for one very busy room; the oldest are forgotten first.
pub const REMEMBERED_BID_REQUESTS: usize = 200_000;

/// Rows one journal transaction takes at most: large enough to amortise the commit's
/// fsync, small enough that a batch commits in a few milliseconds.
pub const JOURNAL_MAX_BATCH_ROWS: usize = 4096;

/// Journal entries waiting for the writer. When it is full, rooms wait: bids slow down
/// rather than pile up unacknowledged in memory.
pub const JOURNAL_QUEUE_CAPACITY: usize = 65_536;

/// How often the auctioneer's monitor view gets `presence`.
pub const PRESENCE_INTERVAL: Duration = Duration::from_secs(1);
/// How long a room counts another node's members after that node's last report of them
/// (nodes report every [`PRESENCE_INTERVAL`]).
pub const REMOTE_MEMBERS_TTL_MS: i64 = 3_000;

/// How deeply a client message's values may nest: serde_json's own recursion limit, which
/// the MessagePack reader is held to as well (rmp-serde would allow 1024), so that both
/// encodings read the same messages.
pub const MAX_MESSAGE_NESTING: usize = 128;

/// The longest `req` a client may send (SPEC §4).
pub const MAX_REQ_CHARS: usize = 64;

/// The longest announcement text.
pub const MAX_ANNOUNCEMENT_CHARS: usize = 2000;

/// The most characters of an auctioneer's reason for a pause, resume or cancel.
pub const MAX_REASON_CHARS: usize = 500;

/// How long a room that the journal refused holds back its own timers (opening, closing)
/// after it rewinds: an event the journal keeps refusing (another writer holds its seq)
/// is then tried once a second, not in a loop as fast as the database answers.
pub const REWOUND_TIMER_PAUSE_MS: i64 = 1_000;

/// How long an ended room (closed or cancelled) stays in memory for late joiners before
/// its task ends; later joins get a snapshot read from the database.
pub const ENDED_ROOM_LINGER_MS: i64 = 10 * 60 * 1000;

/// Ended lots whose final snapshot (as everyone sees it) is kept for late joiners once
/// their room has gone: 1,024 lots × ~10 KiB (20 bids in two views) ≈ 10 MiB at most.
pub const ENDED_ROOMS_CACHED: usize = 1024;

/// Bidders one bulk-seed request creates (`--allow-bulk-seed`, load tests only). The batch
/// is one database transaction, which on SQLite holds the one writer connection the
/// journal also needs: about 25 statements a bidder, so 1,000 bidders keep the writer
/// for roughly a second.
pub const SEED_BIDDERS_PER_REQUEST: usize = 1_000;

/// Registrations (application, approval, deposit: about 15 statements each) one
/// bulk-seed request makes, for the same reason: 5,000 keep the writer a few seconds.
pub const SEED_REGISTRATIONS_PER_REQUEST: usize = 5_000;

/// The largest REST request body (SPEC §8) unless a route documents more: every body but
/// a lot's terms and a bulk seed is a few fields of at most a few hundred characters.
pub const MAX_REQUEST_BODY_BYTES: usize = 64 * 1024;

/// The largest body of `POST /lots`: a 20,000-character description written entirely in
/// JSON escapes of surrogate pairs (12 bytes a character) is 240,000 B, with its 200-character
/// title and the other terms still under 256 KiB.
pub const MAX_LOT_BODY_BYTES: usize = 256 * 1024;

/// The largest bulk-seed body: at most [`SEED_REGISTRATIONS_PER_REQUEST`] registrations,
/// each at worst a lot of its own (`{"lot":123456789,"bidders":[999]},` ≈ 40 B), is
/// about 200 KiB; 1 MiB leaves room for formatting.
pub const MAX_SEED_BODY_BYTES: usize = 1024 * 1024;

/// Usernames and addresses whose failed sign-ins are remembered at once: 100,000 × ~100 B
/// ≈ 10 MiB at worst. Past it, keys whose window has ended are forgotten first; a key that
/// still finds no room is not counted (and a flood of new usernames from one address
/// still meets that address's own limit).
pub const MAX_SIGN_IN_FAILURE_KEYS: usize = 100_000;

/// How long `/readyz` waits for the database's answer before calling it unavailable: a
/// probe must answer well within a load balancer's own timeout (often 5 s).
pub const READINESS_QUERY_TIMEOUT: Duration = Duration::from_secs(2);

/// An uploaded item list (`PUT /lots/{id}/items`) is at most 1 MiB: 2,000 rows of ~200
/// bytes of CSV fit in 400 KiB, and an XLSX of that size compresses to far less. An XLSX
/// is unpacked in memory, so the cap also bounds what one upload can make the server hold.
pub const MAX_LOT_ITEMS_FILE_BYTES: usize = 1024 * 1024;

/// The most an uploaded XLSX may unpack to, by the sizes its archive declares: a 2,000-row
/// sheet with its shared strings is a few MiB of XML; 32 MiB leaves room for styles and
/// other sheets, and refuses a small archive that would unpack to gigabytes.
pub const MAX_LOT_ITEMS_XLSX_UNPACKED_BYTES: u64 = 32 * 1024 * 1024;

/// The most items a lot carries: a large asset package (a factory's equipment) lists a
/// few hundred; the lot page shows them all.
pub const MAX_LOT_ITEMS: usize = 2_000;

/// The longest item name, unit and notes, in characters.
pub const MAX_LOT_ITEM_NAME_CHARS: usize = 200;
pub const MAX_LOT_ITEM_UNIT_CHARS: usize = 20;
pub const MAX_LOT_ITEM_NOTES_CHARS: usize = 1_000;
