// The monitor's panel (the lot's auctioneer and admins): presence, bids per minute, and
// the room's controls. Built once and then only updated, so a reason or an announcement
// being typed survives the presence updates that arrive every second.

import { el } from '../dom.js';
import { lang, t } from '../i18n.js';
import { confirmDialog } from './confirm.js';

const TEXT_CHARS = 500;

/**
 * @param {HTMLElement} container
 * @param {{view: object, client: object, lot: object, bidsPerMinute: number,
 *          onError: (error: unknown) => void, onDone: (key: string) => void}} context
 */
export function monitorPanel(container, context) {
  if (container.dataset.lang !== lang()) build(container, context);
  update(container, context);
}

function build(container, context) {
  const kept = {
    reason: container.querySelector('#control-reason')?.value ?? '',
    announcement: container.querySelector('#announce-text')?.value ?? '',
  };
  container.dataset.lang = lang();
  const { client, lot } = context;
  const reason = el('input', { id: 'control-reason', maxlength: TEXT_CHARS, value: kept.reason, autocomplete: 'off' });
  const run = async (button, action, doneKey) => {
    button.disabled = true;
    try {
      await action();
      context.onDone(doneKey);
    } catch (error) {
      context.onError(error);
    } finally {
      button.disabled = false;
      update(container, context);
    }
  };
  const pause = el('button', { type: 'button', id: 'pause', class: 'secondary' }, t('room.monitor.pause'));
  const resume = el('button', { type: 'button', id: 'resume', class: 'secondary' }, t('room.monitor.resume'));
  const cancel = el('button', { type: 'button', id: 'cancel-lot', class: 'danger' }, t('room.monitor.cancel'));
  pause.addEventListener('click', () =>
    run(pause, () => client.pause(lot.id, reason.value.trim() || undefined), 'room.monitor.paused'),
  );
  resume.addEventListener('click', () => run(resume, () => client.resume(lot.id), 'room.monitor.resumed'));
  cancel.addEventListener('click', async () => {
    const answer = await confirmDialog({
      title: t('room.monitor.cancel_title'),
      body: t('room.monitor.cancel_body', { title: lot.title }),
      confirmLabel: t('room.monitor.cancel_confirm'),
      danger: true,
      input: { label: t('room.monitor.cancel_reason'), required: true, maxlength: TEXT_CHARS },
    });
    if (answer.confirmed) run(cancel, () => client.cancel(lot.id, answer.text), 'room.monitor.cancelled');
  });
  const text = el('textarea', { id: 'announce-text', maxlength: TEXT_CHARS, rows: 2 });
  text.value = kept.announcement;
  const announceProblem = el('p', { class: 'message error', role: 'alert' });
  const announceForm = el(
    'form',
    { id: 'announce-form', novalidate: true },
    el('label', { for: 'announce-text' }, t('room.monitor.announce_label')),
    text,
    announceProblem,
    el('div', { class: 'form-actions' }, el('button', { type: 'submit', id: 'announce' }, t('room.monitor.announce'))),
  );
  announceForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const value = text.value.trim();
    announceProblem.textContent = value ? '' : t('room.monitor.announce_empty');
    if (!value) return;
    run(announceForm.querySelector('button'), async () => {
      await client.announce(lot.id, value);
      text.value = '';
    }, 'room.monitor.announced');
  });
  container.replaceChildren(
    el('h2', { id: 'monitor-title' }, t('room.monitor.title')),
    el('p', { class: 'small muted' }, t('room.you.monitor')),
    el(
      'div',
      { class: 'stats' },
      stat('members', t('room.monitor.members')),
      stat('bidders', t('room.monitor.bidders')),
      stat('bids-per-minute', t('room.monitor.bids_per_minute')),
    ),
    el('h3', null, t('room.monitor.controls')),
    el('div', { class: 'field' }, el('label', { for: 'control-reason' }, t('room.monitor.reason_label')), reason),
    el('div', { class: 'form-actions' }, pause, resume, cancel),
    el('hr'),
    announceForm,
  );
}

function stat(id, label) {
  return el('div', null, el('span', { class: 'small muted' }, label), el('strong', { id }, '—'));
}

function update(container, { view, bidsPerMinute }) {
  const set = (id, value) => {
    const node = container.querySelector(`#${id}`);
    if (node && node.textContent !== value) node.textContent = value;
  };
  set('members', view.presence ? String(view.presence.members) : '—');
  set('bidders', view.presence ? String(view.presence.bidders) : '—');
  set('bids-per-minute', String(bidsPerMinute));
  const live = ['open', 'paused', 'published'].includes(view.state);
  container.querySelector('#pause').disabled = view.state !== 'open';
  container.querySelector('#resume').disabled = view.state !== 'paused';
  container.querySelector('#cancel-lot').disabled = !live;
  container.querySelector('#announce').disabled = !live;
}
