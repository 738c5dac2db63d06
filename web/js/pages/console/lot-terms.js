// A new lot's terms (SPEC §2) from the create form, checked as `POST /lots` checks them
// (src/http/lots/terms.rs), so that a mistake is named before anything is sent. The
// server stays the judge: what it still refuses is shown as it says it.

import { moneyString } from '../../money.js';
import { readAmount } from '../../parts/amount.js';
import { InputProblem, value } from '../../parts/form.js';
import { localToRfc3339 } from '../../parts/times.js';

const TITLE_CHARS = 200;
const DESCRIPTION_CHARS = 20_000;
const MAX_EXTENSION_WINDOW_SECS = 24 * 60 * 60;
const FEE_RATE_DECIMALS = 6;
const MAX_U32 = 4_294_967_295n;

const chars = (text) => [...text].length;

/**
 * @param {HTMLFormElement} form
 * @returns {object} the body of `POST /lots`
 */
export function lotRequest(form) {
  const title = value(form, 'title');
  if (chars(title) < 1 || chars(title) > TITLE_CHARS) {
    throw new InputProblem('title', 'console.create.error.title', { max: TITLE_CHARS });
  }
  const description = value(form, 'description');
  if (chars(description) > DESCRIPTION_CHARS) {
    throw new InputProblem('description', 'console.create.error.description', { max: DESCRIPTION_CHARS });
  }
  const currency = value(form, 'currency') || 'CNY';
  if (!/^[A-Z]{3}$/.test(currency)) throw new InputProblem('currency', 'console.create.error.currency');
  const amount = (name, optional = false) => {
    const minor = readAmount(form, name, { currency, optional });
    return minor === null ? null : moneyString(minor);
  };
  const body = {
    title,
    description,
    currency,
    start_price: amount('start_price'),
    increment: amount('increment'),
  };
  const reserve = amount('reserve_price', true);
  if (reserve !== null) body.reserve_price = reserve;
  body.deposit = deposit(form, currency);
  body.fee_rate = feeRate(form);
  Object.assign(body, times(form));
  body.extension_window_secs = whole(form, 'extension_window_secs', 1n, BigInt(MAX_EXTENSION_WINDOW_SECS), false);
  const maxExtensions = whole(form, 'max_extensions', 0n, MAX_U32, true);
  if (maxExtensions !== null) body.max_extensions = maxExtensions;
  body.extension_mode = value(form, 'extension_mode') === 'add' ? 'add' : 'reset';
  return body;
}

function deposit(form, currency) {
  if (value(form, 'deposit_kind') === 'range') {
    const min = readAmount(form, 'deposit_min', { currency });
    const max = readAmount(form, 'deposit_max', { currency });
    if (max < min) throw new InputProblem('deposit_max', 'console.create.error.deposit_range');
    return { kind: 'range', min: moneyString(min), max: moneyString(max) };
  }
  return { kind: 'fixed', amount: moneyString(readAmount(form, 'deposit_amount', { currency })) };
}

/** A plain decimal from 0 up to (not including) 1, at most 6 places; empty is 0. */
function feeRate(form) {
  const text = value(form, 'fee_rate');
  if (text === '') return '0';
  const match = /^(\d*)(?:\.(\d*))?$/.exec(text);
  const valid =
    match &&
    (match[1] !== '' || (match[2] ?? '') !== '') &&
    (match[2] ?? '').replace(/0+$/, '').length <= FEE_RATE_DECIMALS &&
    BigInt(match[1] || '0') === 0n;
  if (!valid) throw new InputProblem('fee_rate', 'console.create.error.fee_rate');
  return text;
}

/** The four times and the optional settlement due time, ordered as §2 requires. */
function times(form) {
  const time = (name, optional = false) => {
    const text = value(form, name);
    if (text === '' && optional) return null;
    const rfc3339 = localToRfc3339(text);
    if (!rfc3339) throw new InputProblem(name, 'console.create.error.time');
    return rfc3339;
  };
  const result = {
    applications_close_at: time('applications_close_at'),
    deposit_deadline: time('deposit_deadline'),
    starts_at: time('starts_at'),
    ends_at: time('ends_at'),
  };
  const ms = (name) => Date.parse(result[name]);
  if (ms('applications_close_at') > ms('starts_at')) {
    throw new InputProblem('applications_close_at', 'console.create.error.applications_after_start');
  }
  if (ms('deposit_deadline') > ms('starts_at')) {
    throw new InputProblem('deposit_deadline', 'console.create.error.deposit_after_start');
  }
  if (ms('starts_at') >= ms('ends_at')) throw new InputProblem('ends_at', 'console.create.error.end_before_start');
  const due = time('settlement_due_at', true);
  if (due !== null) {
    if (Date.parse(due) <= ms('ends_at')) {
      throw new InputProblem('settlement_due_at', 'console.create.error.due_before_end');
    }
    result.settlement_due_at = due;
  }
  return result;
}

/** A whole number in [min, max] (null when empty and optional). */
function whole(form, name, min, max, optional) {
  const text = value(form, name);
  if (text === '' && optional) return null;
  if (!/^\d+$/.test(text) || BigInt(text) < min || BigInt(text) > max) {
    throw new InputProblem(name, 'console.create.error.whole', { min: String(min), max: String(max) });
  }
  return Number(text);
}
