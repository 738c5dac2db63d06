// Exponential backoff with full jitter: the n-th retry waits a uniformly random time in
// [0, min(maxDelayMs, initialDelayMs × factor^n)), so that clients cut off together do not
// come back together.

export const BACKOFF_DEFAULTS = Object.freeze({
  initialDelayMs: 500,
  maxDelayMs: 30_000,
  factor: 2,
});

export class Backoff {
  /**
   * @param {{ initialDelayMs?: number, maxDelayMs?: number, factor?: number, random?: () => number }} [options]
   */
  constructor(options = {}) {
    this.initialDelayMs = options.initialDelayMs ?? BACKOFF_DEFAULTS.initialDelayMs;
    this.maxDelayMs = options.maxDelayMs ?? BACKOFF_DEFAULTS.maxDelayMs;
    this.factor = options.factor ?? BACKOFF_DEFAULTS.factor;
    this.random = options.random ?? Math.random;
    if (!(this.initialDelayMs > 0) || !(this.maxDelayMs >= this.initialDelayMs) || !(this.factor >= 1)) {
      throw new RangeError('backoff needs initialDelayMs > 0, maxDelayMs ≥ initialDelayMs, factor ≥ 1');
    }
    /** Retries since the last reset. */
    this.attempt = 0;
  }

  /** The upper bound of the next delay. */
  ceilingMs() {
    return Math.min(this.maxDelayMs, this.initialDelayMs * this.factor ** this.attempt);
  }

  /** The delay before the next retry; counts the retry. */
  next() {
    const delay = Math.floor(this.random() * this.ceilingMs());
    this.attempt += 1;
    return delay;
  }

  /** After a connection that worked: the next retry is quick again. */
  reset() {
    this.attempt = 0;
  }
}
