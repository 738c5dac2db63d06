// The office pages' pure modules, in Node: the resident id check the back office makes
// before it sends a verification, the Idempotency-Key kept for a retried request, and
// local datetime input values turned into RFC 3339 UTC.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkResidentId } from '../web/js/pages/admin/resident-id.js';
import { RetryKey } from '../web/js/parts/retry-key.js';
import { localToRfc3339, msToLocalInput } from '../web/js/parts/times.js';

test('a resident id is 17 digits and its check character', () => {
  assert.equal(checkResidentId('11010519491231002X'), 'ok');
  assert.equal(checkResidentId(' 11010519491231002x '), 'ok');
  assert.equal(checkResidentId('110105194912310021'), 'check_digit');
  for (const malformed of ['', '1101051949123100', '11010519491231002Y', '1101051949123100２X']) {
    assert.equal(checkResidentId(malformed), 'malformed', malformed);
  }
});

test('a retried request keeps its key; a changed or a next request gets a new one', () => {
  const keys = new RetryKey();
  const first = keys.for({ amount: '100.00' });
  assert.equal(keys.for({ amount: '100.00' }), first);
  const changed = keys.for({ amount: '100.50' });
  assert.notEqual(changed, first);
  keys.done();
  assert.notEqual(keys.for({ amount: '100.50' }), changed);
});

test('a local datetime input value becomes RFC 3339 in UTC and back', () => {
  const local = msToLocalInput(Date.UTC(2030, 5, 1, 2, 0));
  assert.equal(localToRfc3339(local), '2030-06-01T02:00:00Z');
  for (const bad of ['', '2030-06-01', 'tomorrow', '2030-13-01T10:00']) {
    assert.equal(localToRfc3339(bad), null, bad);
  }
});
