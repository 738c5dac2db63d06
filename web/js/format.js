// Presenting amounts and times to a person: string-based money (never a float), Chinese
// capital numerals for cheques and confirmations, times in the viewer's own time zone.

import { lang } from './i18n.js';
import { parseMoney } from './money.js';


/** "1234567.5" → "1,234,567.50"; null when `amount` is not a decimal amount. */
export function groupDigits(amount) {
  const text = String(amount).trim();
  const match = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!match) return null;
  const [, sign, whole, fraction = ''] = match;
  const grouped = whole.replace(/^0+(?=\d)/, '').replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${sign}${grouped}.${fraction.padEnd(2, '0')}`;
}

/**
 * @param {string | bigint | null | undefined} amount a decimal string, or BigInt minor units
 * @param {string} [currency] ISO code, default CNY
 * @returns {string} "¥1,250.00" for CNY, otherwise the code first ("USD 1,250.00");
 *   "—" for no amount
 */
export function formatMoney(amount, currency = 'CNY') {
  if (amount === null || amount === undefined || amount === '') return '—';
  const text =
    typeof amount === 'bigint' ? groupDigits(minorToString(amount)) : groupDigits(amount);
  if (text === null) return String(amount);
  if (currency === 'CNY') return text.startsWith('-') ? `-¥${text.slice(1)}` : `¥${text}`;
  return `${currency} ${text}`;
}

function minorToString(minor) {
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(3, '0');
  return `${negative ? '-' : ''}${digits.slice(0, -2)}.${digits.slice(-2)}`;
}

const DIGITS = '零壹贰叁肆伍陆柒捌玖';
const SMALL_UNITS = ['', '拾', '佰', '仟'];
const WAN = 10000n;
const YI = 100000000n;
/** 9999万亿 9999亿 9999万 9999 元: sixteen integer digits. */
const LIMIT = 10n ** 16n;

/** 0 < n < 10000, e.g. 1005 → 壹仟零伍, 10 → 壹拾. */
function belowWan(n) {
  const digits = n.toString().padStart(4, '0');
  let out = '';
  let pendingZero = false;
  for (let i = 0; i < 4; i += 1) {
    const digit = Number(digits[i]);
    if (digit === 0) {
      if (out) pendingZero = true;
      continue;
    }
    if (pendingZero) out += '零';
    pendingZero = false;
    out += DIGITS[digit] + SMALL_UNITS[3 - i];
  }
  return out;
}

/** 0 < n < 10^16; 亿 over 万, so 1,0001,0000,0000 reads 壹万零壹亿, 10^12 壹万亿. */
function integerCapital(n) {
  for (const [unit, name] of [
    [YI, '亿'],
    [WAN, '万'],
  ]) {
    if (n >= unit) {
      const high = n / unit;
      const rest = n % unit;
      let out = integerCapital(high) + name;
      if (rest > 0n) out += (rest < unit / 10n ? '零' : '') + integerCapital(rest);
      return out;
    }
  }
  return belowWan(n);
}

/**
 * Chinese capital numerals for an amount of money (人民币大写), as written on bank
 * documents: 元 then 角 and 分; 整 after 元 or 角 when nothing smaller follows; a 零 for a
 * missing 角 between 元 and 分 (壹佰元零伍分). Amounts up to 9999万亿.
 * Examples: "1250.00" → 壹仟贰佰伍拾元整; "100010.5" → 壹拾万零壹拾元伍角整; "0.05" → 伍分.
 * @param {string | bigint} amount a decimal string (≤ 2 decimals) or BigInt minor units
 * @returns {string | null} null when the amount is not a non-negative amount below 10^16
 */
export function chineseCapital(amount) {
  const minor = typeof amount === 'bigint' ? amount : parseMoney(String(amount));
  if (minor === null || minor < 0n || minor >= LIMIT * 100n) return null;
  const whole = minor / 100n;
  const jiao = Number((minor / 10n) % 10n);
  const fen = Number(minor % 10n);
  if (minor === 0n) return '零元整';
  let out = whole > 0n ? `${integerCapital(whole)}元` : '';
  if (jiao === 0 && fen === 0) return `${out}整`;
  if (jiao > 0) out += `${DIGITS[jiao]}角`;
  else if (whole > 0n) out += '零';
  if (fen > 0) return `${out}${DIGITS[fen]}分`;
  return `${out}整`;
}

/**
 * @param {number | string} msOrRfc3339 milliseconds since the epoch, or an RFC 3339 string
 * @returns {string} date and time in the viewer's time zone and the current language
 */
export function formatTime(msOrRfc3339) {
  if (msOrRfc3339 === null || msOrRfc3339 === undefined || msOrRfc3339 === '') return '—';
  const date = new Date(msOrRfc3339);
  if (Number.isNaN(date.getTime())) return String(msOrRfc3339);
  return new Intl.DateTimeFormat(lang(), {
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
    timeZoneName: 'short',
  }).format(date);
}

/** Only the time of day (for a bid history), in the viewer's zone. */
export function formatClock(ms) {
  return new Intl.DateTimeFormat(lang(), {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  }).format(new Date(ms));
}

/**
 * @param {number} ms time left; below zero reads as zero
 * @returns {string} "05:07", "1:02:03", or with days "2d 03:04:05" / "2天 03:04:05"
 */
export function formatCountdown(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const days = Math.floor(total / 86400);
  const hours = Math.floor((total % 86400) / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const two = (n) => String(n).padStart(2, '0');
  const clock = hours > 0 || days > 0 ? `${two(hours)}:${two(minutes)}:${two(seconds)}` : `${two(minutes)}:${two(seconds)}`;
  if (days > 0) return `${days}${lang() === 'zh-CN' ? '天' : 'd'} ${clock}`;
  return clock;
}
