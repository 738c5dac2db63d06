// Money on the wire is a decimal string ("1250.00"). The client adds amounts (price +
// increment) exactly, on BigInt digits, never through floating point.

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * Whether `text` is a plain decimal number such as "1250" or "1250.00".
 * @param {unknown} text
 * @returns {text is string}
 */
export function isDecimal(text) {
  return typeof text === 'string' && DECIMAL.test(text);
}

/**
 * @param {string} text
 * @returns {{ units: bigint, scale: number }}
 */
function parse(text) {
  const match = DECIMAL.exec(text);
  if (!match) throw new TypeError(`not a decimal amount: ${JSON.stringify(text)}`);
  const [, sign, whole, fraction = ''] = match;
  const units = BigInt(whole + fraction);
  return { units: sign === '-' ? -units : units, scale: fraction.length };
}

/**
 * @param {bigint} units
 * @param {number} scale
 * @returns {string}
 */
function format(units, scale) {
  const negative = units < 0n;
  const digits = (negative ? -units : units).toString().padStart(scale + 1, '0');
  const whole = digits.slice(0, digits.length - scale);
  const fraction = scale > 0 ? `.${digits.slice(digits.length - scale)}` : '';
  return `${negative ? '-' : ''}${whole}${fraction}`;
}

/**
 * The exact sum of two decimal strings, with the larger of their scales:
 * `addDecimal('1100.00', '100.00') === '1200.00'`.
 * @param {string} a
 * @param {string} b
 * @returns {string}
 */
export function addDecimal(a, b) {
  const left = parse(a);
  const right = parse(b);
  const scale = Math.max(left.scale, right.scale);
  const units =
    left.units * 10n ** BigInt(scale - left.scale) + right.units * 10n ** BigInt(scale - right.scale);
  return format(units, scale);
}
