// One joined room: its view, its event stream, and the seq bookkeeping that makes every
// event reach the listeners exactly once, in order, across reconnects and gaps.
//
// status: 'joining'      join sent, no snapshot yet (events are ignored until it comes)
//         'live'         every event with seq = last + 1 is applied and emitted
//         'resuming'     `join {since_seq}` + `ping` sent; the pong marks the replay's end
//         'disconnected' the socket is down; resumed from `seq` after the next welcome
//         'left' | 'failed'

import { Emitter } from './emitter.js';
import { applyEvent, viewFromSnapshot } from './room-view.js';

/** @typedef {import('./index.js').RoomEvents} RoomEvents */
/** @typedef {import('./index.js').RoomView} RoomView */
/** @typedef {import('./index.js').LotId} LotId */
/** @typedef {import('./index.js').RoomStatus} RoomStatus */
/** @typedef {import('./index.js').ResyncCause} ResyncCause */

/**
 * What a room needs from its client.
 * @typedef {{ rejoin(room: Room, cause: ResyncCause): void, leave(room: Room): void }} RoomHost
 */

/** The key rooms are found by: lots may be numbers or digit strings on the wire. */
export function lotKey(/** @type {LotId} */ lot) {
  return String(lot);
}

/** @typedef {import('./index.js').Room} RoomApi */

/** @implements {RoomApi} */
export class Room {
  /**
   * @param {LotId} lot the lot as the caller gave it, echoed back exactly
   * @param {RoomHost} host
   */
  constructor(lot, host) {
    this.lot = lot;
    this.host = host;
    /** @type {Emitter<RoomEvents>} */
    this.events = new Emitter();
    /** @type {RoomStatus} */
    this.status = 'joining';
    /** @type {RoomView | null} null until the first snapshot */
    this.view = null;
    /** @type {string | null} the ping whose pong ends the resume in progress */
    this.resumeReq = null;
    /** @type {ResyncCause} */
    this.resumeCause = 'reconnect';
    this.snapshotDuringResume = false;
    /** The highest seq ignored while resuming: more is missing if the replay stops short. */
    this.highestSkippedSeq = 0;
  }

  /** The seq of the last event applied (the snapshot's, until an event follows). */
  get seq() {
    return this.view?.seq ?? null;
  }

  /**
   * @template {keyof RoomEvents} K
   * @param {K} event
   * @param {(payload: RoomEvents[K]) => void} listener
   * @returns {() => void}
   */
  on(event, listener) {
    return this.events.on(event, listener);
  }

  /** Leaves the room: no more events; the client forgets it. */
  leave() {
    if (this.status === 'left' || this.status === 'failed') return;
    this.status = 'left';
    this.host.leave(this);
  }

  // --- called by the client --------------------------------------------------------

  /**
   * A join went out: plain (`resumeReq` null) or a resume from `seq` followed by a ping.
   * @param {string | null} resumeReq
   * @param {ResyncCause} cause
   */
  joinSent(resumeReq, cause) {
    if (resumeReq === null) {
      this.status = 'joining';
      return;
    }
    this.status = 'resuming';
    this.resumeReq = resumeReq;
    this.resumeCause = cause;
    this.snapshotDuringResume = false;
    this.highestSkippedSeq = 0;
  }

  /** @param {import('./index.js').Snapshot} snapshot */
  snapshot(snapshot) {
    if (this.status === 'left' || this.status === 'failed' || this.status === 'disconnected') return;
    this.view = viewFromSnapshot(snapshot);
    if (snapshot.seq >= this.highestSkippedSeq) this.highestSkippedSeq = 0;
    const wasLive = this.status === 'live';
    if (this.status === 'resuming') {
      this.snapshotDuringResume = true;
    } else {
      this.status = 'live';
    }
    this.events.emit('snapshot', snapshot);
    if (wasLive) {
      // Unasked: the server resynchronised a member that fell behind.
      this.events.emit('resynced', { lot: this.lot, via: 'snapshot', seq: snapshot.seq, cause: 'lagged' });
    }
  }

  /** @param {import('./index.js').RoomEvent} event */
  event(event) {
    if (this.view === null || this.status === 'left' || this.status === 'failed') return;
    if (event.type === 'presence') {
      this.view = applyEvent(this.view, event);
      this.events.emit('presence', event);
      return;
    }
    if (this.status === 'joining' || this.status === 'disconnected') return;
    const last = this.view.seq;
    if (event.seq <= last) return;
    if (event.seq > last + 1) {
      if (this.status === 'resuming') {
        this.highestSkippedSeq = Math.max(this.highestSkippedSeq, event.seq);
      } else {
        this.host.rejoin(this, 'gap');
      }
      return;
    }
    this.view = applyEvent(this.view, event);
    this.emitEvent(event);
  }

  /**
   * A pong: if it is the one sent after this room's resume join, the replay is complete.
   * @param {string} req
   */
  pong(req) {
    if (this.status !== 'resuming' || req !== this.resumeReq) return;
    this.status = 'live';
    this.resumeReq = null;
    const seq = this.view?.seq ?? 0;
    this.events.emit('resynced', {
      lot: this.lot,
      via: this.snapshotDuringResume ? 'snapshot' : 'replay',
      seq,
      cause: this.resumeCause,
    });
    if (this.highestSkippedSeq > seq) this.host.rejoin(this, 'gap');
  }

  disconnected() {
    if (this.status === 'live' || this.status === 'resuming') {
      this.status = 'disconnected';
      this.resumeReq = null;
    }
  }

  /** @param {import('./errors.js').CommandError} error */
  failed(error) {
    this.status = 'failed';
    this.events.emit('error', error);
  }

  /**
   * @private
   * @param {Exclude<import('./index.js').RoomEvent, import('./index.js').PresenceEvent>} event
   */
  emitEvent(event) {
    switch (event.type) {
      case 'bid':
        this.events.emit('bid', event);
        break;
      case 'state':
        this.events.emit('state', event);
        break;
      case 'closed':
        this.events.emit('closed', event);
        break;
      case 'announcement':
        this.events.emit('announcement', event);
        break;
    }
  }
}
