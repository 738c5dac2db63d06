// Timers the client can be seen to hold (and tests can drive with fake time): a one-shot
// timer for reconnects and a heartbeat that pings and declares a silent socket dead.

/**
 * @typedef {{ setTimeout: (fn: () => void, ms: number) => any, clearTimeout: (handle: any) => void }} TimerFunctions
 */

/** @type {TimerFunctions} */
export const realTimers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle),
};

/** A one-shot timer that is either scheduled or not. */
export class OneShotTimer {
  /** @param {TimerFunctions} timers */
  constructor(timers) {
    this.timers = timers;
    /** @type {any} */
    this.handle = null;
  }

  get scheduled() {
    return this.handle !== null;
  }

  /**
   * @param {number} delayMs
   * @param {() => void} fn
   */
  schedule(delayMs, fn) {
    this.cancel();
    this.handle = this.timers.setTimeout(() => {
      this.handle = null;
      fn();
    }, delayMs);
  }

  cancel() {
    if (this.handle !== null) {
      this.timers.clearTimeout(this.handle);
      this.handle = null;
    }
  }
}

/**
 * Every `intervalMs` it either asks for a ping or, when nothing has been heard for
 * `idleTimeoutMs`, reports the socket dead. With pings every 10 s and a 25 s idle limit a
 * live server has answered two pings before the third tick could call it dead.
 */
export class Heartbeat {
  /**
   * @param {{ timers: TimerFunctions, now: () => number, intervalMs: number, idleTimeoutMs: number,
   *   onPing: () => void, onDead: () => void }} options
   */
  constructor(options) {
    this.options = options;
    this.timer = new OneShotTimer(options.timers);
    this.lastHeardMs = 0;
  }

  start() {
    this.lastHeardMs = this.options.now();
    this.arm();
  }

  stop() {
    this.timer.cancel();
  }

  /** Anything arrived on the socket. */
  heard() {
    this.lastHeardMs = this.options.now();
  }

  /** @private */
  arm() {
    this.timer.schedule(this.options.intervalMs, () => this.tick());
  }

  /** @private */
  tick() {
    if (this.options.now() - this.lastHeardMs >= this.options.idleTimeoutMs) {
      this.options.onDead();
      return;
    }
    this.arm();
    this.options.onPing();
  }
}
