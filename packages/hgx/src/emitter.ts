/**
 * A small typed event emitter that runs anywhere (Node, Electron renderer, browser). Errors
 * thrown by listeners are handed to `reportListenerError` and swallowed, so an app's callback
 * can never break the link. `on()` refuses an event the emitter does not have, and a listener
 * that is not a function: found when the app subscribes, not never.
 */
import { checkFunction } from './checks.js';
import { HgxError } from './errors.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Listener = (...args: any[]) => void;

/** Every event name of an emitter, each once: the type makes the list complete. */
export type EventNames<E> = { readonly [K in keyof E]: true };

export class Emitter<E extends { [K in keyof E]: unknown[] }> {
  #listeners = new Map<keyof E, Set<Listener>>();
  /** The wrapper `once` added for a listener, so that `off(event, listener)` finds it. */
  #onceWrappers = new Map<keyof E, Map<Listener, Listener>>();
  readonly #events: EventNames<E>;

  constructor(events: EventNames<E>) {
    this.#events = events;
  }

  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof E>(event: K, listener: (...args: E[K]) => void): () => void {
    this.#check(event, listener);
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    set.add(listener as Listener);
    return () => this.off(event, listener);
  }

  /** Adds a listener for the next event only; returns a function that removes it. */
  once<K extends keyof E>(event: K, listener: (...args: E[K]) => void): () => void {
    // Checked here, not only by on(): that sees the wrapper, always a function, and a listener
    // that is not one would fail only when the event fires, swallowed as a listener error.
    this.#check(event, listener);
    // The wrapper removes itself only: off(event, listener) would also remove the same listener
    // added with on(), which must outlive this once.
    const wrapper = (...args: E[K]) => {
      this.#dropOnce(event, listener as Listener, wrapper as Listener);
      listener(...args);
    };
    this.on(event, wrapper);
    let wrappers = this.#onceWrappers.get(event);
    if (!wrappers) this.#onceWrappers.set(event, (wrappers = new Map()));
    wrappers.set(listener as Listener, wrapper as Listener);
    return () => this.#dropOnce(event, listener as Listener, wrapper as Listener);
  }

  #dropOnce(event: keyof E, listener: Listener, wrapper: Listener): void {
    this.#listeners.get(event)?.delete(wrapper);
    const wrappers = this.#onceWrappers.get(event);
    if (wrappers?.get(listener) === wrapper) wrappers.delete(listener);
  }

  #check(event: keyof E, listener: unknown): void {
    if (!Object.hasOwn(this.#events, event)) {
      throw new HgxError(`There is no '${String(event)}' event; the events are ${Object.keys(this.#events).map((e) => `'${e}'`).join(', ')}`);
    }
    checkFunction(`The '${String(event)}' listener`, listener);
  }

  /** Removes a listener added with `on` or `once` (the function either returns does the same). */
  off<K extends keyof E>(event: K, listener: (...args: E[K]) => void): void {
    const wrapper = this.#onceWrappers.get(event)?.get(listener as Listener);
    if (wrapper) {
      this.#onceWrappers.get(event)!.delete(listener as Listener);
      this.#listeners.get(event)?.delete(wrapper);
    }
    this.#listeners.get(event)?.delete(listener as Listener);
  }

  /** How many listeners the event has. */
  listenerCount<K extends keyof E>(event: K): number {
    return this.#listeners.get(event)?.size ?? 0;
  }

  protected emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const set = this.#listeners.get(event);
    if (!set) return;
    for (const l of [...set]) {
      // One removed by an earlier listener of this event is not called for it (as in the DOM).
      if (!set.has(l)) continue;
      try {
        const r = l(...args) as unknown;
        if (r && typeof (r as Promise<unknown>).catch === 'function') (r as Promise<unknown>).catch((err) => this.#report(err, String(event)));
      } catch (err) {
        this.#report(err, String(event));
      }
    }
  }

  /** A report that fails (an app's logger that throws) must not stop the other listeners. */
  #report(err: unknown, event: string): void {
    try {
      this.reportListenerError(err, event);
    } catch {
      // Nowhere left to tell it.
    }
  }

  protected reportListenerError(err: unknown, event: string): void {
    console.warn(`hgx: a '${event}' listener failed:`, err);
  }
}
