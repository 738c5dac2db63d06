// The PRC resident identity number (居民身份证号码, GB 11643): 17 digits and a check
// character (ISO 7064 MOD 11-2), checked as the server checks it.

const WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK = '10X98765432';

/**
 * @param {string} text
 * @returns {'ok' | 'malformed' | 'check_digit'}
 */
export function checkResidentId(text) {
  const id = text.trim().toUpperCase();
  if (!/^\d{17}[\dX]$/.test(id)) return 'malformed';
  const sum = WEIGHTS.reduce((total, weight, index) => total + weight * Number(id[index]), 0);
  return CHECK[sum % 11] === id[17] ? 'ok' : 'check_digit';
}
