// The client's state machine against a fake socket and fake time.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { BidRejectedError, BidroomClient, CommandError, ConnectionClosedError } from '../src/index.js';
import { FakeTime, fakeWebSocketClass, flush } from './support/fake.js';
import { bidEvent, snapshotAt } from './support/messages.js';

const welcome = { type: 'welcome', account_id: 41, role: 'bidder', server_time_ms: 1_000_000 };

function setup(options = {}) {
  const time = new FakeTime();
  const { FakeSocket, sockets } = fakeWebSocketClass();
  const client = new BidroomClient({
    url: 'ws://bidroom.test/ws',
    token: 'T',
    WebSocket: /** @type {any} */ (FakeSocket),
    now: time.now,
    timers: time.timers,
    environment: null,
    backoff: { initialDelayMs: 1000, maxDelayMs: 8000, random: () => 0.5 },
    ...options,
  });
  /** @type {import('../src/index.js').ConnectionStatus[]} */
  const states = [];
  client.on('connection', (status) => states.push(status));
  const socket = () => sockets[sockets.length - 1];
  /** Opens the latest socket and welcomes it. */
  async function welcomeLatest() {
    socket().open();
    await flush();
    socket().receive(welcome);
  }
  return { time, client, sockets, socket, states, welcomeLatest };
}

/** Answers every ping the socket got so far (with the server at local time + offset). */
function answerPings(socket, time, offsetMs = 0) {
  for (const ping of socket.sentOfType('ping').filter((ping) => !ping.answered)) {
    ping.answered = true;
    socket.receive({ type: 'pong', t: ping.t, server_time_ms: time.nowMs + offsetMs, req: ping.req });
  }
}

test('auth is the first message, and the welcome makes the client connected', async () => {
  const { client, socket, states, welcomeLatest } = setup();
  const welcomes = [];
  client.on('welcome', (message) => welcomes.push(message));
  client.connect();
  assert.deepEqual(states.map((status) => status.state), ['connecting']);
  assert.deepEqual(socket().protocols, ['bidroom.v1.json']);
  await welcomeLatest();
  assert.deepEqual(socket().sent[0], { type: 'auth', token: 'T' });
  assert.deepEqual(welcomes, [welcome]);
  assert.equal(client.state, 'connected');
  assert.equal(socket().sentOfType('ping').length, 1, 'a first ping for the clock');
});

test('a dropped socket is retried after the backoff delay, and rooms and bids come back', async () => {
  const { time, client, sockets, socket, states, welcomeLatest } = setup();
  client.connect();
  await welcomeLatest();
  socket().serverClose(1006);
  const reconnecting = states[states.length - 1];
  assert.equal(reconnecting.state, 'reconnecting');
  assert.equal(reconnecting.code, 1006);
  assert.equal(reconnecting.delay_ms, 500, 'half of the first ceiling (random = 0.5)');
  time.advance(499);
  assert.equal(sockets.length, 1);
  time.advance(1);
  assert.equal(sockets.length, 2);
  socket().serverClose(1006);
  assert.equal(states[states.length - 1].delay_ms, 1000, 'the ceiling doubled');
  time.advance(1000);
  await welcomeLatest();
  assert.equal(client.state, 'connected');
  socket().serverClose(1001);
  assert.equal(states[states.length - 1].delay_ms, 500, 'a welcome resets the backoff');
});

test('4401 with a fixed token closes the client for good', async () => {
  const { time, client, sockets, socket, states } = setup();
  client.connect();
  const bid = client.bid(7, '1000.00');
  socket().open();
  await flush();
  socket().serverClose(4401, 'invalid or expired token');
  assert.deepEqual(states[states.length - 1], { state: 'closed', code: 4401, reason: 'invalid or expired token' });
  await assert.rejects(bid, (error) => error instanceof ConnectionClosedError && error.code === 4401);
  time.advance(120_000);
  assert.equal(sockets.length, 1);
});

test('4401 with a token function fetches the token anew once', async () => {
  let calls = 0;
  const { time, client, sockets, socket, states } = setup({
    token: async () => {
      calls += 1;
      return `T${calls}`;
    },
  });
  client.connect();
  socket().open();
  await flush();
  assert.deepEqual(socket().sent[0], { type: 'auth', token: 'T1' });
  socket().serverClose(4401);
  assert.equal(sockets.length, 2, 'a new socket at once');
  socket().open();
  await flush();
  assert.deepEqual(socket().sent[0], { type: 'auth', token: 'T2' });
  socket().serverClose(4401);
  assert.equal(states[states.length - 1].state, 'closed');
  time.advance(120_000);
  assert.equal(sockets.length, 2);
});

test('req ids are unique and bids are answered by req', async () => {
  const { client, socket, welcomeLatest } = setup();
  client.connect();
  await welcomeLatest();
  const first = client.bid(7, '1000.00');
  const second = client.bid('7', '1100.00');
  const [a, b] = socket().sentOfType('bid');
  assert.notEqual(a.req, b.req);
  assert.equal(b.lot, '7', 'the lot goes back as given');
  socket().receive({ type: 'rejected', req: b.req, lot: 7, code: 'too_low', message: 'too low', min_next: '1200.00' });
  socket().receive({ type: 'accepted', req: a.req, lot: 7, seq: 4, amount: '1000.00', bidder: '0427', at_ms: 1, deadline_ms: 2 });
  assert.equal((await first).seq, 4);
  await assert.rejects(second, (error) => {
    assert.ok(error instanceof BidRejectedError && error instanceof CommandError);
    assert.equal(error.code, 'too_low');
    assert.equal(error.min_next, '1200.00');
    assert.equal(error.message, 'too low');
    return true;
  });
});

test('a bid amount must be a decimal string', async () => {
  const { client } = setup();
  await assert.rejects(client.bid(7, /** @type {any} */ (1000)), TypeError);
  await assert.rejects(client.bid(7, '1,000'), TypeError);
  await assert.rejects(client.bid(/** @type {any} */ (null), '1000'), TypeError);
});

test('a bid in flight when the socket drops is sent again with the same req', async () => {
  const { time, client, socket, welcomeLatest } = setup();
  client.connect();
  await welcomeLatest();
  const bid = client.bid(7, '1000.00');
  const sent = socket().sentOfType('bid')[0];
  socket().serverClose(1006);
  time.advance(10_000);
  await welcomeLatest();
  const resent = socket().sentOfType('bid');
  assert.equal(resent.length, 1);
  assert.deepEqual(resent[0], sent);
  socket().receive({ type: 'accepted', req: sent.req, lot: 7, seq: 1, amount: '1000.00', bidder: '0427', at_ms: 1, deadline_ms: 2 });
  assert.equal((await bid).req, sent.req);
});

test('a command in flight when the socket drops fails; one not yet sent goes out later', async () => {
  const { time, client, socket, welcomeLatest } = setup();
  client.connect();
  await welcomeLatest();
  const pause = client.pause(7, 'a question');
  socket().serverClose(1006);
  await assert.rejects(pause, (error) => error instanceof CommandError && error.code === 'connection_lost');
  const announce = client.announce(7, 'hello');
  time.advance(10_000);
  await welcomeLatest();
  const [sent] = socket().sentOfType('announce');
  assert.equal(sent.text, 'hello');
  socket().receive({ type: 'announcement', lot: 7, seq: 3, text: 'hello', req: sent.req });
  assert.equal((await announce).seq, 3);
});

test('a forbidden command rejects with CommandError', async () => {
  const { client, socket, welcomeLatest } = setup();
  client.connect();
  await welcomeLatest();
  const cancel = client.cancel(7);
  const [sent] = socket().sentOfType('cancel');
  socket().receive({ type: 'error', code: 'forbidden', message: 'no', req: sent.req });
  await assert.rejects(cancel, (error) => error instanceof CommandError && error.code === 'forbidden');
});

test('events are applied in order once; a gap re-joins with since_seq and the replay fills it', async () => {
  const { client, socket, welcomeLatest, time } = setup();
  const room = client.join(7);
  client.connect();
  await welcomeLatest();
  const [join] = socket().sentOfType('join');
  assert.equal(join.since_seq, undefined);
  const seen = [];
  const resynced = [];
  room.on('bid', (event) => seen.push(event.seq));
  room.on('resynced', (event) => resynced.push(event));
  socket().receive(snapshotAt(3));
  assert.equal(room.status, 'live');
  socket().receive(bidEvent(4, '1000.00'));
  socket().receive(bidEvent(4, '1000.00'));
  socket().receive(bidEvent(3, '900.00'));
  socket().receive(bidEvent(6, '1200.00'));
  const rejoin = socket().sentOfType('join')[1];
  assert.deepEqual({ lot: rejoin.lot, since_seq: rejoin.since_seq }, { lot: 7, since_seq: 4 });
  const pingAfter = socket().sent[socket().sent.indexOf(rejoin) + 1];
  assert.equal(pingAfter.type, 'ping', 'a ping right after the join marks the replay end');
  socket().receive(bidEvent(7, '1300.00'));
  socket().receive(bidEvent(5, '1100.00'));
  socket().receive(bidEvent(6, '1200.00'));
  socket().receive(bidEvent(7, '1300.00'));
  answerPings(socket(), time);
  socket().receive(bidEvent(7, '1300.00'));
  socket().receive(bidEvent(8, '1400.00'));
  assert.deepEqual(seen, [4, 5, 6, 7, 8]);
  assert.deepEqual(resynced, [{ lot: 7, via: 'replay', seq: 7, cause: 'gap' }]);
  assert.equal(room.view?.price, '1400.00');
  assert.equal(room.view?.min_next, '1500.00');
});

test('after a reconnect each room resumes from its last seq, by replay or by snapshot', async () => {
  const { client, socket, welcomeLatest, time } = setup();
  client.connect();
  await welcomeLatest();
  const replayed = client.join(7);
  const snapshotted = client.join(8);
  socket().receive(snapshotAt(3));
  socket().receive(snapshotAt(10, { lot: 8 }));
  const resynced = [];
  const seen = [];
  for (const room of [replayed, snapshotted]) {
    room.on('resynced', (event) => resynced.push(event));
    room.on('bid', (event) => seen.push([event.lot, event.seq]));
  }
  socket().serverClose(1006);
  assert.equal(replayed.status, 'disconnected');
  time.advance(10_000);
  await welcomeLatest();
  const joins = socket().sentOfType('join');
  assert.deepEqual(joins.map((join) => [join.lot, join.since_seq]), [[7, 3], [8, 10]]);
  socket().receive(bidEvent(4, '1000.00'));
  socket().receive(snapshotAt(2000, { lot: 8 }));
  socket().receive({ ...bidEvent(2001, '5000.00'), lot: 8 });
  answerPings(socket(), time);
  assert.deepEqual(seen, [[7, 4], [8, 2001]]);
  assert.deepEqual(resynced, [
    { lot: 7, via: 'replay', seq: 4, cause: 'reconnect' },
    { lot: 8, via: 'snapshot', seq: 2001, cause: 'reconnect' },
  ]);
});

test('a snapshot the server sends unasked (the member lagged) resynchronises the room', async () => {
  const { client, socket, welcomeLatest } = setup();
  client.connect();
  await welcomeLatest();
  const room = client.join(7);
  socket().receive(snapshotAt(3));
  const resynced = [];
  room.on('resynced', (event) => resynced.push(event));
  socket().receive(snapshotAt(3000));
  assert.deepEqual(resynced, [{ lot: 7, via: 'snapshot', seq: 3000, cause: 'lagged' }]);
});

test('a refused join fails the room; leaving stops its events', async () => {
  const { client, socket, welcomeLatest } = setup();
  client.connect();
  await welcomeLatest();
  const missing = client.join(99);
  const errors = [];
  missing.on('error', (error) => errors.push(error.code));
  const [join] = socket().sentOfType('join');
  socket().receive({ type: 'error', code: 'not_found', message: 'no such lot', req: join.req });
  assert.deepEqual(errors, ['not_found']);
  assert.equal(missing.status, 'failed');
  assert.equal(client.room(99), undefined);

  const room = client.join(7);
  socket().receive(snapshotAt(1));
  const seen = [];
  room.on('bid', (event) => seen.push(event.seq));
  room.leave();
  assert.equal(socket().sentOfType('leave').length, 1);
  socket().receive(bidEvent(2, '1000.00'));
  assert.deepEqual(seen, []);
});

test('a join refused as rate_limited keeps the room and is sent again a second later', async () => {
  const { time, client, socket, welcomeLatest } = setup({ heartbeatIntervalMs: 60_000, idleTimeoutMs: 120_000 });
  client.connect();
  await welcomeLatest();
  const room = client.join(7);
  const errors = [];
  room.on('error', (error) => errors.push(error.code));
  const [join] = socket().sentOfType('join');
  socket().receive({ type: 'error', code: 'rate_limited', message: 'too many joins', req: join.req });
  assert.deepEqual(errors, []);
  assert.equal(client.room(7), room);
  time.advance(999);
  assert.equal(socket().sentOfType('join').length, 1);
  time.advance(1);
  const joins = socket().sentOfType('join');
  assert.equal(joins.length, 2);
  socket().receive({ ...snapshotAt(4), req: joins[1].req });
  assert.equal(room.view?.seq, 4);
});

test('a socket that hears nothing is closed as dead and replaced', async () => {
  const { time, client, sockets, socket, states, welcomeLatest } = setup({ heartbeatIntervalMs: 1000, idleTimeoutMs: 2500 });
  client.connect();
  await welcomeLatest();
  const first = socket();
  time.advance(2999);
  assert.equal(first.closed, null);
  assert.ok(first.sentOfType('ping').length >= 3);
  time.advance(1);
  assert.ok(first.closed, 'closed after three silent seconds');
  assert.equal(states[states.length - 1].state, 'reconnecting');
  assert.equal(states[states.length - 1].code, 4000);
  time.advance(1000);
  assert.equal(sockets.length, 2);
});

test('the clock offset comes from the fastest pong', async () => {
  const { time, client, socket } = setup();
  client.connect();
  socket().open();
  await flush();
  time.advance(500);
  socket().receive(welcome);
  assert.equal(client.clockOffsetMs, -250, 'from auth and welcome: a 500 ms round trip');
  for (const rtt of [80, 10, 40]) {
    client.handleMessage({ type: 'pong', server_time_ms: 0, req: 'not ours' });
    const req = /** @type {any} */ (client).sendPing(null);
    time.advance(rtt);
    socket().receive({ type: 'pong', server_time_ms: time.nowMs - rtt / 2 + 7000 + (rtt === 10 ? 0 : 300), req });
  }
  assert.equal(client.clockOffsetMs, 7000);
  assert.equal(client.serverNow(), time.nowMs + 7000);
});

test('offline waits for online; a tab coming back skips the rest of the backoff', async () => {
  const environment = Object.assign(new EventTarget(), {
    navigator: { onLine: true },
    document: Object.assign(new EventTarget(), { visibilityState: 'visible' }),
  });
  const { time, client, sockets, states, welcomeLatest } = setup({ environment, backoff: { initialDelayMs: 60_000, maxDelayMs: 60_000, random: () => 0.9 } });
  client.connect();
  await welcomeLatest();
  environment.navigator.onLine = false;
  environment.dispatchEvent(new Event('offline'));
  assert.ok(sockets[0].closed);
  assert.equal(states[states.length - 1].offline, true);
  time.advance(600_000);
  assert.equal(sockets.length, 1, 'no retries while offline');
  environment.navigator.onLine = true;
  environment.dispatchEvent(new Event('online'));
  assert.equal(sockets.length, 2, 'online retries at once');
  sockets[1].serverClose(1006);
  assert.equal(states[states.length - 1].delay_ms, 54_000);
  environment.document.dispatchEvent(new Event('visibilitychange'));
  assert.equal(sockets.length, 3, 'visible: retried at once');
  client.close();
  assert.equal(states[states.length - 1].state, 'closed');
  environment.dispatchEvent(new Event('online'));
  assert.equal(sockets.length, 3, 'a closed client stops listening');
});

test('close() rejects what waits and opens nothing more', async () => {
  const { time, client, sockets, socket, welcomeLatest } = setup();
  client.connect();
  await welcomeLatest();
  const bid = client.bid(7, '1000.00');
  client.close();
  await assert.rejects(bid, ConnectionClosedError);
  assert.ok(socket().closed);
  time.advance(120_000);
  assert.equal(sockets.length, 1);
  await assert.rejects(client.bid(7, '1000.00'), ConnectionClosedError);
});
