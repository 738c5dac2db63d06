// The bid history: newest first, by bidder number, with the leading bid and the bids it
// outbid marked in words; monitors also see who each bidder is.

import { el } from '../dom.js';
import { formatClock, formatMoney } from '../format.js';
import { t } from '../i18n.js';

/**
 * @param {object[]} bids oldest first (the room view's recent_bids)
 * @param {{currency: string, me: string | null, monitor: boolean, leader: string | null,
 *          closed: boolean}} context
 */
export function historyTable(bids, { currency, me, monitor, leader, closed }) {
  const newestFirst = [...bids].reverse();
  const headings = ['time', 'bidder', ...(monitor ? ['account', 'name'] : []), 'amount', 'mark'];
  const rows = newestFirst.map((bid, index) => {
    const leading = index === 0 && bid.bidder === leader;
    const mine = me !== null && bid.bidder === me;
    const mark = leading ? t(closed ? 'room.history.winning' : 'room.history.leading') : t('room.history.outbid');
    const classes = ['history-row', leading ? 'leading' : 'outbid', mine ? 'mine' : ''].join(' ');
    return el(
      'tr',
      { class: classes, dataset: { seq: String(bid.seq) } },
      el('td', { class: 'nowrap' }, formatClock(bid.at_ms)),
      el('td', null, bid.bidder),
      monitor ? el('td', null, bid.account_id === undefined ? '—' : String(bid.account_id)) : null,
      monitor ? el('td', null, bid.display_name ?? '—') : null,
      el('td', { class: 'amount' }, formatMoney(bid.amount, currency)),
      el(
        'td',
        { class: 'marks' },
        el('span', { class: `badge ${leading ? 'leading' : 'outbid'}` }, mark),
        mine ? el('span', { class: 'badge mine' }, t('room.history.me')) : null,
      ),
    );
  });
  return el(
    'div',
    { class: 'table-wrap' },
    el(
      'table',
      { id: 'bid-history' },
      el('caption', null, t('room.history.caption', { count: bids.length })),
      el(
        'thead',
        null,
        el('tr', null, headings.map((key) =>
          el('th', { scope: 'col', class: key === 'amount' ? 'amount' : null }, t(`room.history.${key}`)),
        )),
      ),
      el(
        'tbody',
        null,
        rows.length ? rows : el('tr', null, el('td', { colspan: headings.length, class: 'muted' }, t('room.history.empty'))),
      ),
    ),
  );
}
