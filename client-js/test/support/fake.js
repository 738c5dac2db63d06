// Fake time and a fake WebSocket, for unit tests of the client's state machine.

/** Time that moves only when a test says so. */
export class FakeTime {
  constructor(startMs = 1_000_000) {
    this.nowMs = startMs;
    this.nextHandle = 1;
    /** @type {Map<number, { at: number, fn: () => void }>} */
    this.pending = new Map();
    this.now = () => this.nowMs;
    this.timers = {
      setTimeout: (/** @type {() => void} */ fn, /** @type {number} */ ms) => {
        const handle = this.nextHandle++;
        this.pending.set(handle, { at: this.nowMs + ms, fn });
        return handle;
      },
      clearTimeout: (/** @type {number} */ handle) => {
        this.pending.delete(handle);
      },
    };
  }

  /** Runs every timer due within `ms`, in order, moving the clock to each. */
  advance(ms) {
    const end = this.nowMs + ms;
    for (;;) {
      let next = null;
      for (const [handle, timer] of this.pending) {
        if (timer.at <= end && (next === null || timer.at < next[1].at)) next = [handle, timer];
      }
      if (next === null) break;
      this.pending.delete(next[0]);
      this.nowMs = Math.max(this.nowMs, next[1].at);
      next[1].fn();
    }
    this.nowMs = end;
  }
}

/** A WebSocket the test drives: it records what the client sends and says what the test says. */
export function fakeWebSocketClass() {
  /** @type {FakeSocket[]} */
  const sockets = [];
  class FakeSocket {
    constructor(url, protocols) {
      this.url = url;
      this.protocols = protocols;
      this.protocol = protocols[0];
      this.binaryType = 'blob';
      /** @type {any[]} decoded messages the client sent */
      this.sent = [];
      this.closed = null;
      this.onopen = null;
      this.onmessage = null;
      this.onclose = null;
      this.onerror = null;
      sockets.push(this);
    }
    send(data) {
      this.sent.push(JSON.parse(data));
    }
    close(code, reason) {
      this.closed = { code, reason };
    }
    // --- driven by the test ---
    open() {
      this.onopen?.({});
    }
    receive(message) {
      this.onmessage?.({ data: JSON.stringify(message) });
    }
    serverClose(code, reason = '') {
      this.onclose?.({ code, reason });
    }
    sentOfType(type) {
      return this.sent.filter((message) => message.type === type);
    }
  }
  return { FakeSocket, sockets };
}

/** Lets queued promise callbacks (the token, answers) run. */
export function flush() {
  return new Promise((resolve) => setImmediate(resolve));
}
