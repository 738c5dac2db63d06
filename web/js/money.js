// Amounts as BigInt minor units (cents, 分): exact arithmetic, never a float.
// The wire and the REST API carry decimal strings; parse them here, compute with BigInt,
// and turn the result back into a string with moneyString.

const AMOUNT = /^(\d+)(?:\.(\d{1,2}))?$/;

/**
 * Parses a decimal amount with at most two decimals ("1250", "1250.5", "1250.00").
 * Surrounding spaces are ignored; anything else (signs, exponents, separators, three
 * decimals) is refused.
 * @param {string} text
 * @returns {bigint | null} minor units, or null when `text` is not such an amount
 */
export function parseMoney(text) {
  if (typeof text !== 'string') return null;
  const match = AMOUNT.exec(text.trim());
  if (!match) return null;
  const [, whole, fraction = ''] = match;
  return BigInt(whole) * 100n + BigInt(fraction.padEnd(2, '0'));
}

/**
 * @param {bigint} minor
 * @returns {string} the amount with exactly two decimals, e.g. 125000n → "1250.00"
 */
export function moneyString(minor) {
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(3, '0');
  const text = `${digits.slice(0, -2)}.${digits.slice(-2)}`;
  return negative ? `-${text}` : text;
}

/** How many decimals the text carries (so a page can say "at most 2 decimals"). */
export function decimalPlaces(text) {
  const dot = String(text).trim().indexOf('.');
  return dot < 0 ? 0 : String(text).trim().length - dot - 1;
}

export const addMoney = (a, b) => a + b;
export const subtractMoney = (a, b) => a - b;
/** `minor` times a whole number `count` (a BigInt or a safe integer). */
export const timesMoney = (minor, count) => minor * BigInt(count);
