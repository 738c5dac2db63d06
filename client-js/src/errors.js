// The errors the client's promises reject with.

/**
 * A command (pause, resume, cancel, announce, join) the server refused with `error`.
 */
export class CommandError extends Error {
  /**
   * @param {string} code the wire code, e.g. `forbidden`, `not_open`, `invalid_message`,
   *   or `connection_lost` when the socket dropped before the answer came
   * @param {string} message
   */
  constructor(code, message) {
    super(message);
    this.name = 'CommandError';
    /** @type {string} */
    this.code = code;
  }
}

/**
 * A bid the server answered with `rejected` (or `error`).
 */
export class BidRejectedError extends CommandError {
  /**
   * @param {{ code: string, message: string, reason?: string, min_next?: string }} answer
   */
  constructor(answer) {
    super(answer.code, answer.message);
    this.name = 'BidRejectedError';
    /** @type {string | undefined} why a `not_eligible` bidder is not eligible */
    this.reason = answer.reason;
    /** @type {string | undefined} the lowest amount that would have been accepted */
    this.min_next = answer.min_next;
  }
}

/**
 * The client was closed (by `close()`, or for good after close code 4401) before a
 * request was answered.
 */
export class ConnectionClosedError extends Error {
  /**
   * @param {string} message
   * @param {number} [code] the WebSocket close code, when the server closed
   */
  constructor(message, code) {
    super(message);
    this.name = 'ConnectionClosedError';
    /** @type {number | undefined} */
    this.code = code;
  }
}
