// A card of a page that shows data from the API: a heading, a message region for a
// failed load, a fixed part (forms, built once, so a language switch or a reload keeps
// what was typed) and a part redrawn from the last data (on each load and each language
// switch).

import { ApiError } from '../api.js';
import { clear, el } from '../dom.js';
import { t } from '../i18n.js';
import { Message } from './message.js';

export class Section {
  /**
   * @param {object} spec
   * @param {string} spec.id the section's id (its heading is `<id>-title`)
   * @param {string} spec.title the heading's string key
   * @param {() => Promise<any>} spec.load fetches the data
   * @param {(into: HTMLElement, data: any) => void} spec.draw draws it
   * @param {(error: ApiError) => void} [spec.expired] called when the session is refused
   */
  constructor({ id, title, load, draw, expired }) {
    this.load = load;
    this.drawData = draw;
    this.expired = expired;
    this.data = undefined;
    /** What the section's own actions say (kept across reloads). */
    this.message = new Message();
    this.loadProblem = new Message();
    this.fixed = el('div', { class: 'section-fixed' });
    this.body = el('div', { class: 'section-body' }, el('p', { class: 'muted' }, t('common.loading')));
    this.node = el(
      'section',
      { class: 'card', id, 'aria-labelledby': `${id}-title` },
      el('h2', { id: `${id}-title`, 'data-i18n': title }, t(title)),
      this.loadProblem.node,
      this.message.node,
      this.fixed,
      this.body,
    );
    document.addEventListener('languagechange', () => this.draw());
  }

  async refresh() {
    try {
      this.data = await this.load();
      this.loadProblem.clear();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401 && this.expired) {
        this.expired(error);
        return;
      }
      this.loadProblem.error(error);
    }
    this.draw();
  }

  draw() {
    if (this.data === undefined) return;
    this.drawData(clear(this.body), this.data);
  }
}
