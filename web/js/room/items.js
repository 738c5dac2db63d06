// The lot's item list (GET /lots/{id}/items): what an asset package holds, as a table.
// The card stays hidden for a lot without a list.

import { api } from '../api.js';
import { clear, el } from '../dom.js';
import { t } from '../i18n.js';

/** One item; its quantity stays the decimal string the server sent. */
function itemRow(item) {
  return el(
    'tr',
    null,
    el('td', null, item.name),
    el('td', { class: 'amount' }, item.unit ? `${item.quantity} ${item.unit}` : item.quantity),
    el('td', { class: 'small' }, item.notes),
  );
}

/**
 * Loads the lot's items into `card` (a section with an `h2`), and draws them again on
 * each call of the returned function (a language switch).
 */
export async function lotItemsCard(card, lotId) {
  let items = [];
  try {
    items = (await api('GET', `/lots/${encodeURIComponent(lotId)}/items`)).items;
  } catch {
    items = [];
  }
  const draw = () => {
    clear(card);
    card.hidden = items.length === 0;
    if (card.hidden) return;
    card.append(
      el('h2', { id: 'items-title' }, t('room.items.title', { count: items.length })),
      el(
        'div',
        { class: 'table-wrap' },
        el(
          'table',
          { id: 'lot-items' },
          el('caption', null, t('room.items.caption')),
          el(
            'thead',
            null,
            el(
              'tr',
              null,
              el('th', { scope: 'col' }, t('room.items.name')),
              el('th', { scope: 'col', class: 'amount' }, t('room.items.quantity')),
              el('th', { scope: 'col' }, t('room.items.notes')),
            ),
          ),
          el('tbody', null, items.map(itemRow)),
        ),
      ),
    );
  };
  draw();
  return draw;
}
