import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ClockEstimator } from '../src/index.js';

test('the offset is the server time minus the midpoint of the round trip', () => {
  const clock = new ClockEstimator();
  const sample = clock.addSample(1000, 1040, 6020);
  assert.deepEqual(sample, { offsetMs: 5000, rttMs: 40 });
  assert.equal(clock.offsetMs(), 5000);
});

test('the lowest round trip of the window wins', () => {
  const clock = new ClockEstimator({ windowSize: 4 });
  clock.addSample(0, 200, 5150); // rtt 200, offset 5050
  clock.addSample(1000, 1010, 6005); // rtt 10, offset 5000
  clock.addSample(2000, 2300, 7300); // rtt 300, offset 5150
  assert.equal(clock.offsetMs(), 5000);
  assert.equal(clock.best()?.rttMs, 10);
});

test('an old good sample slides out of the window', () => {
  const clock = new ClockEstimator({ windowSize: 3 });
  clock.addSample(0, 2, 101); // rtt 2, offset 100
  clock.addSample(10, 60, 235); // rtt 50, offset 200
  clock.addSample(100, 140, 320); // rtt 40, offset 200
  assert.equal(clock.offsetMs(), 100);
  clock.addSample(200, 300, 450); // rtt 100, offset 200; the rtt-2 sample is gone
  assert.equal(clock.offsetMs(), 200);
  assert.equal(clock.best()?.rttMs, 40);
});

test('impossible samples are ignored and there is no offset before any sample', () => {
  const clock = new ClockEstimator();
  assert.equal(clock.offsetMs(), 0);
  assert.equal(clock.addSample(100, 50, 1000), null);
  assert.equal(clock.addSample(100, 150, Number.NaN), null);
  assert.equal(clock.best(), null);
});
