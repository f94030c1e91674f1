import { UnknownSecret } from '../golix/index.js';

/**
 * The password does not open this account: the root manifest's checksum does not match what the
 * password derives. On the wire it is UnknownSecret (000D), as the reference sends; callers that
 * must tell a wrong password from a damaged account test for this class, never for its message.
 */
export class IncorrectPassword extends UnknownSecret {
  constructor(message = 'Incorrect password', options?: { cause?: unknown }) {
    super(message, options);
  }
}
