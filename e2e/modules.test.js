// The pages' pure modules, in Node: money as BigInt minor units, 人民币大写, amounts
// formatted from strings, and the bidding checks a room makes before it sends a bid.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chineseCapital, formatCountdown, formatMoney, groupDigits } from '../web/js/format.js';
import { moneyString, parseMoney } from '../web/js/money.js';
import { checkAmount, needsConfirmation, quickBids } from '../web/js/room/bidding.js';
import { percent } from '../web/js/room/terms.js';

test('amounts parse to minor units and back, refusing anything but ≤ 2 decimals', () => {
  assert.equal(parseMoney('1250'), 125000n);
  assert.equal(parseMoney(' 1250.5 '), 125050n);
  assert.equal(parseMoney('0.01'), 1n);
  for (const bad of ['', '1.234', '-1', '1e3', '1,250', '12a', '.5', 'NaN']) {
    assert.equal(parseMoney(bad), null, bad);
  }
  assert.equal(moneyString(5n), '0.05');
  assert.equal(moneyString(125000n), '1250.00');
  // Beyond a float's exact range, still exact.
  assert.equal(moneyString(parseMoney('90071992547409931.07')), '90071992547409931.07');
});

test('money is shown with thousands separators and its currency', () => {
  assert.equal(formatMoney('1234567.5', 'CNY'), '¥1,234,567.50');
  assert.equal(formatMoney('1000', 'USD'), 'USD 1,000.00');
  assert.equal(formatMoney(123456789n, 'CNY'), '¥1,234,567.89');
  assert.equal(formatMoney(null, 'CNY'), '—');
  assert.equal(groupDigits('999'), '999.00');
});

test('人民币大写 follows the 元角分整 rules up to 万亿', () => {
  const cases = {
    0: '零元整',
    '0.05': '伍分',
    '0.5': '伍角整',
    10: '壹拾元整',
    1005: '壹仟零伍元整',
    1050: '壹仟零伍拾元整',
    '1250.00': '壹仟贰佰伍拾元整',
    '100.05': '壹佰元零伍分',
    '10.10': '壹拾元壹角整',
    '100010.5': '壹拾万零壹拾元伍角整',
    100000001: '壹亿零壹元整',
    110000000: '壹亿壹仟万元整',
    101000000: '壹亿零壹佰万元整',
    1000000000000: '壹万亿元整',
    1000100000000: '壹万零壹亿元整',
    '9999999999999999.99': '玖仟玖佰玖拾玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分',
  };
  for (const [amount, words] of Object.entries(cases)) assert.equal(chineseCapital(String(amount)), words, amount);
  assert.equal(chineseCapital('10000000000000000'), null, 'beyond 万亿');
  assert.equal(chineseCapital('1.234'), null);
  assert.equal(chineseCapital(125000n), '壹仟贰佰伍拾元整');
});

test('a countdown reads minutes, hours and days', () => {
  assert.equal(formatCountdown(65_000), '01:05');
  assert.equal(formatCountdown(3_723_000), '01:02:03');
  assert.equal(formatCountdown(-5), '00:00');
  assert.equal(formatCountdown(999), '00:01', 'a part of a second still left shows as one');
});

test('a fee rate is a percentage without a float', () => {
  assert.equal(percent('0.01'), '1%');
  assert.equal(percent('0.015'), '1.5%');
  assert.equal(percent('0'), '0%');
  assert.equal(percent('0.0005'), '0.05%');
});

const firstBid = { price: null, min_next: '1000.00', increment: '100.00' };
const later = { price: '1200.00', min_next: '1300.00', increment: '100.00' };

test('quick bids are min_next and +1, +2, +5 increments', () => {
  assert.deepEqual(quickBids(later).map(({ amount }) => moneyString(amount)), ['1300.00', '1400.00', '1500.00', '1800.00']);
});

test('a custom amount is checked as the room checks it, and says why not', () => {
  assert.equal(checkAmount('', later).problem, 'empty');
  assert.equal(checkAmount('abc', later).problem, 'not_a_number');
  assert.equal(checkAmount('1300.555', later).problem, 'too_many_decimals');
  assert.equal(checkAmount('1200', later).problem, 'too_low');
  const off = checkAmount('1350', later);
  assert.equal(off.problem, 'bad_increment');
  assert.equal(moneyString(off.params.below), '1300.00');
  assert.equal(moneyString(off.params.above), '1400.00');
  assert.equal(checkAmount('1,400', later).ok, true);
  assert.equal(checkAmount('1000', firstBid).ok, true, 'the first bid may be the start price');
  assert.equal(checkAmount('1150', firstBid).problem, 'bad_increment');
  // Only a priority holder may match the price.
  assert.equal(checkAmount('1200', later).ok, false);
  assert.deepEqual(checkAmount('1200', later, { mayMatch: true }), { ok: true, amount: 120000n, match: true });
});

test('a bid more than ten increments above min_next asks first', () => {
  assert.equal(needsConfirmation(parseMoney('2300.00'), later), false);
  assert.equal(needsConfirmation(parseMoney('2400.00'), later), true);
});
