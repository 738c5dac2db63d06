import assert from 'node:assert/strict';
import { test } from 'node:test';

import { addDecimal, applyEvent, viewFromSnapshot } from '../src/index.js';
import { bidEvent, snapshotAt } from './support/messages.js';

test('decimal addition is exact and keeps the larger scale', () => {
  assert.equal(addDecimal('1100.00', '100.00'), '1200.00');
  assert.equal(addDecimal('0.10', '0.2'), '0.30');
  assert.equal(addDecimal('99999999999999999999.99', '0.01'), '100000000000000000000.00');
  assert.equal(addDecimal('5', '0.05'), '5.05');
  assert.throws(() => addDecimal('1e3', '1'), TypeError);
});

test('a bid moves the price, the leader and min_next by one increment', () => {
  let view = viewFromSnapshot(snapshotAt(3));
  view = applyEvent(view, bidEvent(4, '1000.00', '0427'));
  view = applyEvent(view, bidEvent(5, '1100.00', '3318'));
  assert.equal(view.price, '1100.00');
  assert.equal(view.min_next, '1200.00');
  assert.equal(view.leader, '3318');
  assert.equal(view.seq, 5);
  assert.deepEqual(view.recent_bids.map((bid) => bid.seq), [4, 5]);
  assert.equal(view.extensions, 0);
});

test('a bid that moves the deadline counts as an extension', () => {
  let view = viewFromSnapshot(snapshotAt(1));
  view = applyEvent(view, bidEvent(2, '1000.00', '0427', 100_000));
  view = applyEvent(view, bidEvent(3, '1100.00', '3318', 130_000));
  assert.equal(view.deadline_ms, 130_000);
  assert.equal(view.extensions, 1);
});

test('recent bids keep the last twenty, oldest first', () => {
  let view = viewFromSnapshot(snapshotAt(0));
  for (let seq = 1; seq <= 25; seq += 1) view = applyEvent(view, bidEvent(seq, `${1000 + seq * 100}.00`));
  assert.equal(view.recent_bids.length, 20);
  assert.equal(view.recent_bids[0].seq, 6);
  assert.equal(view.recent_bids[19].seq, 25);
});

test('pause, resume and close show in the view', () => {
  let view = viewFromSnapshot(snapshotAt(1, { price: '1000.00', leader: '0427', min_next: '1100.00' }));
  view = applyEvent(view, { type: 'state', lot: 7, seq: 2, state: 'paused', deadline_ms: 100_000, remaining_ms: 30_000, reason: 'q' });
  assert.equal(view.state, 'paused');
  assert.equal(view.remaining_ms, 30_000);
  view = applyEvent(view, { type: 'state', lot: 7, seq: 3, state: 'open', deadline_ms: 140_000 });
  assert.equal(view.state, 'open');
  assert.equal(view.remaining_ms, null);
  assert.equal(view.deadline_ms, 140_000);
  assert.equal(view.result, undefined);
  view = applyEvent(view, { type: 'closed', lot: 7, seq: 4, result: 'sold', price: '1000.00', winner_bidder: '0427' });
  assert.equal(view.state, 'closed');
  assert.equal(view.result, 'sold');
  assert.equal(view.winner_bidder, '0427');
});

test('a closed snapshot names the leader as the winner when sold', () => {
  const view = viewFromSnapshot(snapshotAt(9, { state: 'closed', result: 'sold', leader: '3318', price: '1500.00' }));
  assert.equal(view.result, 'sold');
  assert.equal(view.winner_bidder, '3318');
});

test('presence updates the monitor counts without a seq', () => {
  let view = viewFromSnapshot(snapshotAt(2, { you: { monitor: true, role: 'auctioneer', members: 1, bidders: 0 } }));
  assert.deepEqual(view.presence, { members: 1, bidders: 0 });
  view = applyEvent(view, { type: 'presence', lot: 7, members: 4, bidders: 2 });
  assert.deepEqual(view.presence, { members: 4, bidders: 2 });
  assert.equal(view.seq, 2);
});
