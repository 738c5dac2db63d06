import assert from 'node:assert/strict';
import { test } from 'node:test';

import { Backoff } from '../src/index.js';
import { Heartbeat } from '../src/timers.js';
import { FakeTime } from './support/fake.js';

test('the ceiling doubles from the initial delay up to the maximum', () => {
  const backoff = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000, random: () => 0.5 });
  const ceilings = [];
  for (let index = 0; index < 6; index += 1) {
    ceilings.push(backoff.ceilingMs());
    backoff.next();
  }
  assert.deepEqual(ceilings, [100, 200, 400, 800, 1000, 1000]);
});

test('full jitter spreads every delay over zero to the ceiling', () => {
  const lowest = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000, random: () => 0 });
  const highest = new Backoff({ initialDelayMs: 100, maxDelayMs: 1000, random: () => 0.999999 });
  for (let attempt = 0; attempt < 8; attempt += 1) {
    const ceiling = highest.ceilingMs();
    assert.equal(lowest.next(), 0);
    const delay = highest.next();
    assert.ok(delay < ceiling && delay >= ceiling - 1, `attempt ${attempt}: ${delay} of ${ceiling}`);
  }
});

test('real random delays stay within their bounds and are not all alike', () => {
  const backoff = new Backoff({ initialDelayMs: 500, maxDelayMs: 30_000 });
  const delays = new Set();
  for (let index = 0; index < 200; index += 1) {
    backoff.reset();
    for (let attempt = 0; attempt < 3; attempt += 1) backoff.next();
    const ceiling = backoff.ceilingMs();
    const delay = backoff.next();
    assert.ok(delay >= 0 && delay < ceiling);
    delays.add(delay);
  }
  assert.ok(delays.size > 50, `only ${delays.size} distinct delays`);
});

test('a reset makes the next retry quick again', () => {
  const backoff = new Backoff({ initialDelayMs: 100, maxDelayMs: 10_000, random: () => 0.999 });
  for (let index = 0; index < 5; index += 1) backoff.next();
  assert.ok(backoff.ceilingMs() > 1000);
  backoff.reset();
  assert.equal(backoff.ceilingMs(), 100);
});

test('nonsense backoff options are refused', () => {
  assert.throws(() => new Backoff({ initialDelayMs: 0 }), RangeError);
  assert.throws(() => new Backoff({ initialDelayMs: 100, maxDelayMs: 50 }), RangeError);
});

test('the heartbeat pings while the socket talks and calls it dead when it goes silent', () => {
  const time = new FakeTime();
  let pings = 0;
  let dead = 0;
  const heartbeat = new Heartbeat({
    timers: time.timers,
    now: time.now,
    intervalMs: 10_000,
    idleTimeoutMs: 25_000,
    onPing: () => {
      pings += 1;
    },
    onDead: () => {
      dead += 1;
    },
  });
  heartbeat.start();
  for (let second = 0; second < 60; second += 5) {
    time.advance(5_000);
    heartbeat.heard();
  }
  assert.equal(dead, 0);
  assert.equal(pings, 6);
  time.advance(29_999);
  assert.equal(dead, 0, 'twenty-nine seconds of silence: two pings unanswered, not yet dead');
  time.advance(1);
  assert.equal(dead, 1);
  time.advance(100_000);
  assert.equal(dead, 1, 'a dead heartbeat stops');
});
