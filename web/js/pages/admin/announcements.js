// Announcements (公告) submitted for review: read in full, then approved (public from
// then on) or returned to their author with a reason.

import { api } from '../../api.js';
import { el } from '../../dom.js';
import { formatTime } from '../../format.js';
import { t } from '../../i18n.js';
import { openDialog } from '../../parts/dialog.js';
import { InputProblem, field, value } from '../../parts/form.js';
import { Section } from '../../parts/section.js';
import { badge, dataTable } from '../../parts/table.js';

const REASON_CHARS = 500;

export function announcementsSection({ expired }) {
  const section = new Section({
    id: 'announcements',
    title: 'admin.announcements.title',
    load: () => api('GET', '/announcements/review?status=submitted&limit=200'),
    expired,
    draw(into, list) {
      into.append(
        dataTable({
          caption: 'admin.announcements.caption',
          key: (row) => row.id,
          empty: 'admin.announcements.none',
          rows: list,
          columns: [
            { label: 'admin.announcements.kind', cell: (row) => badge('announcement.kind', row.kind) },
            { label: 'admin.announcements.lot', cell: (row) => el('a', { href: `/lots/${row.lot_id}` }, t('admin.lot_number', { id: row.lot_id })) },
            { label: 'admin.announcements.heading', cell: (row) => row.title },
            { label: 'admin.announcements.submitted', cell: (row) => formatTime(row.updated_at) },
            { label: 'admin.actions', cell: actions },
          ],
        }),
      );
    },
  });

  function actions(row) {
    return el(
      'div',
      { class: 'form-actions' },
      el('button', { type: 'button', onclick: () => approve(row) }, t('admin.announcements.read_approve')),
      el('button', { type: 'button', class: 'danger', onclick: () => sendBack(row) }, t('admin.announcements.return')),
    );
  }

  const text = (row) => [
    el('h3', null, row.title),
    el('pre', { class: 'announcement-body' }, row.body),
  ];

  async function approve(row) {
    const done = await openDialog({
      title: 'admin.announcements.approve_title',
      body: [...text(row), el('p', null, t('admin.announcements.approve_explain'))],
      submit: 'admin.announcements.approve',
      action: () => api('POST', `/announcements/${row.id}/approve`),
    });
    if (done) {
      section.message.done('admin.announcements.approved', { title: row.title });
      await section.refresh();
    }
  }

  async function sendBack(row) {
    const done = await openDialog({
      title: 'admin.announcements.return_title',
      body: [
        ...text(row),
        field({ name: 'reason', label: 'admin.announcements.reason', control: el('textarea', { maxlength: REASON_CHARS }) }),
      ],
      submit: 'admin.announcements.return',
      danger: true,
      async action(form) {
        const reason = value(form, 'reason');
        if (!reason) throw new InputProblem('reason', 'admin.announcements.reason_required');
        if ([...reason].length > REASON_CHARS) {
          throw new InputProblem('reason', 'admin.announcements.reason_long', { max: REASON_CHARS });
        }
        return api('POST', `/announcements/${row.id}/return`, { body: { reason } });
      },
    });
    if (done) {
      section.message.done('admin.announcements.returned', { title: row.title });
      await section.refresh();
    }
  }

  return section;
}
