// Request ids and the requests waiting for their answers.

/**
 * A prefix random enough that two clients of one account (which share the server's
 * idempotency key space, account + lot + req) never pick the same `req`.
 * @returns {string}
 */
export function randomPrefix() {
  const bytes = new Uint8Array(8);
  if (typeof globalThis.crypto?.getRandomValues === 'function') {
    globalThis.crypto.getRandomValues(bytes);
  } else {
    for (let index = 0; index < bytes.length; index += 1) bytes[index] = Math.floor(Math.random() * 256);
  }
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** `req` ids: a per-client random prefix and a counter (`3f9a…-1`, `3f9a…-2`, …). */
export class RequestIds {
  /** @param {string} [prefix] */
  constructor(prefix = randomPrefix()) {
    this.prefix = prefix;
    this.counter = 0;
  }

  next() {
    this.counter += 1;
    return `${this.prefix}-${this.counter.toString(36)}`;
  }
}

/**
 * A bid or an auctioneer's command waiting for its answer.
 * @typedef {{
 *   kind: 'bid' | 'command',
 *   message: { type: string, req: string } & Record<string, unknown>,
 *   resolve: (answer: any) => void,
 *   reject: (error: Error) => void,
 *   sent: boolean,
 * }} PendingRequest
 */
