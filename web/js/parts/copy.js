// A button that copies a value (the virtual account number) and says so.

import { el } from '../dom.js';
import { t } from '../i18n.js';

/**
 * @param {() => string} text what to copy
 * @param {HTMLElement} shown the element showing it (selected when the clipboard is refused)
 */
export function copyButton(text, shown) {
  const said = el('span', { class: 'copy-said small', 'aria-live': 'polite' });
  const button = el(
    'button',
    { type: 'button', class: 'secondary', 'data-i18n': 'parts.copy.button' },
    t('parts.copy.button'),
  );
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(text());
      said.textContent = t('parts.copy.done');
    } catch {
      const range = document.createRange();
      range.selectNodeContents(shown);
      const selection = getSelection();
      selection?.removeAllRanges();
      selection?.addRange(range);
      said.textContent = t('parts.copy.select');
    }
  });
  return el('span', { class: 'copy' }, button, said);
}
