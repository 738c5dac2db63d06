// An Idempotency-Key per attempt: the same request sent again (a retry after a network
// failure or a refusal) carries the same key, so the server places it at most once; a
// changed request, or the next one after a success, gets a fresh key.

import { newIdempotencyKey } from '../api.js';

export class RetryKey {
  #key = null;
  #request = null;

  /** The key for this request (anything JSON can hold). */
  for(request) {
    const fingerprint = JSON.stringify(request);
    if (fingerprint !== this.#request) {
      this.#key = newIdempotencyKey();
      this.#request = fingerprint;
    }
    return this.#key;
  }

  /** The request succeeded: the next one is a new attempt. */
  done() {
    this.#key = null;
    this.#request = null;
  }
}
