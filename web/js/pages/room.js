// `/lots/{id}` and `/console/lots/{id}`: the live room. One page for bidders, watchers and
// monitors; the snapshot's `you` says which. Everything drawn comes from the client's room
// view (snapshot + events), so a resume by replay or by snapshot draws the same page.

import { BidroomClient, BidRejectedError, CommandError } from '/assets/client-js/index.js';
import { ApiError, api, errorMessage } from '../api.js';
import { append, el, fill } from '../dom.js';
import { chineseCapital, formatClock, formatCountdown, formatMoney, formatTime } from '../format.js';
import { has, loadStrings, t, translate } from '../i18n.js';
import { pageStatus, renderHeader } from '../layout.js';
import { moneyString, parseMoney } from '../money.js';
import { session } from '../session.js';
import { checkAmount, incrementsAbove, needsConfirmation, quickBids } from '../room/bidding.js';
import { confirmDialog } from '../room/confirm.js';
import { saveDocument } from '../parts/document.js';
import { historyTable } from '../room/history.js';
import { termsList } from '../room/terms.js';
import { lotItemsCard } from '../room/items.js';
import { monitorPanel } from '../room/monitor.js';

const lotId = decodeURIComponent(location.pathname.split('/').pop());
const page = {
  lot: null,
  client: null,
  room: null,
  connection: { state: 'connecting' },
  resumed: null,
  /** Room happenings for the log, kept as keys so a language switch redraws them. */
  log: [],
  /** My last bid's outcome or a check's problem: {kind, key, params}. */
  feedback: null,
  bidding: false,
  statusText: '',
  bidTimes: new Map(),
};
const nodes = {};

async function main() {
  await loadStrings('room');
  renderHeader(location.pathname.startsWith('/console') ? 'console' : 'lots');
  buildSkeleton();
  translate(document);
  try {
    page.lot = await api('GET', `/lots/${encodeURIComponent(lotId)}`);
  } catch (error) {
    nodes.title.textContent = t('room.not_found_title');
    pageStatus(error instanceof ApiError && error.status === 404 ? t('room.not_found') : errorMessage(error), 'error');
    return;
  }
  document.title = `${page.lot.title} · bidroom`;
  // Drawn once (a package may list 2,000 items), again only for a language switch.
  const drawItems = await lotItemsCard(nodes.items, page.lot.id);
  document.addEventListener('languagechange', drawItems);
  document.addEventListener('languagechange', drawAll);
  if (!session()) {
    drawAll();
    return;
  }
  connect();
  drawAll();
  setInterval(tick, 250);
}

function buildSkeleton() {
  const main = document.getElementById('main');
  nodes.title = el('h1', { id: 'lot-title' }, t('common.loading'));
  nodes.badges = el('div', { class: 'room-badges' });
  nodes.connection = el('span', { id: 'connection', class: 'badge', role: 'status', 'aria-live': 'polite' });
  nodes.price = el('section', { class: 'card', id: 'price-card', 'aria-labelledby': 'price-title' });
  nodes.clock = el('section', { class: 'card', id: 'clock-card', 'aria-labelledby': 'clock-title' });
  nodes.status = el('p', { id: 'my-status', class: 'status-line', role: 'status', 'aria-live': 'polite' });
  nodes.feedback = el('div', { id: 'bid-feedback', role: 'alert', 'aria-live': 'assertive' });
  nodes.bid = el('div', { id: 'bid-controls' });
  nodes.you = el(
    'section',
    { class: 'card', id: 'you-card', 'aria-labelledby': 'you-title' },
    el('h2', { id: 'you-title', 'data-i18n': 'room.you.title' }),
    nodes.status,
    nodes.bid,
    nodes.feedback,
  );
  nodes.result = el('section', { class: 'card', id: 'result-card', hidden: true, 'aria-live': 'polite' });
  nodes.monitor = el('section', { class: 'card', id: 'monitor-card', hidden: true, 'aria-labelledby': 'monitor-title' });
  nodes.log = el('ol', { class: 'event-log', id: 'event-log', 'aria-live': 'polite' });
  nodes.history = el('div', { id: 'history' });
  nodes.terms = el('div', { id: 'terms' });
  nodes.items = el('section', { class: 'card', id: 'items-card', hidden: true, 'aria-labelledby': 'items-title' });
  main.append(
    el('div', { class: 'room-head' }, nodes.title, el('div', { class: 'row' }, nodes.badges, nodes.connection)),
    el(
      'div',
      { class: 'room-layout', id: 'room-layout' },
      el('div', null, nodes.price, nodes.clock, nodes.result, nodes.you, nodes.monitor),
      el(
        'div',
        null,
        el('section', { class: 'card', 'aria-labelledby': 'log-title' }, el('h2', { id: 'log-title', 'data-i18n': 'room.log.title' }), nodes.log),
        el('section', { class: 'card', 'aria-labelledby': 'history-title' }, el('h2', { id: 'history-title', 'data-i18n': 'room.history.title' }), nodes.history),
        el('section', { class: 'card', 'aria-labelledby': 'terms-title' }, el('h2', { id: 'terms-title', 'data-i18n': 'room.terms.title' }), nodes.terms),
        nodes.items,
      ),
    ),
  );
}

// ---------------------------------------------------------------------------------------
// The connection and the room's events

function connect() {
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const client = new BidroomClient({ url: `${scheme}://${location.host}/ws`, token: () => session()?.token ?? '' });
  page.client = client;
  client.on('connection', (status) => {
    page.connection = status;
    if (status.state !== 'connected') page.resumed = null;
    drawConnection();
    // Bidding waits for the connection: the buttons say so by being off.
    if (page.room?.view) drawYou(page.room.view);
    if (status.state === 'closed' && status.code === 4401) pageStatus(t('error.unauthorized'), 'error');
  });
  client.connect();
  const room = client.join(page.lot.id);
  page.room = room;
  room.on('snapshot', (snapshot) => {
    for (const bid of snapshot.recent_bids) page.bidTimes.set(bid.seq, bid.at_ms);
    drawAll();
  });
  room.on('bid', (bid) => {
    page.bidTimes.set(bid.seq, bid.at_ms);
    const previous = page.lastDeadline;
    if (previous !== undefined && bid.deadline_ms > previous) {
      addLog('room.log.extended', { time: formatClock(bid.deadline_ms), count: room.view.extensions }, bid.at_ms);
    }
    drawAll();
  });
  room.on('state', (event) => {
    const key =
      event.reason === 'recovery'
        ? 'room.log.recovery'
        : { open: 'room.log.opened', paused: 'room.log.paused', cancelled: 'room.log.cancelled' }[event.state];
    if (event.state === 'open' && page.wasPaused) addLog('room.log.resumed', {});
    else addLog(key, { reason: event.reason ?? '', time: formatClock(event.deadline_ms) });
    drawAll();
  });
  room.on('closed', (event) => {
    page.feedback = null;
    addLog(event.result === 'sold' ? 'room.log.sold' : 'room.log.unsold', {
      price: formatMoney(event.price, currency()),
      bidder: event.winner_bidder ?? '',
    });
    drawAll();
  });
  room.on('announcement', (event) => {
    addLog('room.log.announcement', { text: event.text }, undefined, 'announcement');
    drawAll();
  });
  room.on('presence', () => drawMonitor());
  room.on('resynced', (resync) => {
    page.resumed = resync.via;
    drawConnection();
    drawAll();
  });
  room.on('error', (error) => pageStatus(commandErrorText(error), 'error'));
}

function addLog(key, params, atMs, kind = 'event') {
  page.log.push({ key, params, at_ms: atMs ?? page.client.serverNow(), kind });
  if (page.log.length > 100) page.log.shift();
}

const currency = () => page.room?.view?.currency ?? page.lot.currency;

// ---------------------------------------------------------------------------------------
// Drawing

function drawAll() {
  translate(document);
  const lot = page.lot;
  const view = page.room?.view ?? null;
  nodes.title.textContent = lot.title;
  const state = view?.state ?? lot.state;
  fill(nodes.badges, el('span', { class: `badge ${state}`, id: 'lot-state' }, t(`state.${state}`)));
  drawConnection();
  drawPrice(view);
  drawClock(view);
  drawYou(view);
  drawResult(view);
  drawMonitor();
  document.getElementById('room-layout').classList.toggle('monitoring', isMonitor(view));
  drawLog();
  fill(nodes.history, 
    historyTable(view?.recent_bids ?? [], {
      currency: currency(),
      me: myNumber(view),
      monitor: isMonitor(view),
      leader: view?.leader ?? null,
      closed: state === 'closed',
    }),
  );
  fill(nodes.terms, 
    lot.description ? el('p', { class: 'description' }, lot.description) : null,
    termsList(lot),
  );
  if (view) {
    page.lastDeadline = view.deadline_ms;
    page.wasPaused = view.state === 'paused';
  }
}

const isMonitor = (view) => Boolean(view?.you && 'monitor' in view.you && view.you.monitor);
const myNumber = (view) => (view && !isMonitor(view) ? view.you.bidder_number ?? null : null);

function drawConnection() {
  if (!session()) {
    nodes.connection.hidden = true;
    return;
  }
  nodes.connection.hidden = false;
  const status = page.connection;
  let key = `room.connection.${status.state}`;
  let kind = status.state;
  if (status.state === 'connected' && page.resumed) {
    key = `room.connection.resumed_${page.resumed}`;
  }
  if (status.state === 'reconnecting' && status.offline) key = 'room.connection.offline';
  if (status.state === 'closed') kind = 'closed-conn';
  nodes.connection.className = `badge ${kind}`;
  nodes.connection.dataset.state = status.state;
  nodes.connection.textContent = t(key, { attempt: status.attempt ?? 1 });
}

function drawPrice(view) {
  const lot = page.lot;
  const price = view ? view.price : lot.price;
  const shown = price ?? lot.start_price;
  const cur = currency();
  const capital = cur === 'CNY' ? chineseCapital(shown) : null;
  const ended = ['closed', 'cancelled'].includes(view?.state ?? lot.state);
  fill(nodes.price, 
    el('h2', { id: 'price-title' }, t(price === null ? 'room.price.start' : ended ? 'room.price.final' : 'room.price.current')),
    el('p', { class: 'price-now', id: 'price' }, formatMoney(shown, cur)),
    capital ? el('p', { class: 'price-capital', id: 'price-capital', lang: 'zh-CN' }, `${t('room.price.capital')}人民币${capital}`) : null,
    el(
      'dl',
      { class: 'terms' },
      el('dt', null, t('room.price.leader')),
      el('dd', { id: 'leader' }, (view ? view.leader : lot.leader) ?? t('room.price.no_leader')),
      el('dt', null, t('room.price.increment')),
      el('dd', null, formatMoney(view?.increment ?? lot.increment, cur)),
      ...(ended
        ? []
        : [el('dt', null, t('room.price.min_next')), el('dd', { id: 'min-next' }, view ? formatMoney(view.min_next, cur) : '—')]),
    ),
  );
}

function remainingMs(view) {
  if (!view || !page.client) return null;
  if (view.state === 'paused') return view.remaining_ms;
  if (view.state === 'published') return Date.parse(page.lot.starts_at) - page.client.serverNow();
  return view.deadline_ms - page.client.serverNow();
}

function phaseNow(view, remaining) {
  if (view.state !== 'open' && view.state !== 'paused') return view.phase;
  return remaining !== null && remaining <= page.lot.extension_window_secs * 1000 ? 'timed' : 'free';
}

function drawClock(view) {
  const lot = page.lot;
  const children = [el('h2', { id: 'clock-title' }, t('room.clock.title'))];
  if (!view) {
    children.push(el('p', null, formatTime(lot.state === 'published' ? lot.starts_at : lot.deadline)));
  } else {
    const remaining = remainingMs(view);
    const state = view.state;
    let label;
    if (state === 'published') label = t('room.clock.starts_in');
    else if (state === 'paused') label = t('room.clock.paused');
    else if (state === 'open') label = t(`phase.${phaseNow(view, remaining)}`);
    else label = t(`state.${state}`);
    const counting = ['published', 'open', 'paused'].includes(state);
    const timed = state === 'open' && phaseNow(view, remaining) === 'timed';
    children.push(
      el(
        'div',
        { class: 'clock-line' },
        el('span', { id: 'phase', class: `badge ${timed ? 'paused' : state}` }, label),
        counting
          ? el('span', { id: 'countdown', class: `countdown${timed ? ' timed' : ''}`, role: 'timer', 'aria-live': 'off' }, formatCountdown(remaining ?? 0))
          : null,
      ),
      state === 'open' && remaining !== null && remaining <= 0 ? el('p', { class: 'muted' }, t('room.clock.closing')) : null,
      el(
        'p',
        { class: 'small muted', id: 'deadline' },
        state === 'published'
          ? t('room.clock.starts_at', { time: formatTime(lot.starts_at) })
          : t('room.clock.deadline', { time: formatTime(view.deadline_ms) }),
        ' · ',
        el('span', { id: 'extensions' }, t('room.clock.extensions', { count: view.extensions })),
      ),
      el('p', { class: 'small muted' }, t('room.clock.rule', { secs: lot.extension_window_secs })),
    );
  }
  fill(nodes.clock, ...children);
}

function tick() {
  const view = page.room?.view;
  if (!view) return;
  const countdown = document.getElementById('countdown');
  const remaining = remainingMs(view);
  if (countdown && remaining !== null) countdown.textContent = formatCountdown(remaining);
  const phase = document.getElementById('phase');
  if (phase && view.state === 'open') {
    const label = t(`phase.${phaseNow(view, remaining)}`);
    if (phase.textContent !== label) drawClock(view);
  }
  if (isMonitor(view)) drawRate();
}

// ---------------------------------------------------------------------------------------
// My standing and the bid controls

function statusKey(view) {
  if (!session()) return { key: 'room.you.signed_out' };
  if (!view) return { key: 'common.loading' };
  if (isMonitor(view)) return { key: 'room.you.monitor' };
  const you = view.you;
  if (you.bidder_number === null || you.bidder_number === undefined) {
    return { key: 'room.you.watching', params: { reason: t('room.reason.not_registered') } };
  }
  const number = you.bidder_number;
  if (view.state === 'closed') {
    if (view.result === 'sold' && view.winner_bidder === number) return { key: 'room.you.won', params: { number } };
    return { key: 'room.you.lost', params: { number } };
  }
  if (view.state === 'cancelled') return { key: 'room.you.cancelled', params: { number } };
  if (!you.eligible) return { key: 'room.you.not_eligible', params: { number, reason: reasonText(you.reason) } };
  if (view.leader === number) return { key: 'room.you.leading', params: { number } };
  if (view.recent_bids.some((bid) => bid.bidder === number)) return { key: 'room.you.outbid', params: { number } };
  if (view.state === 'published') return { key: 'room.you.waiting', params: { number } };
  if (view.state === 'paused') return { key: 'room.you.paused', params: { number } };
  return { key: 'room.you.eligible', params: { number } };
}

function reasonText(reason) {
  return has(`room.reason.${reason}`) ? t(`room.reason.${reason}`) : t('room.reason.unknown', { reason: reason ?? '' });
}

function drawYou(view) {
  const { key, params } = statusKey(view);
  const text = t(key, params);
  // Only a change is announced: rewriting the same words would repeat them to a reader.
  if (nodes.status.textContent !== text) nodes.status.textContent = text;
  nodes.status.dataset.status = key.split('.').pop();
  drawFeedback();
  fill(nodes.bid);
  // A monitor's standing is its panel; the bidder's card would only repeat it.
  nodes.you.hidden = isMonitor(view);
  if (!session()) {
    append(nodes.bid, el('a', { class: 'button', href: `/?next=${encodeURIComponent(location.pathname)}#sign-in` }, t('nav.sign_in')));
    return;
  }
  if (!view || isMonitor(view)) return;
  const you = view.you;
  if (!you.bidder_number || !you.eligible || ['closed', 'cancelled'].includes(view.state)) return;
  const open = view.state === 'open' && page.connection.state === 'connected';
  const cur = currency();
  const quick = quickBids(view).map(({ amount, steps }) =>
    el(
      'button',
      {
        type: 'button',
        class: 'quick-bid',
        disabled: !open || page.bidding,
        dataset: { amount: moneyString(amount) },
        onclick: () => placeBid(amount, false),
      },
      formatMoney(amount, cur),
      el('small', null, steps === 0n ? t('room.bid.minimum') : t('room.bid.plus_increments', { count: String(steps) })),
    ),
  );
  const mayMatch = you.priority_rank !== null && you.priority_rank !== undefined && view.price !== null && view.leader !== you.bidder_number;
  const input = el('input', {
    id: 'custom-amount',
    name: 'amount',
    inputmode: 'decimal',
    autocomplete: 'off',
    'aria-describedby': 'custom-amount-hint',
    value: page.customText ?? '',
    oninput: (event) => {
      page.customText = event.target.value;
    },
  });
  const form = el(
    'form',
    { id: 'custom-bid', novalidate: true },
    el('label', { for: 'custom-amount' }, t('room.bid.custom_label', { currency: cur })),
    el(
      'div',
      { class: 'row' },
      el('div', { class: 'grow' }, input),
      el('button', { type: 'submit', disabled: !open || page.bidding }, t('room.bid.submit')),
    ),
    el('p', { class: 'hint small muted', id: 'custom-amount-hint' }, t('room.bid.custom_hint', { increment: formatMoney(view.increment, cur) })),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const checked = checkAmount(input.value, view, { mayMatch });
    if (!checked.ok) {
      input.setAttribute('aria-invalid', 'true');
      page.feedback = { kind: 'error', key: `room.check.${checked.problem}`, params: checkParams(checked.params) };
      drawFeedback();
      input.focus();
      return;
    }
    input.removeAttribute('aria-invalid');
    placeBid(checked.amount, checked.match);
  });
  append(
    nodes.bid,
    el('h3', null, t('room.bid.quick')),
    el('div', { class: 'quick-bids' }, quick),
    mayMatch
      ? el('p', null, el('button', { type: 'button', class: 'secondary', id: 'match-bid', disabled: !open, onclick: () => placeBid(parseMoney(view.price), true) }, t('room.bid.match', { price: formatMoney(view.price, cur) })))
      : null,
    form,
  );
}

function checkParams(params = {}) {
  const cur = currency();
  const out = { ...params };
  if (params.min_next !== undefined) out.min_next = formatMoney(params.min_next, cur);
  if (params.increment !== undefined) out.increment = formatMoney(params.increment, cur);
  if (typeof params.below === 'bigint') out.below = formatMoney(params.below, cur);
  if (typeof params.above === 'bigint') out.above = formatMoney(params.above, cur);
  return out;
}

function drawFeedback() {
  const feedback = page.feedback;
  const text = feedback ? t(feedback.key, feedback.params) : '';
  nodes.feedback.className = feedback ? `message ${feedback.kind}` : 'message';
  nodes.feedback.dataset.code = feedback?.code ?? '';
  if (nodes.feedback.textContent !== text) nodes.feedback.textContent = text;
}

async function placeBid(amount, match) {
  const view = page.room.view;
  const cur = currency();
  page.feedback = null;
  drawFeedback();
  if (!match && needsConfirmation(amount, view)) {
    const { confirmed } = await confirmDialog({
      title: t('room.confirm.title'),
      body: t('room.confirm.body', {
        amount: formatMoney(amount, cur),
        min_next: formatMoney(view.min_next, cur),
        count: String(incrementsAbove(amount, view)),
      }),
      confirmLabel: t('room.confirm.submit', { amount: formatMoney(amount, cur) }),
    });
    if (!confirmed) return;
  }
  page.bidding = true;
  page.feedback = { kind: 'info', key: 'room.bid.sending', params: { amount: formatMoney(amount, cur) } };
  drawYou(page.room.view);
  try {
    const accepted = await page.client.bid(page.lot.id, moneyString(amount));
    page.feedback = { kind: 'good', key: 'room.bid.accepted', params: { amount: formatMoney(accepted.amount, cur) } };
    page.customText = '';
  } catch (error) {
    page.feedback = rejectionFeedback(error);
  } finally {
    page.bidding = false;
    drawYou(page.room.view);
  }
}

function rejectionFeedback(error) {
  if (error instanceof BidRejectedError) {
    const cur = currency();
    const key = has(`room.reject.${error.code}`) ? `room.reject.${error.code}` : 'room.reject.other';
    return {
      kind: 'error',
      key,
      code: error.code,
      params: {
        min_next: error.min_next ? formatMoney(error.min_next, cur) : '—',
        reason: reasonText(error.reason),
        message: error.message,
      },
    };
  }
  return { kind: 'error', key: 'room.reject.other', code: error?.code ?? 'unknown', params: { message: commandErrorText(error) } };
}

function commandErrorText(error) {
  if (error instanceof CommandError && has(`room.command_error.${error.code}`)) {
    return t(`room.command_error.${error.code}`, { message: error.message });
  }
  return error?.message ?? String(error);
}

// ---------------------------------------------------------------------------------------
// The close, the log, the monitor

function drawResult(view) {
  if (!view || !['closed', 'cancelled'].includes(view.state)) {
    nodes.result.hidden = true;
    return;
  }
  nodes.result.hidden = false;
  const cur = currency();
  const children = [el('h2', null, t('room.result.title'))];
  if (view.state === 'cancelled') {
    children.push(el('p', { id: 'result' }, t('room.result.cancelled')));
  } else if (view.result === 'sold') {
    children.push(el('p', { id: 'result' }, t('room.result.sold', { price: formatMoney(view.price, cur), bidder: view.winner_bidder ?? '—' })));
    if (cur === 'CNY' && view.price) children.push(el('p', { class: 'price-capital', lang: 'zh-CN' }, `人民币${chineseCapital(view.price)}`));
    const me = myNumber(view);
    if ((me !== null && me === view.winner_bidder) || isMonitor(view)) {
      const problem = el('p', { class: 'message error', role: 'alert' });
      children.push(
        el('p', null, me === view.winner_bidder ? t('room.result.next_steps') : null),
        el(
          'div',
          { class: 'form-actions' },
          el('button', { type: 'button', id: 'confirmation', onclick: () => downloadConfirmation(problem) }, t('room.result.confirmation')),
          me === view.winner_bidder ? el('a', { class: 'button secondary', href: '/me' }, t('room.result.settle')) : null,
        ),
        problem,
      );
    }
  } else {
    children.push(el('p', { id: 'result' }, t('room.result.unsold')));
  }
  fill(nodes.result, ...children);
}

/** The confirmation document (it needs the bearer token): saved as a file. */
async function downloadConfirmation(problem) {
  problem.textContent = '';
  try {
    await saveDocument(`/lots/${encodeURIComponent(page.lot.id)}/settlement/confirmation`, `confirmation-lot-${page.lot.id}.html`);
  } catch (error) {
    problem.textContent = errorMessage(error);
  }
}

function drawLog() {
  const entries = [...page.log].reverse();
  fill(nodes.log, 
    ...(entries.length
      ? entries.map((entry) =>
          el('li', { class: entry.kind === 'announcement' ? 'announcement' : null, dataset: { key: entry.key } },
            el('span', { class: 'small muted' }, `${formatClock(entry.at_ms)} `),
            t(entry.key, entry.params)),
        )
      : [el('li', { class: 'muted' }, t('room.log.empty'))]),
  );
}

function drawMonitor() {
  const view = page.room?.view;
  if (!isMonitor(view)) {
    nodes.monitor.hidden = true;
    return;
  }
  nodes.monitor.hidden = false;
  monitorPanel(nodes.monitor, {
    view,
    client: page.client,
    lot: page.lot,
    bidsPerMinute: bidsPerMinute(),
    onError: (error) => pageStatus(commandErrorText(error), 'error'),
    onDone: (key) => pageStatus(t(key), 'info'),
  });
}

function bidsPerMinute() {
  const now = page.client.serverNow();
  let count = 0;
  for (const at of page.bidTimes.values()) if (now - at <= 60_000) count += 1;
  return count;
}

function drawRate() {
  const rate = document.getElementById('bids-per-minute');
  if (rate) rate.textContent = String(bidsPerMinute());
}

main().catch((error) => pageStatus(errorMessage(error), 'error'));
