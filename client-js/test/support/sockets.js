// A `ws` WebSocket the tests can interfere with: drop the live socket as a network
// failure would, refuse new connections for a while, lose chosen incoming messages, or
// act right after a frame goes out.
import WebSocket from 'ws';

export function controlledWebSocket() {
  const control = {
    /** @type {TrackedSocket[]} */
    sockets: [],
    blocked: false,
    /** @type {((message: any) => boolean) | null} incoming JSON messages to lose */
    loseIncoming: null,
    /** @type {((socket: TrackedSocket, data: unknown) => void) | null} */
    afterSend: null,
    /** The socket opened last. */
    latest() {
      return this.sockets[this.sockets.length - 1];
    },
    /** Cuts the live TCP connection without a close handshake (as a network failure). */
    drop() {
      this.latest().terminate();
    },
  };
  class TrackedSocket extends WebSocket {
    /** @param {string} url @param {string[]} protocols */
    constructor(url, protocols) {
      // A blocked connection goes to a port nothing listens on, and fails as a real one would.
      super(control.blocked ? 'ws://127.0.0.1:9/ws' : url, protocols);
      control.sockets.push(this);
    }

    /** @param {any} data */
    send(data) {
      super.send(data);
      control.afterSend?.(this, data);
    }

    /** @param {any} handler */
    set onmessage(handler) {
      super.onmessage = handler === null ? null : (/** @type {any} */ event) => {
        if (control.loseIncoming && typeof event.data === 'string' && control.loseIncoming(JSON.parse(event.data))) return;
        handler(event);
      };
    }

    get onmessage() {
      return super.onmessage;
    }
  }
  return { WebSocket: TrackedSocket, control };
}

/**
 * Waits until `predicate()` holds.
 * @param {() => boolean} predicate
 * @param {string} what
 * @param {number} [timeoutMs]
 */
export async function waitFor(predicate, what, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/**
 * Everything a room tells its listeners, in order.
 * @param {import('../../src/index.js').Room} room
 */
export function record(room) {
  const log = {
    /** @type {number[]} seqs of the events delivered */
    seqs: /** @type {number[]} */ ([]),
    /** @type {any[]} */
    events: /** @type {any[]} */ ([]),
    /** @type {import('../../src/index.js').Resynced[]} */
    resynced: /** @type {any[]} */ ([]),
    snapshots: 0,
  };
  for (const type of /** @type {const} */ (['bid', 'state', 'closed', 'announcement'])) {
    room.on(type, (event) => {
      log.seqs.push(event.seq);
      log.events.push(event);
    });
  }
  room.on('snapshot', () => {
    log.snapshots += 1;
  });
  room.on('resynced', (event) => log.resynced.push(event));
  return log;
}

/** @param {number} from @param {number} to */
export function range(from, to) {
  return Array.from({ length: to - from + 1 }, (_, index) => from + index);
}
