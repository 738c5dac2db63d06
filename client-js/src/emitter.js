// A small typed event emitter: `on` returns the function that unsubscribes.

/**
 * @template {Record<string, any>} Events
 */
export class Emitter {
  constructor() {
    /** @type {Map<keyof Events, Set<(payload: any) => void>>} */
    this.listeners = new Map();
  }

  /**
   * @template {keyof Events} K
   * @param {K} event
   * @param {(payload: Events[K]) => void} listener
   * @returns {() => void} unsubscribes the listener
   */
  on(event, listener) {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener);
    return () => this.off(event, listener);
  }

  /**
   * @template {keyof Events} K
   * @param {K} event
   * @param {(payload: Events[K]) => void} listener
   */
  off(event, listener) {
    this.listeners.get(event)?.delete(listener);
  }

  /**
   * Calls every listener of `event`. A listener that throws does not stop the others nor
   * the client's own state machine: its error is rethrown on a fresh task, where it
   * reaches the environment's unhandled-error reporting.
   * @template {keyof Events} K
   * @param {K} event
   * @param {Events[K]} payload
   */
  emit(event, payload) {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const listener of [...set]) {
      try {
        listener(payload);
      } catch (error) {
        queueMicrotask(() => {
          throw error;
        });
      }
    }
  }
}
