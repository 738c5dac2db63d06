// Server messages for unit tests.

/** @returns {import('../src/index.js').Snapshot} */
export function snapshotAt(seq, overrides = {}) {
  return {
    type: 'snapshot',
    lot: 7,
    state: 'open',
    phase: 'free',
    currency: 'CNY',
    price: null,
    min_next: '1000.00',
    increment: '100.00',
    has_reserve: false,
    leader: null,
    deadline_ms: 100_000,
    extensions: 0,
    server_time_ms: 50_000,
    seq,
    recent_bids: [],
    you: { bidder_number: '0427', eligible: true, priority_rank: null },
    ...overrides,
  };
}

/** @returns {import('../src/index.js').BidEvent} */
export function bidEvent(seq, price, bidder = '0427', deadline_ms = 100_000) {
  return { type: 'bid', lot: 7, seq, amount: price, bidder, at_ms: 60_000 + seq, deadline_ms, price, phase: 'free' };
}

