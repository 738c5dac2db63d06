// The public client: the protocol's meaning on top of the transport. It authenticates,
// joins and resumes rooms, routes answers to the promises waiting for them and events to
// their rooms, resends in-flight bids after a reconnect, and keeps the server's clock.

import { Backoff } from './backoff.js';
import { ClockEstimator } from './clock.js';
import { jsonCodec } from './codec.js';
import { Connection } from './connection.js';
import { Emitter } from './emitter.js';
import { BidRejectedError, CommandError, ConnectionClosedError } from './errors.js';
import { RequestIds } from './requests.js';
import { Room, lotKey } from './room.js';
import { realTimers } from './timers.js';

/** @typedef {import('./index.js').ClientOptions} ClientOptions */
/** @typedef {import('./index.js').ClientEvents} ClientEvents */
/** @typedef {import('./index.js').ConnectionStatus} ConnectionStatus */
/** @typedef {import('./index.js').LotId} LotId */
/** @typedef {import('./index.js').ServerMessage} ServerMessage */
/** @typedef {import('./requests.js').PendingRequest} PendingRequest */

/** Close code: the token is missing, invalid or expired, or the session was signed out. */
const NOT_AUTHENTICATED = 4401;

/** Every option's default (documented in README.md). */
export const DEFAULTS = Object.freeze({
  heartbeatIntervalMs: 10_000,
  idleTimeoutMs: 25_000,
  connectTimeoutMs: 10_000,
  clockSamples: 8,
});

const BID_AMOUNT = /^\d+(\.\d+)?$/;

/** How long a join the server refused as `rate_limited` waits before it is sent again. */
const JOIN_RETRY_MS = 1_000;

/** @typedef {import('./index.js').BidroomClient} BidroomClientApi */

/** @implements {BidroomClientApi} */
export class BidroomClient {
  /** @param {ClientOptions} options */
  constructor(options) {
    if (typeof options?.url !== 'string' || options.url === '') {
      throw new TypeError('BidroomClient needs a url, e.g. "wss://exchange.example/ws"');
    }
    if (typeof options.token !== 'string' && typeof options.token !== 'function') {
      throw new TypeError('BidroomClient needs a token: a string or a function returning one');
    }
    const WebSocket = options.WebSocket ?? globalThis.WebSocket;
    if (typeof WebSocket !== 'function') {
      throw new TypeError('no WebSocket in this environment: pass one, e.g. { WebSocket } from "ws"');
    }
    this.token = options.token;
    this.now = options.now ?? Date.now;
    /** @type {Emitter<ClientEvents>} */
    this.events = new Emitter();
    this.clock = new ClockEstimator({ windowSize: options.clockSamples ?? DEFAULTS.clockSamples });
    this.ids = new RequestIds(options.requestIdPrefix);
    /** @type {Map<string, Room>} */
    this.rooms = new Map();
    /** @type {Map<string, Room>} the req of each room's latest join, to route its `error` */
    this.joinRequests = new Map();
    /** @type {Map<string, PendingRequest>} bids and commands by req */
    this.pending = new Map();
    /** @type {Map<string, { sentMs: number, room: Room | null }>} pings by req */
    this.pings = new Map();
    /** @type {ConnectionStatus['state'] | 'idle'} */
    this.state = 'idle';
    this.authenticated = false;
    /** Whether a 4401 already made us fetch the token anew since the last welcome. */
    this.tokenRefetched = false;
    /** Counts sockets, so that an async token for an old one is not sent on a new one. */
    this.socketGeneration = 0;
    this.authSentMs = 0;
    /** @type {import('./connection.js').DownInfo | null} */
    this.lastDown = null;
    /** @type {import('./index.js').Welcome | null} */
    this.welcome = null;
    this.timers = options.timers ?? realTimers;
    this.connection = new Connection({
      url: options.url,
      codec: options.codec ?? jsonCodec,
      WebSocket,
      timers: this.timers,
      now: this.now,
      backoff: new Backoff(options.backoff),
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? DEFAULTS.heartbeatIntervalMs,
      idleTimeoutMs: options.idleTimeoutMs ?? DEFAULTS.idleTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs ?? DEFAULTS.connectTimeoutMs,
      environment: options.environment === undefined ? globalThis : options.environment,
      handlers: {
        open: () => this.socketOpened(),
        message: (message) => this.handleMessage(message),
        decodeError: (error) => this.events.emit('error', error),
        down: (info) => this.socketDown(info),
        retrying: (retry) =>
          this.setState({
            state: 'reconnecting',
            code: this.lastDown?.code,
            reason: this.lastDown?.reason,
            attempt: retry.attempt,
            delay_ms: retry.delay_ms,
            offline: retry.offline,
          }),
        ping: () => this.sendPing(null),
      },
    });
  }

  // --- the public API ----------------------------------------------------------------

  /**
   * @template {keyof ClientEvents} K
   * @param {K} event
   * @param {(payload: ClientEvents[K]) => void} listener
   * @returns {() => void}
   */
  on(event, listener) {
    return this.events.on(event, listener);
  }

  /** Opens the connection (and keeps it open until `close()`). */
  connect() {
    if (this.state !== 'idle') return;
    this.setState({ state: 'connecting' });
    this.connection.start();
  }

  /**
   * Joins a lot's room (at once, or as soon as the connection is up), and keeps it joined
   * across reconnects. Joining a room already joined returns the same room.
   * @param {LotId} lot
   * @returns {Room}
   */
  join(lot) {
    checkLot(lot);
    if (this.state === 'closed') throw new ConnectionClosedError('the client is closed');
    const key = lotKey(lot);
    const existing = this.rooms.get(key);
    if (existing) return existing;
    const room = new Room(lot, { rejoin: (room, cause) => this.rejoin(room, cause), leave: (room) => this.leaveRoom(room) });
    this.rooms.set(key, room);
    if (this.authenticated) this.sendJoin(room, 'reconnect');
    return room;
  }

  /**
   * The room joined for `lot`, if any.
   * @param {LotId} lot
   * @returns {Room | undefined}
   */
  room(lot) {
    return this.rooms.get(lotKey(lot));
  }

  /**
   * Places a bid. The promise resolves with the `accepted` answer or rejects with a
   * `BidRejectedError`; across a dropped socket the bid is sent again with the same
   * `req`, which the server answers as it did the first time.
   * @param {LotId} lot
   * @param {string} amount a decimal string, e.g. "1250.00"
   * @returns {Promise<import('./index.js').Accepted>}
   */
  bid(lot, amount) {
    try {
      checkLot(lot);
      if (typeof amount !== 'string' || !BID_AMOUNT.test(amount)) {
        throw new TypeError(`a bid amount is a decimal string such as "1250.00", not ${JSON.stringify(amount)}`);
      }
    } catch (error) {
      return Promise.reject(error);
    }
    return this.request('bid', { type: 'bid', lot, amount });
  }

  /**
   * @param {LotId} lot
   * @param {string} [reason]
   * @returns {Promise<import('./index.js').StateEvent>}
   */
  pause(lot, reason) {
    return this.control('pause', lot, reason);
  }

  /**
   * @param {LotId} lot
   * @param {string} [reason]
   * @returns {Promise<import('./index.js').StateEvent>}
   */
  resume(lot, reason) {
    return this.control('resume', lot, reason);
  }

  /**
   * @param {LotId} lot
   * @param {string} [reason]
   * @returns {Promise<import('./index.js').StateEvent>}
   */
  cancel(lot, reason) {
    return this.control('cancel', lot, reason);
  }

  /**
   * @param {LotId} lot
   * @param {string} text
   * @returns {Promise<import('./index.js').AnnouncementEvent>}
   */
  announce(lot, text) {
    try {
      checkLot(lot);
      if (typeof text !== 'string' || text.trim() === '') throw new TypeError('an announcement needs some text');
    } catch (error) {
      return Promise.reject(error);
    }
    return this.request('command', { type: 'announce', lot, text });
  }

  /** Milliseconds since the epoch on the server's clock (local clock + estimated offset). */
  serverNow() {
    return this.now() + this.clock.offsetMs();
  }

  /** Server time minus local time, from the lowest-round-trip recent ping (0 before one). */
  get clockOffsetMs() {
    return this.clock.offsetMs();
  }

  /** Closes for good: every waiting promise rejects with `ConnectionClosedError`. */
  close() {
    if (this.state === 'closed') return;
    this.connection.stop(1000, 'client closed');
    this.finish(new ConnectionClosedError('the client was closed'), { state: 'closed' });
  }

  // --- requests ----------------------------------------------------------------------

  /**
   * @private
   * @param {'pause' | 'resume' | 'cancel'} type
   * @param {LotId} lot
   * @param {string | undefined} reason
   */
  control(type, lot, reason) {
    try {
      checkLot(lot);
      if (reason !== undefined && typeof reason !== 'string') throw new TypeError('a reason is a string');
    } catch (error) {
      return Promise.reject(error);
    }
    /** @type {Record<string, unknown> & { type: string }} */
    const message = { type, lot };
    if (reason !== undefined) message.reason = reason;
    return this.request('command', message);
  }

  /**
   * @private
   * @param {'bid' | 'command'} kind
   * @param {Record<string, unknown> & { type: string }} fields
   * @returns {Promise<any>}
   */
  request(kind, fields) {
    if (this.state === 'closed') return Promise.reject(new ConnectionClosedError('the client is closed'));
    const message = { ...fields, req: this.ids.next() };
    return new Promise((resolve, reject) => {
      /** @type {PendingRequest} */
      const pending = { kind, message, resolve, reject, sent: false };
      this.pending.set(message.req, pending);
      if (this.authenticated) pending.sent = this.connection.send(message);
    });
  }

  /**
   * @private
   * @param {string} req
   * @returns {PendingRequest | undefined}
   */
  takePending(req) {
    const pending = this.pending.get(req);
    if (pending) this.pending.delete(req);
    return pending;
  }

  // --- rooms -------------------------------------------------------------------------

  /**
   * A room's join: plain for a room never seen, else a resume from its last seq followed
   * by a ping whose pong marks the end of the replay.
   * @private
   * @param {Room} room
   * @param {import('./index.js').ResyncCause} cause
   */
  sendJoin(room, cause) {
    const req = this.ids.next();
    for (const [oldReq, joined] of this.joinRequests) if (joined === room) this.joinRequests.delete(oldReq);
    this.joinRequests.set(req, room);
    if (room.view === null) {
      this.connection.send({ type: 'join', lot: room.lot, req });
      room.joinSent(null, cause);
      return;
    }
    this.connection.send({ type: 'join', lot: room.lot, since_seq: room.view.seq, req });
    room.joinSent(this.sendPing(room), cause);
  }

  /**
   * @private
   * @param {Room} room
   * @param {import('./index.js').ResyncCause} cause
   */
  rejoin(room, cause) {
    if (this.authenticated && this.rooms.get(lotKey(room.lot)) === room) this.sendJoin(room, cause);
  }

  /**
   * @private
   * @param {Room} room
   */
  leaveRoom(room) {
    const key = lotKey(room.lot);
    if (this.rooms.get(key) !== room) return;
    this.rooms.delete(key);
    for (const [req, joined] of this.joinRequests) if (joined === room) this.joinRequests.delete(req);
    if (this.authenticated) this.connection.send({ type: 'leave', lot: room.lot, req: this.ids.next() });
  }

  /**
   * @private
   * @param {Room | null} room
   * @returns {string} the ping's req
   */
  sendPing(room) {
    const req = this.ids.next();
    const sentMs = this.now();
    this.pings.set(req, { sentMs, room });
    this.connection.send({ type: 'ping', t: sentMs, req });
    return req;
  }

  // --- the socket's life -------------------------------------------------------------

  /** @private */
  async socketOpened() {
    const generation = ++this.socketGeneration;
    let token;
    try {
      token = typeof this.token === 'function' ? await this.token() : this.token;
      if (typeof token !== 'string' || token === '') throw new TypeError('the token function gave no token');
    } catch (error) {
      this.events.emit('error', /** @type {Error} */ (error));
      if (generation === this.socketGeneration) this.connection.drop(4003, 'no token');
      return;
    }
    if (generation !== this.socketGeneration || this.connection.phase !== 'open') return;
    this.authSentMs = this.now();
    this.connection.send({ type: 'auth', token });
  }

  /**
   * @private
   * @param {import('./connection.js').DownInfo} info
   */
  socketDown(info) {
    this.socketGeneration += 1;
    this.lastDown = info;
    this.authenticated = false;
    this.pings.clear();
    for (const room of this.rooms.values()) room.disconnected();
    for (const [req, pending] of this.pending) {
      // Commands are not idempotent: one that went out may or may not have been applied.
      // Bids are (by account + lot + req), so they wait and go out again.
      if (pending.kind === 'command' && pending.sent) {
        this.pending.delete(req);
        pending.reject(new CommandError('connection_lost', 'the connection dropped before the answer; the command may or may not have taken effect'));
      } else {
        pending.sent = false;
      }
    }
    if (info.byServer && info.code === NOT_AUTHENTICATED) {
      if (typeof this.token === 'function' && !this.tokenRefetched) {
        this.tokenRefetched = true;
        this.setState({ state: 'reconnecting', code: info.code, reason: info.reason, attempt: 0, delay_ms: 0, offline: false });
        this.connection.reconnectNow();
        return;
      }
      this.connection.stop();
      this.finish(new ConnectionClosedError('the server refused the token (4401)', info.code), {
        state: 'closed',
        code: info.code,
        reason: info.reason,
      });
    }
  }

  /**
   * @private
   * @param {Error} error
   * @param {ConnectionStatus} status
   */
  finish(error, status) {
    this.authenticated = false;
    for (const pending of this.pending.values()) pending.reject(error);
    this.pending.clear();
    this.pings.clear();
    for (const room of this.rooms.values()) room.disconnected();
    this.setState(status);
  }

  /**
   * @private
   * @param {ConnectionStatus} status
   */
  setState(status) {
    this.state = status.state;
    this.events.emit('connection', status);
  }

  // --- what the server says ----------------------------------------------------------

  /**
   * Routes one decoded server message; returns what it was taken as (for tests and
   * debugging): 'welcome', 'pong', 'answer', 'room', 'error', 'left', 'stale' or 'unknown'.
   * @param {ServerMessage} message
   * @returns {import('./index.js').Route}
   */
  handleMessage(message) {
    switch (message?.type) {
      case 'welcome':
        this.welcomed(message);
        return 'welcome';
      case 'pong':
        return this.ponged(message);
      case 'accepted': {
        const pending = this.takePending(message.req);
        if (!pending) return 'stale';
        pending.resolve(message);
        return 'answer';
      }
      case 'rejected': {
        const pending = this.takePending(message.req);
        if (!pending) return 'stale';
        pending.reject(new BidRejectedError(message));
        return 'answer';
      }
      case 'error':
        return this.errorAnswer(message);
      case 'left':
        return 'left';
      case 'snapshot': {
        if (message.req !== undefined) this.joinRequests.delete(message.req);
        const room = this.rooms.get(lotKey(message.lot));
        if (!room) return 'stale';
        room.snapshot(message);
        return 'room';
      }
      case 'state':
      case 'announcement':
        // With a req it is the answer to our command; the room hears the event without one.
        if (message.req !== undefined) {
          const pending = this.takePending(message.req);
          if (!pending) return 'stale';
          pending.resolve(message);
          return 'answer';
        }
        return this.roomEvent(message);
      case 'bid':
      case 'closed':
      case 'presence':
        return this.roomEvent(message);
      default: {
        const type = /** @type {{ type?: unknown } | null} */ (message)?.type;
        this.events.emit('error', new CommandError('invalid_message', `unknown message from the server: ${JSON.stringify(type)}`));
        return 'unknown';
      }
    }
  }

  /**
   * @private
   * @param {import('./index.js').RoomEvent} event
   * @returns {import('./index.js').Route}
   */
  roomEvent(event) {
    const room = this.rooms.get(lotKey(event.lot));
    if (!room) return 'stale';
    room.event(event);
    return 'room';
  }

  /**
   * @private
   * @param {import('./index.js').Welcome} welcome
   */
  welcomed(welcome) {
    this.authenticated = true;
    this.tokenRefetched = false;
    this.welcome = welcome;
    this.connection.established();
    this.clock.addSample(this.authSentMs, this.now(), welcome.server_time_ms);
    this.events.emit('welcome', welcome);
    this.setState({ state: 'connected' });
    for (const room of this.rooms.values()) this.sendJoin(room, 'reconnect');
    for (const pending of this.pending.values()) {
      if (!pending.sent) pending.sent = this.connection.send(pending.message);
    }
    this.sendPing(null);
  }

  /**
   * @private
   * @param {import('./index.js').Pong} pong
   * @returns {import('./index.js').Route}
   */
  ponged(pong) {
    const ping = pong.req === undefined ? undefined : this.pings.get(pong.req);
    if (!ping || pong.req === undefined) return 'stale';
    this.pings.delete(pong.req);
    this.clock.addSample(ping.sentMs, this.now(), pong.server_time_ms);
    ping.room?.pong(pong.req);
    return 'pong';
  }

  /**
   * @private
   * @param {import('./index.js').ErrorMessage} message
   * @returns {import('./index.js').Route}
   */
  errorAnswer(message) {
    if (message.req !== undefined) {
      const pending = this.takePending(message.req);
      if (pending) {
        pending.reject(pending.kind === 'bid' ? new BidRejectedError(message) : new CommandError(message.code, message.message));
        return 'answer';
      }
      const room = this.joinRequests.get(message.req);
      if (room && message.code === 'rate_limited') {
        // Over the connection's join rate (a burst of re-joins): the room stays joined and
        // its join goes again a moment later, as a resume if it had a snapshot.
        this.joinRequests.delete(message.req);
        this.timers.setTimeout(() => this.rejoin(room, room.resumeCause), JOIN_RETRY_MS);
        return 'answer';
      }
      if (room) {
        this.joinRequests.delete(message.req);
        this.rooms.delete(lotKey(room.lot));
        room.failed(new CommandError(message.code, message.message));
        return 'answer';
      }
    }
    this.events.emit('error', new CommandError(message.code, message.message));
    return 'error';
  }
}

/** @param {unknown} lot */
function checkLot(lot) {
  const valid = (typeof lot === 'number' && Number.isSafeInteger(lot)) || (typeof lot === 'string' && lot !== '');
  if (!valid) throw new TypeError(`a lot is a lot id (a number or a string), not ${JSON.stringify(lot)}`);
}

