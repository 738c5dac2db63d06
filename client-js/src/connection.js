// The transport: one WebSocket at a time, opened again with backoff after it drops, a
// heartbeat that calls a silent socket dead, and the browser's online/offline and
// visibility signals. It knows frames and timers, not the protocol's meaning: the client
// is told when a socket opens, what it says, and when it is gone.
//
// phase: 'idle' → 'connecting' → 'open' → (dropped) 'waiting' | 'offline' → 'connecting' …
//        'stopped' for good.

import { Backoff } from './backoff.js';
import { Heartbeat, OneShotTimer } from './timers.js';

/** Close codes the client itself uses (4000–4099 are left to applications by bidroom). */
export const CLIENT_CLOSE = Object.freeze({
  /** The socket was silent for longer than `idleTimeoutMs`. */
  SILENT: 4000,
  /** No welcome within `connectTimeoutMs`. */
  CONNECT_TIMEOUT: 4001,
  /** The environment reported it went offline. */
  OFFLINE: 4002,
  /** A frame could not be decoded, or the token could not be had. */
  PROTOCOL: 4003,
});

/**
 * @typedef {{ code: number, reason: string, byServer: boolean }} DownInfo
 * @typedef {{
 *   open(): void,
 *   message(message: any): void,
 *   decodeError(error: Error): void,
 *   down(info: DownInfo): void,
 *   retrying(retry: { delay_ms: number | null, attempt: number, offline: boolean }): void,
 *   ping(): void,
 * }} ConnectionHandlers
 */

export class Connection {
  /**
   * @param {{
   *   url: string,
   *   codec: import('./index.js').Codec,
   *   WebSocket: import('./index.js').WebSocketConstructor,
   *   timers: import('./timers.js').TimerFunctions,
   *   now: () => number,
   *   backoff: Backoff,
   *   heartbeatIntervalMs: number,
   *   idleTimeoutMs: number,
   *   connectTimeoutMs: number,
   *   environment: any,
   *   handlers: ConnectionHandlers,
   * }} options
   */
  constructor(options) {
    this.options = options;
    this.handlers = options.handlers;
    this.backoff = options.backoff;
    /** @type {'idle' | 'connecting' | 'open' | 'waiting' | 'offline' | 'stopped'} */
    this.phase = 'idle';
    /** @type {import('./index.js').WebSocketLike | null} */
    this.socket = null;
    this.reconnectTimer = new OneShotTimer(options.timers);
    this.connectTimer = new OneShotTimer(options.timers);
    this.heartbeat = new Heartbeat({
      timers: options.timers,
      now: options.now,
      intervalMs: options.heartbeatIntervalMs,
      idleTimeoutMs: options.idleTimeoutMs,
      onPing: () => this.handlers.ping(),
      onDead: () => this.drop(CLIENT_CLOSE.SILENT, 'nothing heard from the server'),
    });
    /** @type {(() => void)[]} */
    this.unwatch = [];
  }

  /** Opens the first socket and starts watching the environment. */
  start() {
    if (this.phase !== 'idle') return;
    this.watchEnvironment();
    if (this.isOffline()) {
      this.phase = 'offline';
      this.handlers.retrying({ delay_ms: null, attempt: this.backoff.attempt, offline: true });
      return;
    }
    this.open();
  }

  /**
   * Sends one message if a socket is open.
   * @param {object} message
   * @returns {boolean} whether it went out
   */
  send(message) {
    if (this.phase !== 'open' || this.socket === null) return false;
    this.socket.send(this.options.codec.encode(message));
    return true;
  }

  /** The session is established (welcome): retries start from the shortest delay again. */
  established() {
    this.connectTimer.cancel();
    this.backoff.reset();
  }

  /** Drops the current socket, if any, and opens a new one now (no backoff). */
  reconnectNow() {
    if (this.phase === 'stopped') return;
    this.reconnectTimer.cancel();
    if (this.socket !== null) this.discardSocket(CLIENT_CLOSE.PROTOCOL, 'reconnecting');
    this.open();
  }

  /**
   * Treats the current socket as dead: closed at once, reported down, retried.
   * @param {number} code
   * @param {string} reason
   */
  drop(code, reason) {
    if (this.socket === null) return;
    this.discardSocket(code, reason);
    this.wentDown({ code, reason, byServer: false });
  }

  /** Closes for good: no socket, no timers, no listeners. */
  stop(code = 1000, reason = 'client closed') {
    if (this.phase === 'stopped') return;
    this.phase = 'stopped';
    this.reconnectTimer.cancel();
    this.connectTimer.cancel();
    this.heartbeat.stop();
    if (this.socket !== null) this.discardSocket(code, reason);
    for (const unwatch of this.unwatch.splice(0)) unwatch();
  }

  // --- sockets -------------------------------------------------------------------------

  /** @private */
  open() {
    const { url, codec, WebSocket } = this.options;
    this.phase = 'connecting';
    /** @type {import('./index.js').WebSocketLike} */
    let socket;
    try {
      socket = new WebSocket(url, [codec.subprotocol]);
    } catch (error) {
      // A malformed URL is the caller's mistake, not a network condition: say so loudly.
      this.stop();
      throw error;
    }
    if (codec.binaryType) socket.binaryType = codec.binaryType;
    this.socket = socket;
    this.connectTimer.schedule(this.options.connectTimeoutMs, () =>
      this.drop(CLIENT_CLOSE.CONNECT_TIMEOUT, 'no welcome in time'),
    );
    socket.onopen = () => {
      if (this.socket !== socket) return;
      this.phase = 'open';
      this.heartbeat.start();
      this.handlers.open();
    };
    socket.onmessage = (event) => {
      if (this.socket !== socket) return;
      this.heartbeat.heard();
      let message;
      try {
        message = codec.decode(event.data);
      } catch (error) {
        this.handlers.decodeError(/** @type {Error} */ (error));
        return;
      }
      this.handlers.message(message);
    };
    socket.onclose = (event) => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.heartbeat.stop();
      this.wentDown({ code: event.code, reason: event.reason ?? '', byServer: true });
    };
    // An error is always followed by a close, which is where it is handled.
    socket.onerror = () => {};
  }

  /**
   * Detaches the socket so that nothing it does later matters, and closes it.
   * @private
   * @param {number} code
   * @param {string} reason
   */
  discardSocket(code, reason) {
    const socket = this.socket;
    if (socket === null) return;
    this.socket = null;
    this.heartbeat.stop();
    socket.onopen = socket.onmessage = socket.onclose = null;
    socket.onerror = () => {};
    try {
      // `ws` in Node can cut a dead TCP connection at once; a browser closes politely.
      if (typeof socket.terminate === 'function') socket.terminate();
      else socket.close(code, reason);
    } catch {
      // Closing a socket that never opened may throw in some environments; it is gone.
    }
  }

  /**
   * @private
   * @param {DownInfo} info
   */
  wentDown(info) {
    this.connectTimer.cancel();
    if (this.phase === 'stopped') return;
    this.phase = 'waiting';
    this.handlers.down(info);
    // The handler may have stopped the connection or opened a new socket already.
    if (this.phase !== 'waiting' || this.reconnectTimer.scheduled) return;
    this.scheduleRetry();
  }

  /** @private */
  scheduleRetry() {
    if (this.isOffline()) {
      this.phase = 'offline';
      this.handlers.retrying({ delay_ms: null, attempt: this.backoff.attempt, offline: true });
      return;
    }
    const attempt = this.backoff.attempt + 1;
    const delayMs = this.backoff.next();
    this.reconnectTimer.schedule(delayMs, () => this.open());
    this.handlers.retrying({ delay_ms: delayMs, attempt, offline: false });
  }

  // --- the environment -------------------------------------------------------------------

  /** @private */
  isOffline() {
    return this.options.environment?.navigator?.onLine === false;
  }

  /** @private */
  watchEnvironment() {
    const environment = this.options.environment;
    /**
     * @param {any} target
     * @param {string} type
     * @param {() => void} listener
     */
    const listen = (target, type, listener) => {
      if (typeof target?.addEventListener !== 'function') return;
      target.addEventListener(type, listener);
      this.unwatch.push(() => target.removeEventListener(type, listener));
    };
    listen(environment, 'online', () => this.becameOnline());
    listen(environment, 'offline', () => this.becameOffline());
    listen(environment?.document, 'visibilitychange', () => {
      if (environment.document.visibilityState === 'visible') this.becameVisible();
    });
  }

  /** @private */
  becameOnline() {
    if (this.phase === 'offline' || this.phase === 'waiting') {
      this.reconnectTimer.cancel();
      this.backoff.reset();
      this.open();
    }
  }

  /** @private */
  becameOffline() {
    if (this.phase === 'open' || this.phase === 'connecting') {
      this.drop(CLIENT_CLOSE.OFFLINE, 'the device went offline');
    } else if (this.phase === 'waiting') {
      this.reconnectTimer.cancel();
      this.phase = 'offline';
      this.handlers.retrying({ delay_ms: null, attempt: this.backoff.attempt, offline: true });
    }
  }

  /** @private */
  becameVisible() {
    if (this.phase === 'waiting') {
      // A tab coming back should not sit out the rest of a long backoff.
      this.reconnectTimer.cancel();
      this.open();
    } else if (this.phase === 'open') {
      // After a sleep the socket may be dead without having said so.
      if (this.options.now() - this.heartbeat.lastHeardMs >= this.options.idleTimeoutMs) {
        this.drop(CLIENT_CLOSE.SILENT, 'nothing heard from the server');
      } else {
        this.handlers.ping();
      }
    }
  }
}
