// Every server message the Rust types produce (test/fixtures/server-messages.json, kept
// equal to them by the server's `tests/wire_fixture.rs`) has the shape index.d.ts
// declares, survives both codecs, and is handled by the client's dispatch.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';

import { decode, encode } from '@msgpack/msgpack';

import {
  BidroomClient,
  CLOSE_CODES,
  SERVER_MESSAGE_FIELDS,
  checkServerMessage,
  jsonCodec,
  msgpackCodec,
} from '../src/index.js';
import { FakeTime, fakeWebSocketClass, flush } from './support/fake.js';

const fixture = JSON.parse(readFileSync(new URL('./fixtures/server-messages.json', import.meta.url), 'utf8'));
/** @type {any[]} */
const messages = fixture.messages;
const REQ = 'c0ffee-1';

test('the fixture holds every message type the client knows, and only those', () => {
  const inFixture = new Set(messages.map((message) => message.type));
  assert.deepEqual([...inFixture].sort(), Object.keys(SERVER_MESSAGE_FIELDS).sort());
});

test('every fixture message has exactly the fields index.d.ts declares', () => {
  for (const message of messages) assert.deepEqual(checkServerMessage(message), [], JSON.stringify(message));
});

test('the shape check notices a missing, an extra or a mistyped field', () => {
  const bid = messages.find((message) => message.type === 'bid');
  const { price, ...missing } = bid;
  assert.ok(price);
  assert.notDeepEqual(checkServerMessage(missing), []);
  assert.notDeepEqual(checkServerMessage({ ...bid, colour: 'red' }), []);
  assert.notDeepEqual(checkServerMessage({ ...bid, amount: 1200 }), []);
  const snapshot = messages.find((message) => message.type === 'snapshot');
  assert.notDeepEqual(checkServerMessage({ ...snapshot, you: { ...snapshot.you, extra: 1 } }), []);
  assert.notDeepEqual(checkServerMessage({ type: 'dance' }), []);
});

test("the server's close codes are the client's", () => {
  for (const [name, code] of Object.entries(fixture.close_codes)) {
    assert.equal(CLOSE_CODES[/** @type {keyof typeof CLOSE_CODES} */ (name)], code, name);
  }
});

test('both codecs carry every message unchanged, money as strings', () => {
  const msgpack = msgpackCodec({ encode, decode });
  for (const message of messages) {
    assert.deepEqual(jsonCodec.decode(jsonCodec.encode(message)), message);
    const bytes = /** @type {Uint8Array} */ (msgpack.encode(message));
    const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
    assert.deepEqual(msgpack.decode(buffer), message);
  }
});

/** The route each message must take in a connected client that joined lot 7 and waits on REQ. */
function expectedRoute(message) {
  switch (message.type) {
    case 'welcome':
      return 'welcome';
    case 'left':
      return 'left';
    case 'pong':
      return message.req === REQ ? 'pong' : 'stale';
    case 'error':
      return message.req === REQ ? 'answer' : 'error';
    case 'accepted':
    case 'rejected':
      return 'answer';
    case 'state':
    case 'announcement':
      return message.req === REQ ? 'answer' : 'room';
    default:
      return 'room';
  }
}

/** @param {number} seq the room's seq before the message */
async function connectedClient(seq) {
  const time = new FakeTime();
  const { FakeSocket, sockets } = fakeWebSocketClass();
  const client = new BidroomClient({
    url: 'ws://bidroom.test/ws',
    token: 'T',
    WebSocket: /** @type {any} */ (FakeSocket),
    now: time.now,
    timers: time.timers,
    environment: null,
  });
  const errors = [];
  client.on('error', (error) => errors.push(error));
  client.connect();
  sockets[0].open();
  await flush();
  sockets[0].receive({ type: 'welcome', account_id: 1, role: 'bidder', server_time_ms: time.nowMs });
  const room = client.join(7);
  const base = messages.find((message) => message.type === 'snapshot' && message.state === 'open');
  client.handleMessage({ ...base, seq });
  return { client, room, errors, socket: sockets[0] };
}

test("every fixture message is handled by the client's dispatch as its type requires", async () => {
  for (const message of messages) {
    // The room is one event behind, so that an event is the next one, not a gap.
    const { client, room, errors } = await connectedClient(message.type === 'snapshot' ? 0 : (message.seq ?? 1) - 1);
    const internals = /** @type {any} */ (client);
    /** @type {any} */
    let settled = null;
    const kind = message.type === 'accepted' || message.type === 'rejected' ? 'bid' : 'command';
    internals.pending.set(REQ, {
      kind,
      message: { type: 'x', req: REQ },
      resolve: (/** @type {any} */ value) => (settled = { value }),
      reject: (/** @type {any} */ error) => (settled = { error }),
      sent: true,
    });
    internals.pings.set(REQ, { sentMs: 0, room: null });
    const heard = [];
    for (const event of ['snapshot', 'bid', 'state', 'closed', 'announcement', 'presence']) {
      room.on(/** @type {any} */ (event), (payload) => heard.push(payload));
    }
    const decoded = jsonCodec.decode(jsonCodec.encode(message));
    const route = client.handleMessage(decoded);
    const what = JSON.stringify(message);
    assert.equal(route, expectedRoute(message), what);
    if (route === 'answer') assert.ok(settled, `an answer settles its promise: ${what}`);
    if (route === 'room') assert.deepEqual(heard, [decoded], `the room emits it: ${what}`);
    if (route === 'error') assert.equal(errors.length, 1, what);
    if (message.type === 'bid') assert.equal(room.view?.price, message.price);
    if (message.type === 'closed') assert.equal(room.view?.result, message.result);
    client.close();
  }
});
