/**
 * What an app passes to the link, checked before anything is tried or sent: a mistake (a port read
 * from the command line as text, a timeout of `NaN`, `dynamic: 'no'`, a class that is not one)
 * fails at once with an HgxError naming the argument, instead of as a connection that never
 * comes, requests that all time out, an object made other than asked, or a TypeError from inside
 * the SDK. TypeScript catches most of these; apps in JavaScript, and values read at run time, are
 * why they are checked here too.
 */
import { DeadObject, HgxError } from './errors.js';
import type { ConnectOptions, NewOptions } from './link-options.js';
import type { ObjClass, OpenObject } from './port.js';

/** The longest delay a JavaScript timer keeps (about 24.8 days); a longer one would fire at once. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;
/** Reconnecting sooner than this after a refusal would spin on a daemon that is down. */
const SHORTEST_RECONNECT_DELAY_MS = 10;

/** `HGXLink.connect(options)`. */
export function checkConnectOptions(o: ConnectOptions): void {
  if (typeof o !== 'object' || o === null) throw new HgxError('connect() takes an options object');
  for (const name of ['port', 'daemonPort'] as const) {
    const port = o[name];
    if (port !== undefined && !(Number.isInteger(port) && port >= 1 && port <= 65535)) throw new HgxError(`${name} is a whole number from 1 to 65535, not ${show(port)}`);
  }
  if (o.host !== undefined && !(typeof o.host === 'string' && /^[^\s/?#@\[\]%]+$/.test(o.host) && (!o.host.includes(':') || (/^[0-9a-f:.]+$/i.test(o.host) && o.host.split(':').length > 2)))) {
    // A colon belongs only in an IPv6 address: "localhost:7772" would make no URL.
    throw new HgxError(`host is a host name or an IP address (such as 127.0.0.1, localhost or ::1, without brackets; the port goes in port), not ${show(o.host)}`);
  }
  checkDelay('timeoutMs', o.timeoutMs, 1);
  checkDelay('requestTimeoutMs', o.requestTimeoutMs, 1);
  if (o.reconnect !== undefined && typeof o.reconnect !== 'boolean') {
    if (typeof o.reconnect !== 'object' || o.reconnect === null) throw new HgxError(`reconnect is true, false or { minDelayMs, maxDelayMs }, not ${show(o.reconnect)}`);
    const { minDelayMs, maxDelayMs } = o.reconnect;
    checkDelay('reconnect.minDelayMs', minDelayMs, SHORTEST_RECONNECT_DELAY_MS);
    checkDelay('reconnect.maxDelayMs', maxDelayMs, SHORTEST_RECONNECT_DELAY_MS);
    if (minDelayMs !== undefined && maxDelayMs !== undefined && minDelayMs > maxDelayMs) {
      throw new HgxError(`reconnect.minDelayMs (${minDelayMs}) is more than reconnect.maxDelayMs (${maxDelayMs})`);
    }
  }
  checkFlag('legacy', o.legacy);
  if (o.logger !== undefined && typeof o.logger?.warn !== 'function') throw new HgxError('logger is an object with a warn(message, ...details) method');
  if (o.tokenFile !== undefined && (typeof o.tokenFile !== 'string' || o.tokenFile === '')) throw new HgxError(`tokenFile is the path of a file, not ${show(o.tokenFile)}`);
}

/** `link.new(cls, state, options)`'s options. */
export function checkNewOptions(o: NewOptions): void {
  if (typeof o !== 'object' || o === null) throw new HgxError('new() takes an options object as its third argument, or none');
  if (o.legroom !== undefined && !(Number.isInteger(o.legroom) && o.legroom >= 0 && o.legroom <= 255)) {
    throw new HgxError(`legroom is 1–255, or 0 for the default, not ${show(o.legroom)}`);
  }
  checkFlag('dynamic', o.dynamic);
  checkFlag('private', o.private);
}

/** The class given to `new`, `get` or `recast`: JsonObj, Obj, or a subclass of HgxObject. */
export function checkObjClass<T extends OpenObject>(cls: ObjClass<T>, method: string): void {
  const statics = cls as unknown as Partial<Record<'encodeState' | 'decodeState' | 'defaultApiId', unknown>>;
  if (typeof cls !== 'function' || typeof statics.encodeState !== 'function' || typeof statics.decodeState !== 'function' || typeof statics.defaultApiId !== 'string') {
    throw new HgxError(`${method}() takes an object class (JsonObj, Obj or a subclass of HgxObject), not ${show(cls)}`);
  }
}

/**
 * The object given to `recast`: alive, and opened by this link. One of another link would be
 * killed there without its daemon being told, and held here by a link that never opened it,
 * which would hear none of its updates.
 */
export function checkRecastable(obj: OpenObject, link: unknown): void {
  if (typeof obj !== 'object' || obj === null || typeof obj.ghid !== 'string') throw new HgxError('recast() takes an object opened by a link (link.new or link.get)');
  if ((obj as { link?: unknown }).link !== link) throw new HgxError('recast() takes an object opened by this link: this one was opened by another (recast it there, or get() it on this link)');
  if (!obj.isAlive) throw new DeadObject(`Cannot recast ${obj.ghid.slice(0, 12)}…: it is no longer alive (discarded, deleted or recast)`);
}

/** A callback the SDK will call later: checked now, so that the mistake is not found when it fires. */
export function checkFunction(name: string, f: unknown): void {
  if (typeof f !== 'function') throw new HgxError(`${name} is a function, not ${show(f)}`);
}

function checkFlag(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== 'boolean') throw new HgxError(`${name} is true or false, not ${show(value)}`);
}

function checkDelay(name: string, ms: unknown, least: number): void {
  if (ms === undefined) return;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < least || ms > LONGEST_TIMER_MS) {
    throw new HgxError(`${name} is a number of milliseconds from ${least} to ${LONGEST_TIMER_MS}, not ${show(ms)}`);
  }
}

/** A value as the app wrote it, for a message. */
function show(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) return String(value);
  if (typeof value === 'function') return value.name ? `the function ${value.name}` : 'a function';
  return typeof value;
}

