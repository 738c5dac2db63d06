// A message region beside a form or a list: an API error (or any sentence) in words, in
// the current language, re-worded when the language changes.

import { errorMessage } from '../api.js';
import { el } from '../dom.js';
import { t } from '../i18n.js';

export class Message {
  constructor() {
    this.node = el('p', { class: 'message', role: 'status', 'aria-live': 'polite', hidden: true });
    /** @type {(() => string) | null} */
    this.text = null;
    this.redraw = () => this.#draw();
    document.addEventListener('languagechange', this.redraw);
  }

  /** Stops following the language (the region is gone with its dialog). */
  dispose() {
    document.removeEventListener('languagechange', this.redraw);
  }

  /** An error from `api()` (or anything thrown), as a sentence. */
  error(error) {
    this.#show(() => errorMessage(error), 'error');
  }

  /**
   * A string by key (`parts.amount.required`), with its params, after the label of the
   * field at fault when there is one.
   */
  problem(key, params, labelKey) {
    this.#show(() => (labelKey ? `${t(labelKey)}: ${t(key, params)}` : t(key, params)), 'error');
  }

  /** A success (or, with kind `warn`, something done that still needs attention). */
  done(key, params, kind = 'good') {
    this.#show(() => t(key, params), kind);
  }

  clear() {
    this.text = null;
    this.#draw();
  }

  #show(text, kind) {
    this.text = text;
    this.node.dataset.kind = kind;
    this.node.className = `message ${kind}`;
    this.node.setAttribute('role', kind === 'error' ? 'alert' : 'status');
    this.#draw();
  }

  #draw() {
    this.node.textContent = this.text ? this.text() : '';
    this.node.hidden = !this.text;
  }
}
