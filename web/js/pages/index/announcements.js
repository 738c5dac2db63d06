// The exchange's published announcements (公告) on the home page: newest first, searched
// by words and kind, each opened in place to read its text.

import { api, errorMessage } from '../../api.js';
import { clear, el } from '../../dom.js';
import { formatTime } from '../../format.js';
import { t } from '../../i18n.js';

const KINDS = ['auction', 'correction', 'termination', 'result'];
const SEARCH_CHARS = 100;
const SHOWN = 20;

/** The section, and `draw` to redraw it in the current language. */
export function announcementsSection() {
  const node = el('section', { class: 'announcements', id: 'announcements', 'aria-labelledby': 'announcements-title' });
  const results = el('div', { 'aria-live': 'polite' });
  let found = null;
  let problem = null;
  let words = '';
  let kind = '';

  async function search() {
    const query = new URLSearchParams({ limit: String(SHOWN) });
    if (words) query.set('q', words);
    if (kind) query.set('kind', kind);
    try {
      found = await api('GET', `/announcements?${query}`);
      problem = null;
    } catch (error) {
      problem = errorMessage(error);
    }
    drawResults();
  }

  function drawResults() {
    clear(results);
    if (problem) results.append(el('p', { class: 'message error', role: 'alert' }, problem));
    if (found === null) {
      results.append(el('p', { class: 'muted' }, t('common.loading')));
    } else if (found.length === 0) {
      results.append(el('p', { class: 'muted' }, t(words || kind ? 'index.announcements.none_found' : 'index.announcements.none')));
    } else {
      results.append(el('ul', { class: 'announcement-list' }, found.map(item)));
    }
  }

  function item(announcement) {
    return el(
      'li',
      { 'data-key': String(announcement.id) },
      el(
        'details',
        null,
        el(
          'summary',
          null,
          el('span', { class: `badge ${announcement.kind}` }, t(`announcement.kind.${announcement.kind}`)),
          ' ',
          el('strong', null, announcement.title),
          ' ',
          el('span', { class: 'small muted' }, formatTime(announcement.published_at)),
        ),
        el('pre', { class: 'announcement-body' }, announcement.body),
        announcement.lot_id ? el('a', { href: `/lots/${announcement.lot_id}` }, t('index.announcements.to_lot')) : null,
      ),
    );
  }

  function draw() {
    const input = el('input', { type: 'search', name: 'q', id: 'announcement-q', maxlength: SEARCH_CHARS, value: words });
    const kinds = el(
      'select',
      { name: 'kind', id: 'announcement-kind' },
      el('option', { value: '' }, t('index.announcements.every_kind')),
      KINDS.map((value) => el('option', { value, selected: value === kind }, t(`announcement.kind.${value}`))),
    );
    const form = el(
      'form',
      { class: 'announcement-search', role: 'search' },
      el('label', { for: 'announcement-q' }, t('index.announcements.words')),
      input,
      el('label', { for: 'announcement-kind' }, t('index.announcements.kind')),
      kinds,
      el('button', { type: 'submit' }, t('index.announcements.search')),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      words = input.value.trim();
      kind = kinds.value;
      search();
    });
    clear(node).append(el('h2', { id: 'announcements-title' }, t('index.announcements.title')), form, results);
    drawResults();
  }

  draw();
  return { node, draw, search };
}
