// A room's current state, derived from its snapshot and the events after it: pure
// functions, one per message, each returning a new view.

import { addDecimal } from './decimal.js';

/** @typedef {import('./index.js').RoomView} RoomView */
/** @typedef {import('./index.js').Snapshot} Snapshot */
/** @typedef {import('./index.js').RoomEvent} RoomEvent */

/** How many bids `recent_bids` keeps, as the server's snapshot does (SPEC §4). */
export const RECENT_BIDS = 20;

/**
 * @param {Snapshot} snapshot
 * @returns {RoomView}
 */
export function viewFromSnapshot(snapshot) {
  /** @type {RoomView} */
  const view = {
    lot: snapshot.lot,
    state: snapshot.state,
    phase: snapshot.phase,
    currency: snapshot.currency,
    price: snapshot.price,
    min_next: snapshot.min_next,
    increment: snapshot.increment,
    has_reserve: snapshot.has_reserve,
    leader: snapshot.leader,
    deadline_ms: snapshot.deadline_ms,
    remaining_ms: snapshot.remaining_ms ?? null,
    extensions: snapshot.extensions,
    seq: snapshot.seq,
    recent_bids: snapshot.recent_bids.slice(-RECENT_BIDS),
    you: snapshot.you,
    presence: 'monitor' in snapshot.you
      ? { members: snapshot.you.members, bidders: snapshot.you.bidders }
      : null,
  };
  if (snapshot.result !== undefined) {
    view.result = snapshot.result;
    view.winner_bidder = snapshot.result === 'sold' ? snapshot.leader : null;
  }
  return view;
}

/**
 * The view after one room event (whose seq the caller has checked follows the view's).
 * @param {RoomView} view
 * @param {RoomEvent} event
 * @returns {RoomView}
 */
export function applyEvent(view, event) {
  switch (event.type) {
    case 'bid':
      return {
        ...view,
        seq: event.seq,
        price: event.price,
        // An ordinary bidder's lowest next bid; a priority holder may also match the price.
        min_next: addDecimal(event.price, view.increment),
        leader: event.bidder,
        phase: event.phase,
        // A bid moves the deadline only when it extends the room (anti-sniping).
        extensions: event.deadline_ms !== view.deadline_ms ? view.extensions + 1 : view.extensions,
        deadline_ms: event.deadline_ms,
        recent_bids: [...view.recent_bids, event].slice(-RECENT_BIDS),
      };
    case 'state':
      return {
        ...view,
        seq: event.seq,
        state: event.state,
        deadline_ms: event.deadline_ms,
        remaining_ms: event.remaining_ms ?? null,
      };
    case 'closed':
      return {
        ...view,
        seq: event.seq,
        state: 'closed',
        price: event.price,
        result: event.result,
        winner_bidder: event.winner_bidder,
      };
    case 'announcement':
      return { ...view, seq: event.seq };
    case 'presence':
      return { ...view, presence: { members: event.members, bidders: event.bidders } };
    default:
      return view;
  }
}
