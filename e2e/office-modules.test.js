// The office pages' pure modules, in Node: the resident id and credit code checks the back
// office makes before it sends a verification, the Idempotency-Key kept for a retried request, and
// local datetime input values turned into RFC 3339 UTC.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { checkCreditCode } from '../web/js/pages/admin/credit-code.js';
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

test('a unified social credit code is 17 characters and its check character', () => {
  for (const code of ['91350100M000100Y43', '9144030071526726XG', '914403001922038216', '91110108551385082Q']) {
    assert.equal(checkCreditCode(code), 'ok', code);
  }
  assert.equal(checkCreditCode(' 9144030071526726xg '), 'ok');
  const chars = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  const code = '91330100799655058B';
  for (let position = 0; position < 18; position += 1) {
    for (const replacement of chars) {
      if (replacement === code[position]) continue;
      const changed = code.slice(0, position) + replacement + code.slice(position + 1);
      assert.equal(checkCreditCode(changed), 'check_character', changed);
    }
  }
  for (const malformed of ['', '9144030071526726X', '9144030071526726IG', '9144030071526726OG', '９144030071526726XG']) {
    assert.equal(checkCreditCode(malformed), 'malformed', malformed);
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
