// The unified social credit code (统一社会信用代码, GB 32100-2015) of an organisation: 17
// characters and a check character over the 31 characters below (no I, O, S, V, Z),
// checked as the server checks it.

const CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
const WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

/**
 * @param {string} text
 * @returns {'ok' | 'malformed' | 'check_character'}
 */
export function checkCreditCode(text) {
  const code = text.trim().toUpperCase();
  if (code.length !== 18 || [...code].some((c) => !CHARS.includes(c))) return 'malformed';
  const sum = WEIGHTS.reduce((total, weight, index) => total + weight * CHARS.indexOf(code[index]), 0);
  return CHARS[(31 - (sum % 31)) % 31] === code[17] ? 'ok' : 'check_character';
}
