/**
 * Validators for single hypergolix.yml values, shared by the config module (src/core/config), the
 * CLI and the React settings UI, so a value the UI accepts as you type is exactly a value the file
 * accepts on save. Its only import is the host syntax beside it (host-syntax.ts): it runs unchanged
 * in Node and in the browser.
 *
 * Every parser takes an untrusted value (YAML scalar, CLI word, form text) and returns either the
 * normalized value or a short reason that reads after a field name, e.g.
 * `remotes[1].port: must be a whole number from 1 to 65535, not 70000`.
 */

import { IPV4, LABEL, asciiName, isIPv6 } from './host-syntax.js';

export type Field<T> = { ok: true; value: T } | { ok: false; error: string };

const ok = <T>(value: T): Field<T> => ({ ok: true, value });
const bad = <T>(error: string): Field<T> => ({ ok: false, error });

/** Quotes a value for an error message, shortened so a pasted blob cannot flood the screen. */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value) || value instanceof Set) return 'a list';
  // YAML tags make these: !!binary, !!timestamp.
  if (value instanceof Uint8Array) return 'binary data';
  if (value instanceof Date) return 'a date';
  if (typeof value === 'object') return 'a mapping';
  // Invisible characters (a zero-width space pasted from a web page) are shown escaped, so the
  // message does not call a plain-looking value bad; long values are cut between characters.
  // Only the start of a long value is shown: it is cut before it is escaped, not after.
  // C1 controls (U+0080–U+009F) too, which JSON leaves raw; a character outside the BMP (a tag
  // character) is escaped as itself, \u{…}, not as half of its surrogate pair.
  const s = typeof value === 'string' ? JSON.stringify(Array.from(value.slice(0, 80)).slice(0, 40).join('')).replace(/[\p{Cf}\p{Zl}\p{Zp}\u0080-\u009f]/gu, escapeChar) : String(value);
  const chars = Array.from(s);
  return chars.length > 40 ? chars.slice(0, 39).join('') + '…' : s;
}

function escapeChar(c: string): string {
  const code = c.codePointAt(0)!;
  return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

// ───────────────────────────── numbers ─────────────────────────────

/** Accepts YAML integers and digit strings (CLI words, form fields, quoted YAML). */
function wholeNumber(value: unknown): number | null {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? value : null;
  if (typeof value === 'string' && /^\s*\d{1,15}\s*$/.test(value)) return Number(value.trim());
  return null;
}

/** A whole number within [min, max]. */
export function parseInteger(value: unknown, min: number, max: number): Field<number> {
  const n = wholeNumber(value);
  if (n === null || n < min || n > max) {
    return bad(`must be a whole number from ${min} to ${max}, not ${showValue(value)}`);
  }
  return ok(n);
}

export function parsePort(value: unknown): Field<number> {
  return parseInteger(value, 1, 65535);
}

export const KIB = 1024;
export const MIB = 1024 * KIB;
export const GIB = 1024 * MIB;

/** A byte count: an integer, or a number with a binary unit ("10 MiB", "512KiB"). */
export function parseByteSize(value: unknown, min: number, max: number): Field<number> {
  let n = wholeNumber(value);
  if (n === null && typeof value === 'string') {
    // "bytes" as formatBytes writes it: a size shown in a message can be typed back as shown.
    const m = /^\s*(\d{1,10})\s*(B|bytes?|KiB|MiB|GiB)\s*$/i.exec(value);
    if (m) {
      const unit = m[2]!.toLowerCase();
      n = Number(m[1]) * (unit === 'kib' ? KIB : unit === 'mib' ? MIB : unit === 'gib' ? GIB : 1);
    }
  }
  if (n === null || n < min || n > max) {
    return bad(
      `must be a size from ${formatBytes(min)} to ${formatBytes(max)} (bytes, or with KiB/MiB/GiB), not ${showValue(value)}`,
    );
  }
  return ok(n);
}

/** A rate in objects per second: a positive number, fractions allowed ("0.5" is one every two seconds). */
export function parseRate(value: unknown, min: number, max: number): Field<number> {
  const n =
    typeof value === 'number' ? value : typeof value === 'string' && /^\s*\d{1,9}(\.\d{1,9})?\s*$/.test(value) ? Number(value) : NaN;
  if (!Number.isFinite(n) || n < min || n > max) {
    return bad(`must be a number of objects per second from ${min} to ${max}, not ${showValue(value)}`);
  }
  return ok(n);
}

export function formatBytes(n: number): string {
  if (n === 0) return '0 bytes';
  if (n % GIB === 0) return `${n / GIB} GiB`;
  if (n % MIB === 0) return `${n / MIB} MiB`;
  if (n % KIB === 0) return `${n / KIB} KiB`;
  return `${n} bytes`;
}

/** A size for reading, not for a config file: "0 bytes", "812 KiB", "1.4 GiB" (free space, say). */
export function approximateBytes(n: number): string {
  if (n < KIB) return `${n} bytes`;
  const units = [['KiB', KIB], ['MiB', MIB], ['GiB', GIB]] as const;
  const rounded = (size: number) => {
    const v = n / size;
    return v >= 10 ? Math.round(v) : Math.round(v * 10) / 10;
  };
  // The unit is the largest the value reaches once rounded: MiB - 1 is "1 MiB", not "1024 KiB".
  let i = units.findLastIndex(([, size]) => n >= size);
  if (i < units.length - 1 && rounded(units[i]![1]) >= 1024) i++;
  const [unit, size] = units[i]!;
  return `${rounded(size)} ${unit}`;
}

// ───────────────────────────── booleans ─────────────────────────────

const TRUE_WORDS = new Set(['true', 't', 'yes', 'y', '1', 'on']);
const FALSE_WORDS = new Set(['false', 'f', 'no', 'n', '0', 'off']);

/**
 * The reference CLI's TLS spellings (y/n, true/false, t/f, yes/no, 1/0), plus on/off because
 * files written for PyYAML (YAML 1.1) may use them as booleans.
 */
export function parseBoolean(value: unknown): Field<boolean> {
  if (typeof value === 'boolean') return ok(value);
  if (value === 1 || value === 0) return ok(value === 1);
  if (typeof value === 'string') {
    const w = value.trim().toLowerCase();
    if (TRUE_WORDS.has(w)) return ok(true);
    if (FALSE_WORDS.has(w)) return ok(false);
  }
  return bad(`must be true or false (also yes/no, y/n, t/f, 1/0), not ${showValue(value)}`);
}

// ───────────────────────────── log verbosity ─────────────────────────────

/** Least to most detailed. `shouty` adds WebSocket frames, `extreme` adds event-loop diagnostics. */
export const VERBOSITIES = ['error', 'warning', 'info', 'debug', 'shouty', 'extreme'] as const;
export type Verbosity = (typeof VERBOSITIES)[number];

/** The reference CLI's names (hypergolix-reference §7), plus `warn`, which people type anyway. */
const VERBOSITY_ALIASES: Readonly<Record<string, Verbosity>> = {
  quiet: 'error',
  normal: 'warning',
  warn: 'warning',
  loud: 'info',
  louder: 'debug',
};

/** Python logging's numeric levels, which hand-written reference configs may carry. */
const NUMERIC_LEVELS: ReadonlyArray<readonly [number, Verbosity]> = [
  [40, 'error'],
  [30, 'warning'],
  [20, 'info'],
  [10, 'debug'],
  [5, 'shouty'],
  [1, 'extreme'],
];

export function parseVerbosity(value: unknown): Field<Verbosity> {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) {
    for (const [n, v] of NUMERIC_LEVELS) if (value >= n) return ok(v);
    return ok('extreme');
  }
  if (typeof value === 'string') {
    const w = value.trim().toLowerCase();
    if ((VERBOSITIES as readonly string[]).includes(w)) return ok(w as Verbosity);
    // Own keys only: "constructor" or "__proto__" would otherwise find Object.prototype's.
    if (Object.hasOwn(VERBOSITY_ALIASES, w)) return ok(VERBOSITY_ALIASES[w]!);
  }
  return bad(`must be one of ${VERBOSITIES.join(', ')} (or quiet, normal, loud, louder), not ${showValue(value)}`);
}

// ───────────────────────────── paths, hosts, URLs ─────────────────────────────

/**
 * A file system path as text. Where a relative one leads is the config module's business (from
 * the config's directory, `~/` from home); here it only has to be a usable name.
 */
export function parsePathText(value: unknown): Field<string> {
  if (typeof value !== 'string' || value.trim() === '' || value.includes('\0')) return bad(`must be a file system path, not ${showValue(value)}`);
  return ok(value);
}

/** A DNS name, IPv4 address or IPv6 address (brackets optional, and removed). */
export function parseHost(value: unknown): Field<string> {
  if (typeof value !== 'string') return bad(`must be a host name or IP address, not ${showValue(value)}`);
  let s = value.trim();
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  if (s === '') return bad('must be a host name or IP address, not empty');
  if (IPV4.test(s) || isIPv6(s)) return ok(s);
  const name = s.endsWith('.') ? s.slice(0, -1) : s;
  // A name whose last label is a number (decimal, or 0x hex) is read by URL parsers as an IPv4
  // address ("example.1" fails, "0x7f.1" is 127.0.0.1): the remote could never be reached by it.
  const last = name.split('.').at(-1)!;
  if (name.length <= 253 && name.split('.').every((l) => LABEL.test(l)) && !/^(\d+|0x[0-9a-f]*)$/i.test(last)) return ok(s);
  const ascii = /[^\x00-\x7f]/.test(name) ? asciiName(name) : null;
  if (ascii) return bad(`must be a host name in its ASCII form: for ${showValue(value)} write "${ascii}"`);
  return bad(`must be a host name or IP address, not ${showValue(value)}`);
}

/**
 * The form of a host under which two spellings of one server compare equal: no brackets, lower
 * case, no trailing dot on a name, an IPv6 address in its shortest form (`0:0:0:0:0:0:0:1` is `::1`).
 */
export function hostKey(host: string): string {
  let s = host.trim().replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (isIPv6(s)) {
    const [addr, zone] = s.split('%', 2) as [string, string | undefined];
    try {
      s = new URL(`http://[${addr}]/`).hostname.slice(1, -1) + (zone === undefined ? '' : `%${zone}`);
    } catch {
      // isIPv6 accepted it; the WHATWG parser should too. Compared as written otherwise.
    }
  } else if (s.endsWith('.')) s = s.slice(0, -1);
  return s;
}

/**
 * One of `server.public_names`: a name the server is reached by publicly, `host` or `host:port`
 * (an IPv6 address in brackets), as registration challenges name servers: lower case, no
 * trailing dot, an IPv6 address in its shortest form, a port without leading zeros.
 */
export function parsePublicName(value: unknown): Field<string> {
  const shape = 'must be a host name or IP address, optionally with :PORT';
  const s = typeof value === 'string' ? value.trim() : '';
  const m = /^\[([^\]]*)\](?::(\d*))?$/.exec(s) ?? /^([^:[\]]*)(?::(\d*))?$/.exec(s);
  const hint = !s.startsWith('[') && !s.includes('/') && (s.match(/:/g)?.length ?? 0) > 1 ? ' (an IPv6 address in brackets: [2001:db8::1]:7770)' : '';
  const host = m ? parseHost(m[1]) : null;
  const v6 = host?.ok === true && isIPv6(host.value);
  // A name must start and end with a letter or digit, as the server reads the Host it is asked under.
  if (!m || !host?.ok || v6 !== s.startsWith('[') || host.value.includes('%') || (!v6 && !/^[a-z0-9](.*[a-z0-9])?\.?$/i.test(host.value))) {
    return bad(`${shape}${hint}, not ${showValue(value)}`);
  }
  const port = m[2] === undefined ? null : parsePort(m[2]);
  if (port && !port.ok) return bad(`has a bad port: ${port.error}`);
  const key = hostKey(host.value);
  const name = `${v6 ? `[${key}]` : key}${port ? `:${port.value}` : ''}`;
  // Longer than a challenge can name: such a name would match nothing.
  return name.length <= 255 ? ok(name) : bad(`${shape}, not ${showValue(value)}`);
}

/** `server.public_names`: a list of names (parsePublicName), or one text of them separated by commas or spaces. */
export function parsePublicNames(value: unknown): Field<string[]> {
  const items = typeof value === 'string' ? value.split(/[\s,]+/).filter((w) => w !== '') : Array.isArray(value) ? (value as unknown[]) : null;
  if (!items) return bad(`must be a list of host names (host or host:port), not ${showValue(value)}`);
  const out: string[] = [];
  for (const [i, item] of items.entries()) {
    const r = parsePublicName(item);
    if (!r.ok) return bad(items.length > 1 || Array.isArray(value) ? `name ${i + 1} ${r.error}` : r.error);
    if (!out.includes(r.value)) out.push(r.value);
  }
  return ok(out);
}

/** `server.host`: unset means loopback; AUTO (detected LAN address) and ANY (all interfaces) in any case. */
export function parseServerHost(value: unknown): Field<string> {
  if (value === null || value === undefined) return ok('127.0.0.1');
  if (typeof value === 'string' && /^\s*(auto|any)\s*$/i.test(value)) return ok(value.trim().toUpperCase());
  const host = parseHost(value);
  return host.ok ? host : bad(`must be a host name, an IP address, AUTO or ANY, not ${showValue(value)}`);
}

/** An http or https URL (a remote's registration page). */
export function parseHttpUrl(value: unknown): Field<string> {
  if (typeof value === 'string') {
    try {
      const url = new URL(value.trim());
      if ((url.protocol === 'http:' || url.protocol === 'https:') && url.hostname !== '') return ok(url.href);
    } catch {
      // falls through to the shared message
    }
  }
  return bad(`must be an http:// or https:// URL, not ${showValue(value)}`);
}

// ───────────────────────────── Golix texts ─────────────────────────────

const B64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

/** Decodes exactly-shaped padded base64url; null unless the text is the canonical encoding. */
function decodeCanonical(text: string, bytes: number): Uint8Array | null {
  const chars = Math.ceil(bytes / 3) * 4;
  const pad = (3 - (bytes % 3)) % 3;
  if (text.length !== chars || !text.endsWith('='.repeat(pad))) return null;
  const body = text.slice(0, chars - pad);
  const out = new Uint8Array(bytes);
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (const ch of body) {
    const v = B64URL.indexOf(ch);
    if (v < 0) return null;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      if (o < bytes) out[o++] = (acc >> bits) & 0xff;
    }
    acc &= (1 << bits) - 1;
  }
  // Leftover bits must be zero, or two different texts would name the same bytes.
  return o === bytes && acc === 0 ? out : null;
}

/**
 * GHID text (golix §1): 88 characters of padded URL-safe base64 for 65 bytes, address algorithm 1.
 * Fingerprints and user IDs are GHIDs.
 */
export function parseGhidText(value: unknown): Field<string> {
  if (typeof value === 'string') {
    const s = value.trim();
    const raw = decodeCanonical(s, 65);
    if (raw && raw[0] === 1) return ok(s);
  }
  return bad(`must be a GHID (88 characters of URL-safe base64, like AQ…=), not ${showValue(value)}`);
}

/** A secret record's text (golix §7): 72 characters for the 53-byte `SH`, version 2, suite 1 record. */
export function parseSecretText(value: unknown): Field<string> {
  if (typeof value === 'string') {
    const raw = decodeCanonical(value.trim(), 53);
    if (raw && raw[0] === 0x53 && raw[1] === 0x48 && raw[2] === 0 && raw[3] === 2 && raw[4] === 1) return ok(value.trim());
  }
  // A near-miss secret is still a secret: never echo a string back into a message or a log.
  const shown = typeof value === 'string' ? '' : `, not ${showValue(value)}`;
  return bad(`must be a secret (72 characters of URL-safe base64 of an SH record)${shown}`);
}

// ───────────────────────────── policies, remotes ─────────────────────────────

export const SHARING_POLICIES = ['all', 'known', 'ask'] as const;
export type SharingPolicy = (typeof SHARING_POLICIES)[number];

export function parseSharingPolicy(value: unknown): Field<SharingPolicy> {
  if (typeof value === 'string' && (SHARING_POLICIES as readonly string[]).includes(value.trim().toLowerCase())) {
    return ok(value.trim().toLowerCase() as SharingPolicy);
  }
  return bad(`must be all, known or ask, not ${showValue(value)}`);
}

/** Where a persistence server keeps its objects: its own files (the default) or a shared PostgreSQL. */
export const SERVER_STORES = ['files', 'postgres'] as const;
export type ServerStore = (typeof SERVER_STORES)[number];

export function parseServerStore(value: unknown): Field<ServerStore> {
  if (typeof value === 'string' && (SERVER_STORES as readonly string[]).includes(value.trim().toLowerCase())) {
    return ok(value.trim().toLowerCase() as ServerStore);
  }
  return bad(`must be files or postgres, not ${showValue(value)}`);
}

/**
 * A PostgreSQL connection URL (`postgres://` or `postgresql://`, as libpq and node-postgres read
 * it; the host may be left out, or given as `?host=/socket/dir`). What it leaves out comes from
 * the PG* environment variables. The message never repeats the value: it may hold a password.
 */
export function parsePostgresUrl(value: unknown): Field<string> {
  // Not WHATWG URL parsing: libpq's `postgres://user@/db?host=/dir` has a user and no host.
  if (typeof value === 'string' && /^postgres(ql)?:\/\/[^\s]*$/i.test(value.trim())) return ok(value.trim());
  return bad(`must be a postgres:// or postgresql:// URL${typeof value === 'string' ? '' : `, not ${showValue(value)}`}`);
}

/** `server.registration`: off (no accounts, as before), or who may register and how. */
export const REGISTRATION_POLICIES = ['off', 'open', 'invite', 'approval'] as const;
export type RegistrationPolicy = (typeof REGISTRATION_POLICIES)[number];

export function parseRegistrationPolicy(value: unknown): Field<RegistrationPolicy> {
  if (typeof value === 'boolean' && !value) return ok('off');
  if (typeof value === 'string' && (REGISTRATION_POLICIES as readonly string[]).includes(value.trim().toLowerCase())) {
    return ok(value.trim().toLowerCase() as RegistrationPolicy);
  }
  return bad(`must be off, open, invite or approval, not ${showValue(value)}`);
}

/** A shared secret another system presents (a webhook's): printable ASCII, 32 to 256 characters. */
export function parseSharedSecret(value: unknown): Field<string> {
  if (typeof value === 'string' && /^[\x21-\x7e]{32,256}$/.test(value.trim())) return ok(value.trim());
  // Never echo what may be a secret back into a message or a log.
  return bad(`must be 32 to 256 printable characters without spaces${typeof value === 'string' ? '' : `, not ${showValue(value)}`}`);
}

export interface RemoteSpec {
  host: string;
  port: number;
  tls: boolean;
}

/** The named remote `hgx` of the reference CLI. The hosted service behind it no longer exists. */
export const HOSTED_REMOTE: Readonly<RemoteSpec> = Object.freeze({ host: 'hgx.hypergolix.com', port: 443, tls: true });

/**
 * `HOST:PORT[:TLS]` as typed on the command line or in a form; IPv6 hosts go in brackets
 * (`[::1]:7770:tls`). The TLS part may be `tls`, `notls` or any boolean spelling; absent is false.
 */
export function parseRemoteSpec(value: unknown, opts: { allowTls?: boolean } = {}): Field<RemoteSpec> {
  const allowTls = opts.allowTls ?? true;
  const shape = allowTls ? 'HOST:PORT or HOST:PORT:tls' : 'HOST:PORT';
  if (typeof value !== 'string') return bad(`must look like ${shape}, not ${showValue(value)}`);
  const s = value.trim();
  const m = /^\[([^\]]*)\]:([^:]*)(?::([^:]*))?$/.exec(s) ?? /^([^:[\]]*):([^:]*)(?::([^:]*))?$/.exec(s);
  if (!m) {
    const hint = !s.startsWith('[') && (s.match(/:/g)?.length ?? 0) > 2 ? ' (put an IPv6 address in brackets: [::1]:7770)' : '';
    return bad(`must look like ${shape}${hint}, not ${showValue(value)}`);
  }
  const host = parseHost(m[1]);
  if (!host.ok) return bad(`has a bad host: ${host.error}`);
  const port = parsePort(m[2]);
  if (!port.ok) return bad(`has a bad port: ${port.error}`);
  let tls = false;
  if (m[3] !== undefined) {
    if (!allowTls) return bad(`must look like ${shape}, not ${showValue(value)}`);
    const word = m[3].trim().toLowerCase();
    const t = word === 'tls' ? ok(true) : word === 'notls' ? ok(false) : parseBoolean(word);
    if (!t.ok) return bad(`has a bad TLS flag: use tls, notls, or ${t.error.replace(/^must be /, '')}`);
    tls = t.value;
  }
  return ok({ host: host.value, port: port.value, tls });
}
