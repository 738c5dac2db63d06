// The signed-in session, kept in localStorage so every page and tab shares it.

const KEY = 'bidroom.session';

/** @returns {{token: string, account: object} | null} */
export function session() {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? 'null');
    if (stored && typeof stored.token === 'string' && stored.account) return stored;
  } catch {
    // A value another version wrote, or a hand edit: treat it as signed out.
  }
  return null;
}

export function saveSession(token, account) {
  localStorage.setItem(KEY, JSON.stringify({ token, account }));
  document.dispatchEvent(new CustomEvent('sessionchange'));
}

export function clearSession() {
  localStorage.removeItem(KEY);
  document.dispatchEvent(new CustomEvent('sessionchange'));
}
