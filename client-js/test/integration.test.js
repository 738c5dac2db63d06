// The client against the real bidroom server (the binary, on port 0, a fresh SQLite file).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { decode, encode } from '@msgpack/msgpack';

import { BidroomClient, msgpackCodec } from '../src/index.js';
import { PASSWORD, startServer } from './support/server.js';
import { controlledWebSocket, range, record, waitFor } from './support/sockets.js';

/** @type {import('./support/server.js').Server} */
let server;
/** @type {{ id: number, token: string }} */
let auctioneer;
/** @type {{ id: number, token: string }[]} */
let bidders;
/** A lot that opens for bidding during the run. */
let biddingLot = { id: 0, startsAt: 0 };
/** @type {BidroomClient[]} */
const clients = [];

/** Reconnects come quickly, so that the tests do not wait on backoff. */
const QUICK_BACKOFF = { initialDelayMs: 50, maxDelayMs: 200 };

before(async () => {
  server = await startServer();
  auctioneer = await server.account('auctioneer', 'auctioneer');
  bidders = [await server.fundedBidder('alice'), await server.fundedBidder('bob')];
  biddingLot = await server.lot(auctioneer, bidders, 2500);
});

after(async () => {
  for (const client of clients) client.close();
  await server?.stop();
});

/**
 * @param {string | (() => string)} token
 * @param {Partial<import('../src/index.js').ClientOptions>} [options]
 */
function client(token, options = {}) {
  const sockets = controlledWebSocket();
  const made = new BidroomClient({
    url: server.wsUrl,
    token,
    WebSocket: /** @type {any} */ (sockets.WebSocket),
    backoff: QUICK_BACKOFF,
    ...options,
  });
  clients.push(made);
  return { client: made, control: sockets.control };
}

/** The auctioneer's client, connected, for announcements. */
async function auctioneerClient() {
  const { client: made } = client(auctioneer.token);
  made.connect();
  await waitFor(() => made.state === 'connected', 'the auctioneer to connect');
  return made;
}

/** A published lot (announcements need no bidders or open room). */
async function announcementLot() {
  return server.lot(auctioneer, [], 120_000);
}

test('signing out closes the client with 4401 for good; its token function is asked once more, not in a loop', async () => {
  const token = await server.signIn(bidders[0].username, PASSWORD);
  let asked = 0;
  const { client: signedIn, control } = client(() => {
    asked += 1;
    return token;
  });
  const states = [];
  signedIn.on('connection', (status) => states.push(status));
  signedIn.connect();
  await waitFor(() => signedIn.state === 'connected', 'the client to connect');
  await server.api('DELETE', '/sessions/current', { token, expect: 204 });
  await waitFor(() => signedIn.state === 'closed', 'the sign-out to close the client');
  assert.equal(states[states.length - 1].code, 4401);
  const opened = control.sockets.length;
  await new Promise((resolveWait) => setTimeout(resolveWait, 1_000));
  assert.equal(control.sockets.length, opened, 'no reconnect after the final 4401');
  assert.ok(opened <= 2 && asked <= 2, `${opened} sockets, the token asked ${asked} times`);
});

test('a wrong token closes the client with 4401; a token function is asked again once', async () => {
  const { client: refused } = client('not-a-token');
  const states = [];
  refused.on('connection', (status) => states.push(status));
  refused.connect();
  await waitFor(() => refused.state === 'closed', 'the refusal');
  assert.equal(states[states.length - 1].code, 4401);

  let calls = 0;
  const { client: refreshed } = client(() => (++calls === 1 ? 'expired-token' : bidders[0].token));
  refreshed.connect();
  await waitFor(() => refreshed.state === 'connected', 'the second token to work');
  assert.equal(calls, 2);
});

test('after the socket is dropped the client reconnects and replays what it missed, once, in order', async () => {
  const lot = await announcementLot();
  const announcer = await auctioneerClient();
  const { client: watcher, control } = client(bidders[0].token);
  watcher.connect();
  const room = watcher.join(lot.id);
  const log = record(room);
  await waitFor(() => room.status === 'live', 'the first snapshot');
  for (const index of range(1, 2)) await announcer.announce(lot.id, `before ${index}`);
  await waitFor(() => log.seqs.length === 2, 'two announcements');

  const states = [];
  watcher.on('connection', (status) => states.push(status.state));
  control.blocked = true;
  control.drop();
  await waitFor(() => watcher.state === 'reconnecting', 'the drop to be seen');
  for (const index of range(1, 5)) await announcer.announce(lot.id, `missed ${index}`);
  await waitFor(() => control.sockets.length >= 2, 'a refused attempt');
  control.blocked = false;
  await waitFor(() => log.resynced.length === 1, 'the resume');

  assert.deepEqual(log.resynced[0], { lot: lot.id, via: 'replay', seq: 7, cause: 'reconnect' });
  assert.deepEqual(log.seqs, range(1, 7));
  assert.deepEqual(log.events.slice(2).map((event) => event.text), range(1, 5).map((index) => `missed ${index}`));
  assert.equal(log.snapshots, 1, 'no second snapshot: the replay was enough');
  assert.ok(control.sockets.length >= 3, 'refused attempts, then a socket that worked');
  assert.equal(states[states.length - 1], 'connected');
  await announcer.announce(lot.id, 'after');
  await waitFor(() => log.seqs.length === 8, 'the next live event');
  assert.deepEqual(log.seqs, range(1, 8));
});

test('past the replay window the room resumes from a fresh snapshot', async () => {
  const lot = await announcementLot();
  const announcer = await auctioneerClient();
  const { client: watcher, control } = client(bidders[1].token);
  watcher.connect();
  const room = watcher.join(lot.id);
  const log = record(room);
  await waitFor(() => room.status === 'live', 'the first snapshot');
  await announcer.announce(lot.id, 'first');
  await waitFor(() => log.seqs.length === 1, 'the first announcement');

  control.blocked = true;
  control.drop();
  await waitFor(() => watcher.state === 'reconnecting', 'the drop to be seen');
  // 1,100 events while away: more than the room's replay window of 1,024.
  const missed = 1100;
  await Promise.all(range(1, missed).map((index) => announcer.announce(lot.id, `missed ${index}`)));
  control.blocked = false;
  await waitFor(() => log.resynced.length === 1, 'the resume', 20_000);

  assert.deepEqual(log.resynced[0], { lot: lot.id, via: 'snapshot', seq: 1 + missed, cause: 'reconnect' });
  assert.equal(log.snapshots, 2);
  assert.deepEqual(log.seqs, [1], 'the missed events are in the snapshot, not delivered one by one');
  assert.equal(room.view?.seq, 1 + missed);
  await announcer.announce(lot.id, 'after');
  await waitFor(() => log.seqs.length === 2, 'the next live event');
  assert.deepEqual(log.seqs, [1, 2 + missed]);
});

test('an event lost on the way makes the room re-join with since_seq and fill the gap', async () => {
  const lot = await announcementLot();
  const announcer = await auctioneerClient();
  const { client: watcher, control } = client(bidders[0].token);
  let lost = 0;
  control.loseIncoming = (message) => {
    if (message.type === 'announcement' && message.seq === 3 && lost === 0) {
      lost += 1;
      return true;
    }
    return false;
  };
  watcher.connect();
  const room = watcher.join(lot.id);
  const log = record(room);
  await waitFor(() => room.status === 'live', 'the first snapshot');
  for (const index of range(1, 5)) await announcer.announce(lot.id, `news ${index}`);
  await waitFor(() => log.seqs.length === 5 && log.resynced.length === 1, 'every announcement');

  assert.equal(lost, 1);
  assert.deepEqual(log.seqs, range(1, 5));
  assert.deepEqual(log.events.map((event) => event.text), range(1, 5).map((index) => `news ${index}`));
  const { seq, ...resynced } = log.resynced[0];
  assert.deepEqual(resynced, { lot: lot.id, via: 'replay', cause: 'gap' });
  assert.ok(seq >= 3, `resynced at ${seq}, past the lost event`);
  assert.equal(control.sockets.length, 1, 'the gap was filled on the same socket');
});

test('a bid in flight when the socket drops is sent again with its req and placed once', async () => {
  await waitFor(() => Date.now() > biddingLot.startsAt + 300, 'the lot to open', 15_000);
  const { client: bidder, control } = client(bidders[0].token);
  /** @type {string[]} */
  const bidReqs = [];
  control.afterSend = (socket, data) => {
    const message = JSON.parse(String(data));
    if (message.type !== 'bid') return;
    bidReqs.push(message.req);
    // Cut the connection right after the bid leaves, before any answer can arrive.
    if (bidReqs.length === 1) socket.terminate();
  };
  bidder.connect();
  const room = bidder.join(biddingLot.id);
  await waitFor(() => room.view?.state === 'open', 'the room to be open', 10_000);
  const amount = /** @type {string} */ (room.view?.min_next);
  const accepted = await bidder.bid(biddingLot.id, amount);

  assert.equal(accepted.amount, amount);
  assert.equal(bidReqs.length, 2, 'sent once, and again after the reconnect');
  assert.equal(bidReqs[0], bidReqs[1]);
  assert.ok(control.sockets.length >= 2);
  const journal = await server.api('GET', `/lots/${biddingLot.id}/bids`, { token: bidders[0].token, expect: 200 });
  const placed = journal.filter((/** @type {any} */ bid) => bid.amount === amount);
  assert.equal(placed.length, 1, JSON.stringify(journal));
  assert.equal(placed[0].seq, accepted.seq);
});

test('MessagePack carries auth, join, bid and events end to end', async () => {
  const { client: bidder, control } = client(bidders[1].token, { codec: msgpackCodec({ encode, decode }) });
  bidder.connect();
  const room = bidder.join(biddingLot.id);
  const log = record(room);
  await waitFor(() => room.view?.state === 'open', 'the room to be open');
  assert.equal(control.latest().protocol, 'bidroom.v1.msgpack');
  const amount = /** @type {string} */ (room.view?.min_next);
  const accepted = await bidder.bid(biddingLot.id, amount);
  await waitFor(() => log.seqs.includes(accepted.seq), 'the bid event');
  const event = log.events.find((candidate) => candidate.seq === accepted.seq);
  assert.equal(event.type, 'bid');
  assert.equal(event.price, amount);
  assert.equal(typeof event.price, 'string');
  assert.equal(room.view?.leader, accepted.bidder);
  assert.equal(room.view?.price, amount);
  const rejected = await bidder.bid(biddingLot.id, /** @type {string} */ (room.view?.min_next)).catch((error) => error);
  assert.equal(rejected.name, 'BidRejectedError');
  assert.equal(rejected.code, 'already_leading');
});

test("the clock offset follows the server's clock whatever the local clock says", async () => {
  const skewMs = -30_000;
  const { client: skewed } = client(bidders[0].token, { now: () => Date.now() + skewMs, heartbeatIntervalMs: 100 });
  skewed.connect();
  await waitFor(() => skewed.state === 'connected', 'the welcome');
  await new Promise((resolve) => setTimeout(resolve, 600));
  assert.ok(Math.abs(skewed.clockOffsetMs + skewMs) < 50, `offset ${skewed.clockOffsetMs}`);
  assert.ok(Math.abs(skewed.serverNow() - Date.now()) < 50, `serverNow is ${skewed.serverNow() - Date.now()} ms off`);
});
