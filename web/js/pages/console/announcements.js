// The auctioneer's announcements (公告): drafted for one of its lots, changed while a
// draft (or once returned, with the reviewer's reason shown), and submitted to an admin's
// review; approved ones are public.

import { api } from '../../api.js';
import { el } from '../../dom.js';
import { formatTime } from '../../format.js';
import { t } from '../../i18n.js';
import { openDialog } from '../../parts/dialog.js';
import { InputProblem, field, select, value } from '../../parts/form.js';
import { Section } from '../../parts/section.js';
import { badge, dataTable } from '../../parts/table.js';

const TITLE_CHARS = 200;
const BODY_CHARS = 20000;
const KINDS = ['auction', 'correction', 'termination', 'result'];

export function announcementsSection({ account, expired }) {
  let lots = [];
  const section = new Section({
    id: 'announcements',
    title: 'console.announcements.title',
    async load() {
      const [list, all] = await Promise.all([
        api('GET', '/announcements/review?limit=200'),
        api('GET', '/lots?limit=1000'),
      ]);
      lots = account.role === 'admin' ? all : all.filter((lot) => lot.auctioneer_id === account.id);
      return list;
    },
    expired,
    draw(into, list) {
      const titles = new Map(lots.map((lot) => [lot.id, lot.title]));
      into.append(
        el('div', { class: 'form-actions' },
          el('button', { type: 'button', onclick: () => write(null), disabled: lots.length === 0 }, t('console.announcements.new'))),
        dataTable({
          caption: 'console.announcements.caption',
          key: (row) => row.id,
          empty: 'console.announcements.none',
          rows: list,
          columns: [
            { label: 'console.announcements.kind', cell: (row) => badge('announcement.kind', row.kind) },
            { label: 'console.announcements.lot', cell: (row) => titles.get(row.lot_id) ?? `#${row.lot_id}` },
            { label: 'console.announcements.heading', cell: (row) => row.title },
            { label: 'console.announcements.status', cell: statusCell },
            { label: 'console.announcements.updated', cell: (row) => formatTime(row.updated_at) },
            { label: 'console.lots.actions', cell: actions },
          ],
        }),
      );
    },
  });

  function statusCell(row) {
    const cell = el('div', null, badge('announcement.status', row.status));
    if (row.status === 'returned' && row.reason) {
      cell.append(el('div', { class: 'small' }, t('console.announcements.returned_because', { reason: row.reason })));
    }
    return cell;
  }

  function actions(row) {
    if (row.status !== 'draft' && row.status !== 'returned') return '—';
    return el(
      'div',
      { class: 'form-actions' },
      el('button', { type: 'button', class: 'secondary', onclick: () => write(row) }, t('console.announcements.edit')),
      el('button', { type: 'button', onclick: () => submit(row) }, t('console.announcements.submit')),
    );
  }

  /** A new announcement (`row` null) or a change to a draft. */
  async function write(row) {
    const body = [];
    if (!row) {
      body.push(
        field({
          name: 'lot_id',
          label: 'console.announcements.lot',
          control: el('select', null, lots.map((lot) => el('option', { value: String(lot.id) }, lot.title))),
        }),
        field({
          name: 'kind',
          label: 'console.announcements.kind',
          control: select(KINDS.map((kind) => [kind, `announcement.kind.${kind}`])),
        }),
      );
    }
    body.push(
      field({ name: 'title', label: 'console.announcements.heading', attrs: { maxlength: TITLE_CHARS, value: row?.title ?? '' } }),
      field({
        name: 'body',
        label: 'console.announcements.body',
        control: el('textarea', { maxlength: BODY_CHARS, rows: 10 }, row?.body ?? ''),
      }),
    );
    const done = await openDialog({
      title: row ? 'console.announcements.edit_title' : 'console.announcements.new_title',
      body,
      submit: 'common.save',
      async action(form) {
        const title = value(form, 'title');
        const text = value(form, 'body');
        if (!title || [...title].length > TITLE_CHARS) {
          throw new InputProblem('title', 'console.announcements.title_invalid', { max: TITLE_CHARS });
        }
        if (!text || [...text].length > BODY_CHARS) {
          throw new InputProblem('body', 'console.announcements.body_invalid', { max: BODY_CHARS });
        }
        if (row) return api('PUT', `/announcements/${row.id}`, { body: { title, body: text } });
        return api('POST', '/announcements', {
          body: { lot_id: Number(value(form, 'lot_id')), kind: value(form, 'kind'), title, body: text },
        });
      },
    });
    if (done) {
      section.message.done('console.announcements.saved', { title: done.title });
      await section.refresh();
    }
  }

  async function submit(row) {
    const done = await openDialog({
      title: 'console.announcements.submit_title',
      body: [el('p', null, t('console.announcements.submit_explain', { title: row.title }))],
      submit: 'console.announcements.submit',
      action: () => api('POST', `/announcements/${row.id}/submit`),
    });
    if (done) {
      section.message.done('console.announcements.submitted', { title: row.title });
      await section.refresh();
    }
  }

  return section;
}
