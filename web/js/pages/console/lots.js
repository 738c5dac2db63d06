// The auctioneer's lots, drafts included (an admin sees every lot), newest first: state,
// times, price; publishing a draft; the applications; the item list; the live monitor.

import { api } from '../../api.js';
import { el } from '../../dom.js';
import { formatMoney, formatTime } from '../../format.js';
import { t } from '../../i18n.js';
import { Section } from '../../parts/section.js';
import { badge, dataTable } from '../../parts/table.js';

export function lotsSection({ account, expired, showApplications, showItems }) {
  const section = new Section({
    id: 'lots',
    title: account.role === 'admin' ? 'console.lots.title_all' : 'console.lots.title',
    async load() {
      const lots = await api('GET', '/lots?limit=1000');
      return account.role === 'admin' ? lots : lots.filter((lot) => lot.auctioneer_id === account.id);
    },
    expired,
    draw(into, lots) {
      into.append(
        dataTable({
          caption: 'console.lots.caption',
          key: (lot) => lot.id,
          empty: 'console.lots.none',
          rows: lots,
          columns: [
            { label: 'console.lots.lot', cell: (lot) => lot.title },
            { label: 'console.lots.state', cell: stateCell },
            { label: 'console.lots.starts', cell: (lot) => formatTime(lot.starts_at) },
            { label: 'console.lots.deadline', cell: (lot) => formatTime(lot.deadline) },
            {
              label: 'console.lots.price',
              class: 'amount',
              cell: (lot) =>
                lot.price === null
                  ? t('console.lots.start_price', { amount: formatMoney(lot.start_price, lot.currency) })
                  : formatMoney(lot.price, lot.currency),
            },
            { label: 'console.lots.bids', class: 'amount', cell: (lot) => String(lot.bid_count) },
            { label: 'console.lots.actions', cell: actions },
          ],
        }),
      );
    },
  });

  function stateCell(lot) {
    return el(
      'div',
      null,
      badge('state', lot.state),
      lot.result ? el('div', { class: 'small' }, t(`result.${lot.result}`)) : null,
    );
  }

  function actions(lot) {
    const buttons = [];
    if (lot.state === 'draft') {
      buttons.push(el('button', { type: 'button', onclick: () => publish(lot) }, t('console.lots.publish')));
    } else {
      buttons.push(
        el('a', { class: 'button secondary', href: `/console/lots/${lot.id}` }, t('console.lots.monitor')),
      );
    }
    buttons.push(
      el(
        'button',
        { type: 'button', class: 'secondary', onclick: () => showApplications(lot) },
        t('console.lots.applications'),
      ),
      el('button', { type: 'button', class: 'secondary', onclick: () => showItems(lot) }, t('console.lots.items')),
    );
    return el('div', { class: 'form-actions' }, buttons);
  }

  async function publish(lot) {
    section.message.clear();
    try {
      await api('POST', `/lots/${lot.id}/publish`);
      section.message.done('console.lots.published', { title: lot.title });
      await section.refresh();
    } catch (error) {
      section.message.error(error);
    }
  }

  return section;
}
