/**
 * Recovery kits (issue #13; docs/formats.md, "Recovery kit"): a recovery key opens the account
 * when its password is lost, and sets a new one.
 *
 * The key is 20 random bytes (160 bits), written as 32 characters of Crockford base32 plus a
 * 4-character check group (20 bits of its SHA-256), in 9 groups of 4 a person can type back; the
 * check catches typos before anything is fetched. The key derives (HKDF-SHA512, salted with the
 * account's fingerprint) the master secret of a *recovery node*: a dynamic object of the account
 * whose plaintext is the root manifest, so the key opens everything the password opens. The
 * root node's frames name the recovery node as their third target (public, like every frame),
 * which is how a user ID and a key find it; the manifest names it too, so each later root frame
 * carries it on. A new kit writes a new recovery node and overwrites the old one's newest frame
 * with bytes no key opens: the old key opens nothing afterwards.
 */
import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { Ghid, Secret, type Gobd, type PrivateIdentity } from '../golix/index.js';
import type { ObjectIO } from '../objects/object-io.js';
import { NoRecoveryKit, RecoveryKeyTypo, WrongRecoveryKey } from './errors.js';
import { decodeManifest, encodeManifest, type RootManifest } from './manifest.js';
import { MasterObject } from './master-object.js';

const KEY_BYTES = 20;
const CHECK_CHARS = 4;
const GROUP = 4;
/** Crockford's base32: no I, L, O or U, so nothing reads as something else. */
const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const LENGTH = (KEY_BYTES * 8) / 5 + CHECK_CHARS;
const INFO = Buffer.from('hypergolix recovery key v1', 'latin1');

export interface RecoveryKey {
  bytes: Buffer;
  /** As printed: 9 groups of 4 characters joined by '-'. */
  text: string;
}

function base32(bytes: Uint8Array, chars: number): string {
  let bits = 0;
  let value = 0;
  let out = '';
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5 && out.length < chars) {
      out += ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  return out;
}

const checkOf = (key: Uint8Array): string => base32(createHash('sha256').update(key).digest(), CHECK_CHARS);

export function encodeRecoveryKey(key: Uint8Array): string {
  const all = base32(key, (KEY_BYTES * 8) / 5) + checkOf(key);
  return all.match(new RegExp(`.{${GROUP}}`, 'g'))!.join('-');
}

export function newRecoveryKey(): RecoveryKey {
  const bytes = randomBytes(KEY_BYTES);
  return { bytes, text: encodeRecoveryKey(bytes) };
}

/** The key a person typed back: case, spaces and dashes do not matter, O reads as 0 and I or L as 1. */
export function decodeRecoveryKey(typed: string): Buffer {
  const chars = typed.toUpperCase().replace(/[\s-]/g, '').replace(/O/g, '0').replace(/[IL]/g, '1');
  if (chars.length !== LENGTH) throw new RecoveryKeyTypo(`A recovery key has ${LENGTH} characters (9 groups of 4); this one has ${chars.length}`);
  const bad = [...chars].find((c) => !ALPHABET.includes(c));
  if (bad) throw new RecoveryKeyTypo(`A recovery key has no "${bad}" in it: check that character`);
  const out = Buffer.alloc(KEY_BYTES);
  let bits = 0;
  let value = 0;
  let at = 0;
  for (const c of chars.slice(0, LENGTH - CHECK_CHARS)) {
    value = (value << 5) | ALPHABET.indexOf(c);
    bits += 5;
    if (bits >= 8) {
      out[at++] = (value >>> (bits - 8)) & 0xff;
      bits -= 8;
      value &= (1 << bits) - 1;
    }
  }
  if (checkOf(out) !== chars.slice(LENGTH - CHECK_CHARS)) throw new RecoveryKeyTypo('This recovery key does not check out: a character was mistyped');
  return out;
}

/** The recovery node's master secret: what the key derives for this account. */
export function recoveryMaster(key: Uint8Array, fingerprint: Ghid): Secret {
  const okm = Buffer.from(hkdfSync('sha512', key, fingerprint.bytes, INFO, 48));
  return Secret.create(okm.subarray(0, 32), okm.subarray(32));
}

/** The root manifest without its recovery record (what the recovery node holds). */
export function coreManifest(m: RootManifest): RootManifest {
  return { identity: m.identity, secrets: m.secrets, state: m.state };
}

/** Writes a new recovery node holding the manifest, readable with `key`; returns its GHID. */
export async function writeRecoveryNode(io: ObjectIO, identity: PrivateIdentity, key: Uint8Array, manifest: RootManifest): Promise<Ghid> {
  const node = await MasterObject.create(io, identity, recoveryMaster(key, identity.ghid), encodeManifest(coreManifest(manifest)));
  return node.ghid;
}

/** Makes an old recovery node unreadable to its key: its newest frame becomes random bytes under a random secret. */
export async function revokeRecoveryNode(io: ObjectIO, identity: PrivateIdentity, node: Ghid): Promise<void> {
  const frame = await io.fetch(node);
  if (frame?.type !== 'GOBD' || !frame.binder.equals(identity.ghid)) return;
  await MasterObject.at(io, identity, Secret.random(), frame).write(randomBytes(1024));
}

/**
 * Opens the manifest with a recovery key: the recovery node is among the root frame's targets
 * after the first two (the current container and the one before). NoRecoveryKit when none of
 * them is a recovery node; WrongRecoveryKey when one is but the key does not open it.
 */
export async function readWithRecoveryKey(io: ObjectIO, root: Gobd, key: Uint8Array, userId: Ghid): Promise<{ manifest: RootManifest; node: Ghid }> {
  const master = recoveryMaster(key, root.binder);
  let found = false;
  for (const candidate of root.targets.slice(2)) {
    const frame = await io.fetch(candidate).catch(() => null);
    if (frame?.type !== 'GOBD' || !frame.dynamic.equals(candidate) || !frame.binder.equals(root.binder)) continue;
    found = true;
    try {
      const manifest = decodeManifest(await MasterObject.readFrame(io, frame, master, root.binder));
      return { manifest: { ...manifest, recovery: { ghid: candidate, master: Secret.random() } }, node: candidate };
    } catch {
      // Not opened by this key: another candidate may be.
    }
  }
  throw found ? new WrongRecoveryKey() : new NoRecoveryKit(userId);
}
