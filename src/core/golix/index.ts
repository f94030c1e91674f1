/** The Golix protocol, cipher suite 1: objects, identities, signatures, requests, secrets. */
export * from './errors.js';
export { Ghid, GHID_LENGTH, b64url, fromB64url } from './ghid.js';
export { Secret, SECRET_RECORD_LENGTH } from './secret.js';
export {
  DEFAULT_MAX_OBJECT_BYTES,
  addressOf,
  isSigned,
  packGdxx,
  packGeoc,
  packGobd,
  packGobs,
  parseObject,
  parseObjectAsync,
  signerOf,
  type Garq,
  type Gdxx,
  type Geoc,
  type Gidc,
  type Gobd,
  type Gobs,
  type GolixObject,
  type ObjectType,
  type ParseOptions,
  type SignedObject,
  type Unsigned,
} from './objects.js';
export { PrivateIdentity, PublicIdentity, type KeygenProgress } from './identity.js';
export { checkSignature, signObject, signUnsigned, verifyObject } from './sign.js';
export { buildRequest, decodeInner, encodeInner, openRequest, type OpenedRequest, type RequestBody } from './requests.js';
export { DEFAULT_LEGROOM, frameOf, makeContainer, makeDebinding, makeFrame, makeStatic, makeUpdate, type Frame } from './builders.js';
