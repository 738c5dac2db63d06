// `<input type="datetime-local">` values are the viewer's local wall time; the API speaks
// RFC 3339 in UTC.

/**
 * "2026-12-01T18:30" (local) → "2026-12-01T10:30:00Z"; null when empty or not a time.
 * @param {string} local
 */
export function localToRfc3339(local) {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(local)) return null;
  const date = new Date(local);
  if (Number.isNaN(date.getTime())) return null;
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Milliseconds since the epoch → the local "YYYY-MM-DDTHH:MM" an input shows. */
export function msToLocalInput(ms) {
  const date = new Date(ms);
  const two = (n) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${two(date.getMonth() + 1)}-${two(date.getDate())}T${two(
    date.getHours(),
  )}:${two(date.getMinutes())}`;
}

/** The viewer's time zone, e.g. "Asia/Shanghai". */
export function viewerZone() {
  return Intl.DateTimeFormat().resolvedOptions().timeZone;
}
