import {
  KeyObject,
  constants,
  createPrivateKey,
  createPublicKey,
  diffieHellman,
  generateKeyPair,
  privateDecrypt,
  publicEncrypt,
  sign as rsaSign,
  verify as rsaVerify,
  webcrypto,
} from 'node:crypto';
import { Reader, u32 } from './bytes.js';
import { InvalidIdentity, MalformedGolixPrimitive, VerificationFailure } from './errors.js';
import type { Ghid } from './ghid.js';
import { packGidc, parseObject, type Gidc } from './objects.js';

const MODULUS_LENGTH = 512;
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');

/** RSA-PSS with SHA-512, salt 64 (golix §2, §5). */
export const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 } as const;

function rsaPublicFromModulus(modulus: Buffer): KeyObject {
  let start = 0;
  while (start < modulus.length - 1 && modulus[start] === 0) start++;
  return createPublicKey({ key: { kty: 'RSA', n: modulus.subarray(start).toString('base64url'), e: 'AQAB' }, format: 'jwk' });
}

function modulusOf(key: KeyObject): Buffer {
  // Only an RSA key exports its modulus; an RSA-PSS or EC key would throw from export() untyped.
  if (key.asymmetricKeyType !== 'rsa') throw new InvalidIdentity(`Identity keys must be RSA, not ${key.asymmetricKeyType ?? 'unknown'}`);
  const jwk = key.export({ format: 'jwk' });
  if (jwk.kty !== 'RSA' || jwk.e !== 'AQAB' || typeof jwk.n !== 'string') {
    throw new InvalidIdentity('Identity keys must be RSA with public exponent 65537');
  }
  const n = Buffer.from(jwk.n, 'base64url');
  if (n.length !== MODULUS_LENGTH || n[0] === 0) throw new InvalidIdentity('Identity RSA keys must be 4096-bit');
  return n;
}

function x25519PublicRaw(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return Buffer.from(pub.export({ format: 'der', type: 'spki' }).subarray(X25519_SPKI_PREFIX.length));
}

/**
 * Someone's public identity: a parsed GIDC with its keys ready for use. Key objects are built
 * once per identity, because verification is on the hot path of every publish.
 */
export class PublicIdentity {
  private signingKeyCache?: KeyObject;
  private encryptionKeyCache?: KeyObject;
  private exchangeKeyCache?: KeyObject;

  private constructor(readonly gidc: Gidc) {}

  static fromGidc(gidc: Gidc): PublicIdentity {
    return new PublicIdentity(gidc);
  }

  /** Parses and checks GIDC bytes. */
  static fromBytes(raw: Uint8Array): PublicIdentity {
    const obj = parseObject(raw);
    if (obj.type !== 'GIDC') throw new InvalidIdentity(`Expected a GIDC, got a ${obj.type}`);
    return new PublicIdentity(obj);
  }

  /** The fingerprint: the GIDC's GHID. */
  get ghid(): Ghid {
    return this.gidc.ghid;
  }

  get raw(): Buffer {
    return this.gidc.raw;
  }

  get signingKey(): KeyObject {
    return (this.signingKeyCache ??= rsaPublicFromModulus(this.gidc.signingModulus));
  }

  get encryptionKey(): KeyObject {
    return (this.encryptionKeyCache ??= rsaPublicFromModulus(this.gidc.encryptionModulus));
  }

  get exchangeKey(): KeyObject {
    return (this.exchangeKeyCache ??= createPublicKey({
      key: Buffer.concat([X25519_SPKI_PREFIX, this.gidc.exchangePublic]),
      format: 'der',
      type: 'spki',
    }));
  }

  /** RSA-OAEP-SHA512 under the encryption key (GARQ payloads). A public-key operation: cheap. */
  encrypt(plaintext: Buffer): Buffer {
    try {
      return publicEncrypt({ key: this.encryptionKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha512' }, plaintext);
    } catch (err) {
      // A GIDC anyone can publish: a modulus OpenSSL cannot use is this identity's fault, told as such.
      throw new InvalidIdentity(`Cannot encrypt to ${this.ghid.text.slice(0, 12)}…: ${(err as Error).message}`);
    }
  }
}

export interface KeygenProgress {
  stage: 'signing-key' | 'encryption-key' | 'exchange-key' | 'done';
  /** Stages finished so far, out of `total`. */
  completed: number;
  total: number;
}

const SERIAL_MAGIC = 'HGXI';
const SERIAL_VERSION = 1;

/**
 * The user's own identity: private signing, encryption and exchange keys, plus the public GIDC.
 * Private keys exist in plaintext only in memory; at rest they live inside encrypted account
 * containers in the format of `serialize()`.
 */
export class PrivateIdentity {
  private oaepKey?: Promise<webcrypto.CryptoKey>;

  private constructor(
    readonly publicIdentity: PublicIdentity,
    private readonly signingPrivate: KeyObject,
    private readonly encryptionPrivate: KeyObject,
    private readonly exchangePrivate: KeyObject,
  ) {}

  get ghid(): Ghid {
    return this.publicIdentity.ghid;
  }

  /**
   * Generates a fresh identity: two RSA-4096 keys and an X25519 key, in parallel on the
   * thread pool (keygen takes about a second per RSA key and must never block the loop).
   */
  static async generate(onProgress?: (p: KeygenProgress) => void): Promise<PrivateIdentity> {
    let completed = 0;
    const total = 3;
    const tick = (stage: KeygenProgress['stage']) => onProgress?.({ stage, completed: ++completed, total });
    const rsa = (stage: KeygenProgress['stage']) =>
      new Promise<KeyObject>((resolve, reject) =>
        generateKeyPair('rsa', { modulusLength: 4096, publicExponent: 0x10001 }, (err, _pub, priv) => {
          if (err) return reject(err);
          tick(stage);
          resolve(priv);
        }),
      );
    const x25519 = new Promise<KeyObject>((resolve, reject) =>
      generateKeyPair('x25519', {}, (err, _pub, priv) => {
        if (err) return reject(err);
        tick('exchange-key');
        resolve(priv);
      }),
    );
    const [signing, encryption, exchange] = await Promise.all([rsa('signing-key'), rsa('encryption-key'), x25519]);
    const identity = PrivateIdentity.fromKeys(signing, encryption, exchange);
    onProgress?.({ stage: 'done', completed: total, total });
    return identity;
  }

  /** Builds an identity from private keys; the GIDC is derived from them. */
  static fromKeys(signing: KeyObject, encryption: KeyObject, exchange: KeyObject): PrivateIdentity {
    if (signing.type !== 'private' || encryption.type !== 'private' || exchange.type !== 'private') {
      throw new InvalidIdentity('Private keys are required');
    }
    if (exchange.asymmetricKeyType !== 'x25519') throw new InvalidIdentity('The exchange key must be X25519');
    const gidcBytes = packGidc(modulusOf(signing), modulusOf(encryption), x25519PublicRaw(exchange));
    return new PrivateIdentity(PublicIdentity.fromBytes(gidcBytes), signing, encryption, exchange);
  }

  /** From the PKCS#8 DER RSA keys and the raw 32-byte X25519 private key (the manifest's form). */
  static fromRaw(signingPkcs8: Buffer, encryptionPkcs8: Buffer, exchangeRaw: Buffer): PrivateIdentity {
    if (exchangeRaw.length !== 32) throw new InvalidIdentity('An X25519 private key is 32 bytes');
    try {
      return PrivateIdentity.fromKeys(
        createPrivateKey({ key: signingPkcs8, format: 'der', type: 'pkcs8' }),
        createPrivateKey({ key: encryptionPkcs8, format: 'der', type: 'pkcs8' }),
        createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, exchangeRaw]), format: 'der', type: 'pkcs8' }),
      );
    } catch (err) {
      if (err instanceof InvalidIdentity) throw err;
      throw new InvalidIdentity(`Unusable private key: ${(err as Error).message}`);
    }
  }

  /** PKCS#8 DER of the two RSA keys and the raw X25519 key. */
  exportRaw(): { signing: Buffer; encryption: Buffer; exchange: Buffer } {
    return {
      signing: this.signingPrivate.export({ format: 'der', type: 'pkcs8' }),
      encryption: this.encryptionPrivate.export({ format: 'der', type: 'pkcs8' }),
      exchange: Buffer.from(this.exchangePrivate.export({ format: 'der', type: 'pkcs8' }).subarray(X25519_PKCS8_PREFIX.length)),
    };
  }

  /**
   * Private identity serialization (our account format; no pickle):
   * `"HGXI" | version u8 = 1 | fingerprint (65) | u32 len | signing PKCS#8 DER |
   *  u32 len | encryption PKCS#8 DER | exchange X25519 raw (32)`.
   * Loading re-derives the GIDC and requires the stored fingerprint to match.
   */
  serialize(): Buffer {
    const { signing, encryption, exchange } = this.exportRaw();
    return Buffer.concat([
      Buffer.from(SERIAL_MAGIC, 'latin1'),
      Buffer.of(SERIAL_VERSION),
      this.ghid.bytes,
      u32(signing.length),
      signing,
      u32(encryption.length),
      encryption,
      exchange,
    ]);
  }

  static deserialize(data: Buffer): PrivateIdentity {
    const r = new Reader(data, 'private identity');
    if (r.take(4).toString('latin1') !== SERIAL_MAGIC) throw new MalformedGolixPrimitive('Not a serialized private identity');
    const version = r.u8();
    if (version !== SERIAL_VERSION) throw new MalformedGolixPrimitive(`Unsupported private identity version ${version}`);
    const fingerprint = r.ghid();
    const signing = r.take(r.u32());
    const encryption = r.take(r.u32());
    const exchange = r.take(32);
    r.end();
    const identity = PrivateIdentity.fromRaw(signing, encryption, exchange);
    if (!identity.ghid.equals(fingerprint)) {
      throw new InvalidIdentity('Serialized private identity does not match its fingerprint');
    }
    identity.checkKeysWork();
    return identity;
  }

  /**
   * Signs and decrypts once with the private keys and checks the results against the public
   * ones. A private key damaged where the modulus is not (its exponent, primes or CRT values)
   * still loads and still derives the right GIDC, but every signature it makes would be refused
   * and nothing sent to it could be read: found here, at login, it is a damaged identity
   * instead. About 15 ms, once.
   */
  checkKeysWork(): void {
    const probe = Buffer.from('hypergolix private identity self-check', 'latin1');
    try {
      const signature = rsaSign('sha512', probe, { key: this.signingPrivate, ...PSS });
      if (!rsaVerify('sha512', probe, { key: this.publicIdentity.signingKey, ...PSS }, signature)) throw new Error('its signatures do not verify');
      const oaep = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha512' } as const;
      const sealed = publicEncrypt({ key: this.publicIdentity.encryptionKey, ...oaep }, probe);
      if (!privateDecrypt({ key: this.encryptionPrivate, ...oaep }, sealed).equals(probe)) throw new Error('it cannot decrypt');
    } catch (err) {
      throw new InvalidIdentity(`The private identity's keys are damaged: ${(err as Error).message}`);
    }
  }

  /** RSA-PSS-SHA512 (salt 64) over `data`, on the thread pool. */
  sign(data: Buffer): Promise<Buffer> {
    return new Promise((resolve, reject) =>
      rsaSign('sha512', data, { key: this.signingPrivate, ...PSS }, (err, sig) => (err ? reject(err) : resolve(sig))),
    );
  }

  /** RSA-OAEP-SHA512 decryption through Web Crypto, which does not block the event loop. */
  async decrypt(ciphertext: Buffer): Promise<Buffer> {
    this.oaepKey ??= webcrypto.subtle.importKey(
      'pkcs8',
      this.encryptionPrivate.export({ format: 'der', type: 'pkcs8' }),
      { name: 'RSA-OAEP', hash: 'SHA-512' },
      false,
      ['decrypt'],
    );
    try {
      return Buffer.from(await webcrypto.subtle.decrypt({ name: 'RSA-OAEP' }, await this.oaepKey, ciphertext));
    } catch {
      throw new VerificationFailure('Request payload could not be decrypted');
    }
  }

  /** X25519 with a peer's public key. A low-order peer key is refused (defect 11). */
  exchange(peer: PublicIdentity): Buffer {
    let shared: Buffer;
    try {
      shared = diffieHellman({ privateKey: this.exchangePrivate, publicKey: peer.exchangeKey });
    } catch {
      throw new VerificationFailure('Peer exchange key is invalid (low-order point)');
    }
    if (shared.every((b) => b === 0)) throw new VerificationFailure('Peer exchange key is invalid (low-order point)');
    return shared;
  }
}
