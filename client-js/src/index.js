// bidroom's WebSocket client (SPEC §4, §9). Loaded by the pages from
// `/assets/client-js/index.js`; relative imports only, so no bundler is needed.

export { BidroomClient, DEFAULTS } from './client.js';
export { BidRejectedError, CommandError, ConnectionClosedError } from './errors.js';
export { jsonCodec, msgpackCodec } from './codec.js';
export { Backoff, BACKOFF_DEFAULTS } from './backoff.js';
export { ClockEstimator } from './clock.js';
export { Room } from './room.js';
export { applyEvent, viewFromSnapshot, RECENT_BIDS } from './room-view.js';
export { addDecimal } from './decimal.js';
export { CLOSE_CODES, REJECT_CODES, NOT_ELIGIBLE_REASONS, SERVER_MESSAGE_FIELDS, checkServerMessage } from './schema.js';
