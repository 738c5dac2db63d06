// The bidding rules as a bidder's page applies them before sending (SPEC §2): the same
// checks the room makes, so a person learns why an amount is refused without a round trip.
// Pure functions over the room's view; amounts are BigInt minor units.

import { parseMoney, decimalPlaces } from '../money.js';

/** Quick bids: the lowest valid amount and a few whole increments above it. */
export const QUICK_STEPS = [0n, 1n, 2n, 5n];
/** A bid this many increments above min_next asks for confirmation first. */
export const CONFIRM_ABOVE_INCREMENTS = 10n;

/**
 * @param {{min_next: string, increment: string}} view
 * @returns {{amount: bigint, steps: bigint}[]}
 */
export function quickBids(view) {
  const minNext = parseMoney(view.min_next);
  const increment = parseMoney(view.increment);
  if (minNext === null || increment === null) return [];
  return QUICK_STEPS.map((steps) => ({ amount: minNext + steps * increment, steps }));
}

/**
 * Checks an amount a person typed.
 * @param {string} text
 * @param {{price: string | null, min_next: string, increment: string}} view
 * @param {{mayMatch?: boolean}} [options] a priority holder may bid the current price
 * @returns {{ok: true, amount: bigint, match: boolean} | {ok: false, problem: string, params?: object}}
 *   problem is one of `empty`, `not_a_number`, `too_many_decimals`, `too_low`, `bad_increment`
 */
export function checkAmount(text, view, { mayMatch = false } = {}) {
  const trimmed = String(text ?? '').trim().replace(/,/g, '');
  if (trimmed === '') return { ok: false, problem: 'empty' };
  if (/^\d+\.\d{3,}$/.test(trimmed)) {
    return { ok: false, problem: 'too_many_decimals', params: { places: decimalPlaces(trimmed) } };
  }
  const amount = parseMoney(trimmed);
  if (amount === null) return { ok: false, problem: 'not_a_number' };
  const minNext = parseMoney(view.min_next);
  const increment = parseMoney(view.increment);
  const price = view.price === null ? null : parseMoney(view.price);
  if (mayMatch && price !== null && amount === price) return { ok: true, amount, match: true };
  if (amount < minNext) return { ok: false, problem: 'too_low', params: { min_next: view.min_next } };
  // The first bid counts from the start price (= min_next), later ones from the price.
  const base = price ?? minNext;
  if ((amount - base) % increment !== 0n) {
    const below = amount - ((amount - base) % increment);
    return {
      ok: false,
      problem: 'bad_increment',
      params: { increment: view.increment, below, above: below + increment },
    };
  }
  return { ok: true, amount, match: false };
}

/** How many increments `amount` is above min_next (0 for min_next itself). */
export function incrementsAbove(amount, view) {
  const minNext = parseMoney(view.min_next);
  const increment = parseMoney(view.increment);
  if (amount <= minNext) return 0n;
  return (amount - minNext) / increment;
}

export function needsConfirmation(amount, view) {
  return incrementsAbove(amount, view) > CONFIRM_ABOVE_INCREMENTS;
}
