// Reading an amount typed into a form as BigInt minor units, with the same rules the
// server applies (a positive decimal with at most two places), and the bounds a form
// knows of; a refusal names the field and says why.

import { formatMoney } from '../format.js';
import { decimalPlaces, parseMoney } from '../money.js';
import { InputProblem, value } from './form.js';

/** The largest amount the server keeps: below 10^15 in major units. */
const LIMIT_MINOR = 10n ** 17n;

/**
 * @param {HTMLFormElement} form
 * @param {string} name the control's name
 * @param {object} [bounds]
 * @param {bigint} [bounds.min] the least allowed (inclusive), in minor units
 * @param {bigint} [bounds.max] the most allowed (inclusive), in minor units
 * @param {string} [bounds.currency] how the bounds are shown
 * @param {boolean} [bounds.optional] an empty field is null rather than a problem
 * @returns {bigint | null}
 */
export function readAmount(form, name, { min, max, currency = 'CNY', optional = false } = {}) {
  const text = value(form, name);
  if (text === '') {
    if (optional) return null;
    throw new InputProblem(name, 'parts.amount.required');
  }
  if (/^\d+\.\d{3,}$/.test(text) && decimalPlaces(text) > 2) {
    throw new InputProblem(name, 'parts.amount.decimals');
  }
  const minor = parseMoney(text);
  if (minor === null) throw new InputProblem(name, 'parts.amount.invalid');
  if (minor <= 0n) throw new InputProblem(name, 'parts.amount.positive');
  if (minor >= LIMIT_MINOR) throw new InputProblem(name, 'parts.amount.too_large');
  if (min !== undefined && minor < min) {
    throw new InputProblem(name, 'parts.amount.below', { min: formatMoney(min, currency) });
  }
  if (max !== undefined && minor > max) {
    throw new InputProblem(name, 'parts.amount.above', { max: formatMoney(max, currency) });
  }
  return minor;
}
