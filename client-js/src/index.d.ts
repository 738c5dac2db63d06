// The types of bidroom's WebSocket protocol v1 (SPEC §4), mirroring the server's
// `src/realtime/protocol.rs`, and of this client's public API. Every wire field is
// listed here once; `schema.js` lists the same fields for runtime checks, and
// `tsc --noEmit` keeps the two in step.

// ---------------------------------------------------------------------------------------
// Scalars

/** A decimal amount as a string, e.g. "1250.00": never a float. */
export type Money = string;
/** A lot id: opaque; the server sends numbers, and accepts a number or a digit string. */
export type LotId = number | string;
/** An account id: opaque. */
export type AccountId = number;
/** Milliseconds since the Unix epoch. */
export type TimeMs = number;
/** A room event's number: contiguous from 1 within a room. */
export type Seq = number;

export type Role = 'bidder' | 'auctioneer' | 'admin' | 'supervisor';
export type LotState = 'draft' | 'published' | 'open' | 'paused' | 'closed' | 'cancelled';
/** `free` while more than the extension window remains, `timed` after. */
export type Phase = 'free' | 'timed';
export type LotResult = 'sold' | 'unsold';
/** The states a `state` event announces. */
export type EventState = 'open' | 'paused' | 'cancelled';

export type RejectCode =
  | 'not_authenticated'
  | 'not_open'
  | 'not_eligible'
  | 'invalid_amount'
  | 'too_low'
  | 'bad_increment'
  | 'already_leading'
  | 'rate_limited'
  | 'forbidden'
  | 'not_found'
  | 'invalid_message'
  | 'unavailable'
  | 'password_change_required';

export type NotEligibleReason =
  | 'not_verified'
  | 'not_registered'
  | 'not_approved'
  | 'deposit_not_lodged'
  | 'disqualified'
  | 'suspended';

/** The close codes bidroom sends (`src/realtime/close.rs`, SPEC §4 and §8). */
export interface CloseCodes {
  /** The server is shutting down. */
  GOING_AWAY: 1001;
  /** A frame or message over 16 KiB. */
  MESSAGE_TOO_BIG: 1009;
  /** A joined room moved to another node: the client reconnects and resumes. */
  ROOM_MOVED: 1012;
  /** No valid `auth` first, an invalid or expired token, or the session was signed out. */
  NOT_AUTHENTICATED: 4401;
  /** The member could not keep up with its room. */
  TOO_SLOW: 4408;
  /** Too many connections for this account. */
  TOO_MANY_CONNECTIONS: 4429;
}
export declare const CLOSE_CODES: Readonly<CloseCodes>;
export declare const REJECT_CODES: readonly RejectCode[];
export declare const NOT_ELIGIBLE_REASONS: readonly NotEligibleReason[];

// ---------------------------------------------------------------------------------------
// Client → server

export interface AuthMessage { type: 'auth'; token: string; req?: string }
export interface JoinMessage { type: 'join'; lot: LotId; since_seq?: Seq; req?: string }
export interface LeaveMessage { type: 'leave'; lot: LotId; req?: string }
export interface BidMessage { type: 'bid'; lot: LotId; amount: Money; req: string }
export interface PingMessage { type: 'ping'; t?: unknown; req?: string }
export interface ControlMessage { type: 'pause' | 'resume' | 'cancel'; lot: LotId; reason?: string; req?: string }
export interface AnnounceMessage { type: 'announce'; lot: LotId; text: string; req?: string }
export type ClientMessage =
  | AuthMessage
  | JoinMessage
  | LeaveMessage
  | BidMessage
  | PingMessage
  | ControlMessage
  | AnnounceMessage;

// ---------------------------------------------------------------------------------------
// Server → client: answers

export interface Welcome { type: 'welcome'; account_id: AccountId; role: Role; server_time_ms: TimeMs; req?: string }
export interface Left { type: 'left'; lot: LotId; req?: string }
export interface Accepted {
  type: 'accepted';
  req: string;
  lot: LotId;
  /** The seq of the `bid` event this bid caused. */
  seq: Seq;
  amount: Money;
  bidder: string;
  at_ms: TimeMs;
  deadline_ms: TimeMs;
}
export interface Rejected {
  type: 'rejected';
  req: string;
  lot: LotId;
  code: RejectCode;
  message: string;
  min_next?: Money;
  reason?: NotEligibleReason;
}
export interface Pong { type: 'pong'; t?: unknown; server_time_ms: TimeMs; req?: string }
export interface ErrorMessage { type: 'error'; code: string; message: string; req?: string }

/** `you` for a bidder or watcher. */
export interface YouBidder {
  /** Null when not registered for the lot. */
  bidder_number: string | null;
  eligible: boolean;
  reason?: NotEligibleReason;
  priority_rank: number | null;
}
/** `you` for the lot's auctioneer and admins. */
export interface YouMonitor {
  monitor: true;
  role: Role;
  members: number;
  bidders: number;
}
export type You = YouBidder | YouMonitor;

/** A room as one member sees it on `join`. */
export interface Snapshot {
  type: 'snapshot';
  lot: LotId;
  state: LotState;
  phase: Phase;
  currency: string;
  /** The highest accepted bid, null before the first. */
  price: Money | null;
  /** The lowest amount an ordinary bidder may bid now. */
  min_next: Money;
  increment: Money;
  has_reserve: boolean;
  /** The leader's bidder number. */
  leader: string | null;
  deadline_ms: TimeMs;
  /** While paused: the time that will remain at the resume. */
  remaining_ms?: number;
  extensions: number;
  server_time_ms: TimeMs;
  seq: Seq;
  /** Present once the lot has closed. */
  result?: LotResult;
  /** The last bids, oldest first, at most 20. */
  recent_bids: BidEvent[];
  you: You;
  req?: string;
}

// ---------------------------------------------------------------------------------------
// Server → client: room events

/** A bid as a member sees it; `account_id` and `display_name` for monitors only. */
export interface BidEvent {
  type: 'bid';
  lot: LotId;
  seq: Seq;
  amount: Money;
  bidder: string;
  at_ms: TimeMs;
  deadline_ms: TimeMs;
  price: Money;
  phase: Phase;
  account_id?: AccountId;
  display_name?: string;
}
/** Also called BidView on the server. */
export type BidView = BidEvent;
export interface StateEvent {
  type: 'state';
  lot: LotId;
  seq: Seq;
  state: EventState;
  deadline_ms: TimeMs;
  remaining_ms?: number;
  /** The auctioneer's text, or `recovery`. */
  reason?: string;
  /** Only on the direct answer to the auctioneer's command. */
  req?: string;
}
export interface ClosedEvent {
  type: 'closed';
  lot: LotId;
  seq: Seq;
  result: LotResult;
  price: Money | null;
  winner_bidder: string | null;
}
export interface AnnouncementEvent {
  type: 'announcement';
  lot: LotId;
  seq: Seq;
  text: string;
  /** Only on the direct answer to the auctioneer's command. */
  req?: string;
}
/** Monitors only, about once a second; carries no seq. */
export interface PresenceEvent { type: 'presence'; lot: LotId; members: number; bidders: number }
export type RoomEvent = BidEvent | StateEvent | ClosedEvent | AnnouncementEvent | PresenceEvent;

export type ServerMessage =
  | Welcome
  | Snapshot
  | Left
  | Accepted
  | Rejected
  | Pong
  | ErrorMessage
  | RoomEvent;

// ---------------------------------------------------------------------------------------
// Encodings and environment

export interface Codec {
  /** The WebSocket subprotocol that selects this encoding. */
  readonly subprotocol: 'bidroom.v1.json' | 'bidroom.v1.msgpack';
  /** Set on the socket, for binary encodings. */
  readonly binaryType?: 'arraybuffer';
  encode(message: object): string | Uint8Array;
  decode(data: unknown): any;
}
export declare const jsonCodec: Codec;
export declare function msgpackCodec(msgpack: {
  encode: (value: unknown) => Uint8Array;
  decode: (bytes: Uint8Array) => unknown;
}): Codec;

/** What the client needs of a WebSocket: the browser's, or `ws` in Node. */
export interface WebSocketLike {
  binaryType: string;
  readonly protocol: string;
  /** A string (JSON) or bytes (MessagePack). */
  send(data: any): void;
  close(code?: number, reason?: string): void;
  /** `ws` only: cut the TCP connection at once. */
  terminate?: () => void;
  // Handlers take `any` so that the browser's (MessageEvent, CloseEvent) and `ws`'s
  // event types both fit; the client reads only `data`, `code` and `reason`.
  onopen: ((event: any) => void) | null;
  onmessage: ((event: any) => void) | null;
  onclose: ((event: any) => void) | null;
  onerror: ((event: any) => void) | null;
}
export type WebSocketConstructor = new (url: string, protocols?: string | string[]) => WebSocketLike;

export interface TimerFunctions {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: any): void;
}

export interface BackoffOptions {
  /** Default 500. */
  initialDelayMs?: number;
  /** Default 30 000. */
  maxDelayMs?: number;
  /** Default 2. */
  factor?: number;
  /** Default Math.random. */
  random?: () => number;
}

export interface ClientOptions {
  /** e.g. `wss://exchange.example/ws`. */
  url: string;
  /** Sent in `auth`; a function is called for every connection (it may be async). */
  token: string | (() => string | Promise<string>);
  /** Default `jsonCodec`. */
  codec?: Codec;
  /** Default `globalThis.WebSocket` (Node 20 has none: pass `ws`'s). */
  WebSocket?: WebSocketConstructor;
  backoff?: BackoffOptions;
  /** Ping every this many ms. Default 10 000. */
  heartbeatIntervalMs?: number;
  /** A socket silent this long is dead. Default 25 000. */
  idleTimeoutMs?: number;
  /** From opening the socket to the welcome. Default 10 000. */
  connectTimeoutMs?: number;
  /** Pongs kept for the clock estimate (the lowest round trip wins). Default 8. */
  clockSamples?: number;
  /** The local clock. Default `Date.now`. */
  now?: () => number;
  /** Default the global setTimeout/clearTimeout. */
  timers?: TimerFunctions;
  /** Where `online`/`offline` and `document.visibilitychange` come from. Default globalThis; null for none. */
  environment?: any;
  /** The prefix of `req` ids. Default 16 random hex digits. */
  requestIdPrefix?: string;
}

// ---------------------------------------------------------------------------------------
// The public API

export interface ConnectionStatus {
  state: 'connecting' | 'connected' | 'reconnecting' | 'closed';
  /** The close code that ended the last socket (reconnecting, closed). */
  code?: number;
  reason?: string;
  /** Reconnecting: which retry this is (1 for the first). */
  attempt?: number;
  /** Reconnecting: the wait before it, or null while offline. */
  delay_ms?: number | null;
  /** Reconnecting: waiting for the environment's `online`. */
  offline?: boolean;
}

export interface ClientEvents {
  connection: ConnectionStatus;
  welcome: Welcome;
  /** An `error` the server sent that answers nothing of ours, or a frame that did not decode. */
  error: Error;
}

export type ResyncCause = 'reconnect' | 'gap' | 'lagged';
export interface Resynced {
  lot: LotId;
  via: 'replay' | 'snapshot';
  seq: Seq;
  cause: ResyncCause;
}

export interface RoomEvents {
  snapshot: Snapshot;
  bid: BidEvent;
  state: StateEvent;
  closed: ClosedEvent;
  announcement: AnnouncementEvent;
  presence: PresenceEvent;
  resynced: Resynced;
  /** The join was refused (e.g. `not_found`); the room is dropped. */
  error: CommandError;
}

export type RoomStatus = 'joining' | 'live' | 'resuming' | 'disconnected' | 'left' | 'failed';

/** A room's current state, derived from its snapshot and the events since. */
export interface RoomView {
  lot: LotId;
  state: LotState;
  phase: Phase;
  currency: string;
  price: Money | null;
  min_next: Money;
  increment: Money;
  has_reserve: boolean;
  leader: string | null;
  deadline_ms: TimeMs;
  remaining_ms: number | null;
  extensions: number;
  seq: Seq;
  /** Oldest first, at most 20. */
  recent_bids: BidEvent[];
  you: You;
  /** Monitors: members and eligible bidders present. */
  presence: { members: number; bidders: number } | null;
  result?: LotResult;
  winner_bidder?: string | null;
}

export interface Room {
  readonly lot: LotId;
  readonly status: RoomStatus;
  /** Null until the first snapshot. */
  readonly view: RoomView | null;
  readonly seq: Seq | null;
  on<K extends keyof RoomEvents>(event: K, listener: (payload: RoomEvents[K]) => void): () => void;
  leave(): void;
}
export declare const Room: new (lot: LotId, host: any) => Room;

export type Route = 'welcome' | 'pong' | 'answer' | 'room' | 'error' | 'left' | 'stale' | 'unknown';

export interface BidroomClient {
  readonly state: ConnectionStatus['state'] | 'idle';
  readonly clockOffsetMs: number;
  on<K extends keyof ClientEvents>(event: K, listener: (payload: ClientEvents[K]) => void): () => void;
  connect(): void;
  join(lot: LotId): Room;
  room(lot: LotId): Room | undefined;
  bid(lot: LotId, amount: Money): Promise<Accepted>;
  pause(lot: LotId, reason?: string): Promise<StateEvent>;
  resume(lot: LotId, reason?: string): Promise<StateEvent>;
  cancel(lot: LotId, reason?: string): Promise<StateEvent>;
  announce(lot: LotId, text: string): Promise<AnnouncementEvent>;
  serverNow(): TimeMs;
  close(): void;
  /** Routes one decoded server message (exposed for tests and tools). */
  handleMessage(message: ServerMessage): Route;
}
export declare const BidroomClient: new (options: ClientOptions) => BidroomClient;
export declare const DEFAULTS: Readonly<{
  heartbeatIntervalMs: number;
  idleTimeoutMs: number;
  connectTimeoutMs: number;
  clockSamples: number;
}>;

export declare class CommandError extends Error {
  constructor(code: string, message: string);
  code: string;
}
export declare class BidRejectedError extends CommandError {
  constructor(answer: { code: string; message: string; reason?: string; min_next?: Money });
  reason: string | undefined;
  min_next: Money | undefined;
}
export declare class ConnectionClosedError extends Error {
  constructor(message: string, code?: number);
  code: number | undefined;
}

export declare class Backoff {
  constructor(options?: BackoffOptions);
  attempt: number;
  ceilingMs(): number;
  next(): number;
  reset(): void;
}
export declare const BACKOFF_DEFAULTS: Readonly<Required<Omit<BackoffOptions, 'random'>>>;

export declare class ClockEstimator {
  constructor(options?: { windowSize?: number });
  addSample(sentMs: number, receivedMs: number, serverTimeMs: number): { offsetMs: number; rttMs: number } | null;
  best(): { offsetMs: number; rttMs: number } | null;
  offsetMs(): number;
}

export declare const RECENT_BIDS: number;
export declare function viewFromSnapshot(snapshot: Snapshot): RoomView;
export declare function applyEvent(view: RoomView, event: RoomEvent): RoomView;
export declare function addDecimal(a: Money, b: Money): Money;

/** Field kinds of every server message, for runtime shape checks. */
export declare const SERVER_MESSAGE_FIELDS: Readonly<Record<ServerMessage['type'], Readonly<Record<string, string>>>>;
/** The problems with a decoded server message's shape (none when it matches this file). */
export declare function checkServerMessage(message: unknown): string[];
