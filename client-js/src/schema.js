// Every server message's fields, as data: for runtime shape checks (tests, tools) and as
// the list `tsc` compares with index.d.ts (the JSDoc types below demand exactly the
// fields each message type declares there).
//
// A kind is a name from KINDS; `|null` allows null; a trailing `?` means the field may be
// absent.

/** @typedef {import('./index.js').ServerMessage} ServerMessage */
/** @typedef {import('./index.js').YouBidder} YouBidder */
/** @typedef {import('./index.js').YouMonitor} YouMonitor */

/** @type {Readonly<import('./index.js').CloseCodes>} */
export const CLOSE_CODES = Object.freeze({
  GOING_AWAY: 1001,
  MESSAGE_TOO_BIG: 1009,
  ROOM_MOVED: 1012,
  NOT_AUTHENTICATED: 4401,
  TOO_SLOW: 4408,
  TOO_MANY_CONNECTIONS: 4429,
});

/** @type {readonly import('./index.js').RejectCode[]} */
export const REJECT_CODES = Object.freeze([
  'not_authenticated',
  'not_open',
  'not_eligible',
  'invalid_amount',
  'too_low',
  'bad_increment',
  'already_leading',
  'rate_limited',
  'forbidden',
  'not_found',
  'invalid_message',
  'unavailable',
  'password_change_required',
]);

/** @type {readonly import('./index.js').NotEligibleReason[]} */
export const NOT_ELIGIBLE_REASONS = Object.freeze([
  'not_verified',
  'not_registered',
  'not_approved',
  'deposit_not_lodged',
  'disqualified',
  'suspended',
]);

/**
 * @template T
 * @typedef {{ [F in Exclude<keyof T, 'type'>]-?: string }} FieldsOf
 */

/**
 * @type {{ [T in ServerMessage['type']]: FieldsOf<Extract<ServerMessage, { type: T }>> }}
 */
const FIELDS = {
  welcome: { account_id: 'integer', role: 'role', server_time_ms: 'integer', req: 'string?' },
  left: { lot: 'lot', req: 'string?' },
  accepted: {
    req: 'string',
    lot: 'lot',
    seq: 'integer',
    amount: 'money',
    bidder: 'string',
    at_ms: 'integer',
    deadline_ms: 'integer',
  },
  rejected: {
    req: 'string',
    lot: 'lot',
    code: 'reject_code',
    message: 'string',
    min_next: 'money?',
    reason: 'not_eligible_reason?',
  },
  pong: { t: 'any?', server_time_ms: 'integer', req: 'string?' },
  error: { code: 'string', message: 'string', req: 'string?' },
  snapshot: {
    lot: 'lot',
    state: 'lot_state',
    phase: 'phase',
    currency: 'string',
    price: 'money|null',
    min_next: 'money',
    increment: 'money',
    has_reserve: 'boolean',
    leader: 'string|null',
    deadline_ms: 'integer',
    remaining_ms: 'integer?',
    extensions: 'integer',
    server_time_ms: 'integer',
    seq: 'integer',
    result: 'lot_result?',
    recent_bids: 'bids',
    you: 'you',
    req: 'string?',
  },
  bid: {
    lot: 'lot',
    seq: 'integer',
    amount: 'money',
    bidder: 'string',
    at_ms: 'integer',
    deadline_ms: 'integer',
    price: 'money',
    phase: 'phase',
    account_id: 'integer?',
    display_name: 'string?',
  },
  state: {
    lot: 'lot',
    seq: 'integer',
    state: 'event_state',
    deadline_ms: 'integer',
    remaining_ms: 'integer?',
    reason: 'string?',
    req: 'string?',
  },
  closed: {
    lot: 'lot',
    seq: 'integer',
    result: 'lot_result',
    price: 'money|null',
    winner_bidder: 'string|null',
  },
  announcement: { lot: 'lot', seq: 'integer', text: 'string', req: 'string?' },
  presence: { lot: 'lot', members: 'integer', bidders: 'integer' },
};

/** @type {{ bidder: FieldsOf<YouBidder>, monitor: FieldsOf<YouMonitor> }} */
const YOU_FIELDS = {
  bidder: {
    bidder_number: 'string|null',
    eligible: 'boolean',
    reason: 'not_eligible_reason?',
    priority_rank: 'integer|null',
  },
  monitor: { monitor: 'true', role: 'role', members: 'integer', bidders: 'integer' },
};

export const SERVER_MESSAGE_FIELDS = Object.freeze(FIELDS);

/** @param {readonly string[]} values */
const oneOf = (values) => (/** @type {unknown} */ value) => typeof value === 'string' && values.includes(value);

/** @type {Record<string, (value: unknown, path: string) => string[] | boolean>} */
const KINDS = {
  any: () => true,
  string: (value) => typeof value === 'string',
  integer: (value) => Number.isSafeInteger(value),
  boolean: (value) => typeof value === 'boolean',
  true: (value) => value === true,
  money: (value) => typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value),
  lot: (value) => Number.isSafeInteger(value) || (typeof value === 'string' && /^\d+$/.test(value)),
  role: oneOf(['bidder', 'auctioneer', 'admin', 'supervisor']),
  lot_state: oneOf(['draft', 'published', 'open', 'paused', 'closed', 'cancelled']),
  event_state: oneOf(['open', 'paused', 'cancelled']),
  phase: oneOf(['free', 'timed']),
  lot_result: oneOf(['sold', 'unsold']),
  reject_code: oneOf(REJECT_CODES),
  not_eligible_reason: oneOf(NOT_ELIGIBLE_REASONS),
  bids: (value, path) =>
    Array.isArray(value)
      ? value.flatMap((bid, index) => checkFields({ ...FIELDS.bid, type: 'string' }, bid, `${path}[${index}]`))
      : false,
  you: (value, path) => {
    if (typeof value !== 'object' || value === null) return false;
    const fields = 'monitor' in value ? YOU_FIELDS.monitor : YOU_FIELDS.bidder;
    return checkFields(fields, value, path);
  },
};

/**
 * @param {Record<string, string>} fields
 * @param {unknown} value
 * @param {string} path
 * @returns {string[]}
 */
function checkFields(fields, value, path) {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return [`${path} is not an object`];
  const record = /** @type {Record<string, unknown>} */ (value);
  const problems = [];
  for (const [name, spec] of Object.entries(fields)) {
    const optional = spec.endsWith('?');
    const [kind, nullable] = spec.replace(/\?$/, '').split('|');
    const at = `${path}.${name}`;
    if (!(name in record)) {
      if (!optional) problems.push(`${at} is missing`);
      continue;
    }
    const field = record[name];
    if (field === null && nullable === 'null') continue;
    const check = KINDS[kind];
    if (!check) throw new Error(`schema: unknown kind ${kind}`);
    const outcome = check(field, at);
    if (outcome === false) problems.push(`${at} is not ${spec}: ${JSON.stringify(field)}`);
    else if (Array.isArray(outcome)) problems.push(...outcome);
  }
  for (const name of Object.keys(record)) {
    if (!(name in fields)) problems.push(`${path}.${name} is not a field of ${path}`);
  }
  return problems;
}

/**
 * The problems with a decoded server message's shape: none when it matches index.d.ts.
 * @param {unknown} message
 * @returns {string[]}
 */
export function checkServerMessage(message) {
  if (typeof message !== 'object' || message === null) return ['the message is not an object'];
  const type = /** @type {{ type?: unknown }} */ (message).type;
  if (typeof type !== 'string' || !(type in FIELDS)) return [`unknown message type ${JSON.stringify(type)}`];
  const fields = { ...FIELDS[/** @type {keyof typeof FIELDS} */ (type)], type: 'string' };
  return checkFields(fields, message, type);
}
