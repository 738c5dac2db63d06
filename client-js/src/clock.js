// The server's clock, estimated NTP-style from ping/pong: a ping sent at local t0 and
// answered at local t1 with the server's time S gives offset = S − (t0 + t1) / 2, wrong
// by at most half the round trip. Of the last `windowSize` samples the one with the
// lowest round trip is the most trustworthy, so it is the one used.

export class ClockEstimator {
  /** @param {{ windowSize?: number }} [options] */
  constructor(options = {}) {
    this.windowSize = options.windowSize ?? 8;
    if (!(this.windowSize >= 1)) throw new RangeError('windowSize must be at least 1');
    /** @type {{ offsetMs: number, rttMs: number }[]} oldest first */
    this.samples = [];
  }

  /**
   * @param {number} sentMs local time the request left
   * @param {number} receivedMs local time the answer arrived
   * @param {number} serverTimeMs the server's time in the answer
   * @returns {{ offsetMs: number, rttMs: number } | null} the sample, or null if impossible
   */
  addSample(sentMs, receivedMs, serverTimeMs) {
    const rttMs = receivedMs - sentMs;
    if (!Number.isFinite(rttMs) || rttMs < 0 || !Number.isFinite(serverTimeMs)) return null;
    const sample = { offsetMs: serverTimeMs - (sentMs + receivedMs) / 2, rttMs };
    this.samples.push(sample);
    if (this.samples.length > this.windowSize) this.samples.shift();
    return sample;
  }

  /** The lowest-round-trip sample of the window, or null before the first. */
  best() {
    let best = null;
    for (const sample of this.samples) {
      if (best === null || sample.rttMs < best.rttMs) best = sample;
    }
    return best;
  }

  /** Server time minus local time, in ms (0 before the first sample). */
  offsetMs() {
    return this.best()?.offsetMs ?? 0;
  }
}
