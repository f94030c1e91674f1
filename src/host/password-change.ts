/**
 * Changing the password of the open account, for the CLI (`hypergolix account password`) and the
 * desktop (Settings → Account): the current password must derive the root secret the account
 * was opened with, the new one must pass the one rule (src/common/password-rule.ts), then the
 * root node gets a frame under the new password. The account's other computers read that frame
 * at their next login, so the old password opens nothing afterwards. A `user.root_secret` kept in
 * the file is replaced by the new one; the config as saved then is returned (else null).
 */
import { passwordRefusal, type PasswordRuleOptions } from '../common/password-rule.js';
import type { Account } from '../core/account/account.js';
import { IncorrectPassword } from '../core/account/errors.js';
import { DEFAULT_KDF, deriveRootSecret } from '../core/account/kdf.js';
import { configuredKdf } from '../core/assembly/app.js';
import { updateConfig, type LoadedConfig } from '../core/config/index.js';
import { ValueError } from '../core/golix/index.js';

/** The new password does not pass the rule; the message says why. */
export class PasswordRefused extends ValueError {}

export async function changeAccountPassword(
  account: Account,
  loaded: LoadedConfig,
  current: string,
  next: string,
  rule: PasswordRuleOptions = {},
): Promise<LoadedConfig | null> {
  const refusal = passwordRefusal(next, rule);
  if (refusal) throw new PasswordRefused(refusal);
  const kdf = configuredKdf(loaded) ?? DEFAULT_KDF;
  await checkPassword({ daemon: { account }, loaded }, current);
  await account.changePassword(next, kdf);
  // A legacy user.root_secret opens the account before any password is asked: it follows the new
  // password, or the next start would open nothing with either.
  if (!loaded.config.user.root_secret) return null;
  return updateConfig(loaded, { user: { root_secret: account.rootSecret } });
}

/** IncorrectPassword unless `password` derives the root secret the running account was opened with. */
export async function checkPassword(app: { daemon: { account: Account }; loaded: LoadedConfig }, password: string): Promise<void> {
  const { account } = app.daemon;
  const kdf = configuredKdf(app.loaded) ?? DEFAULT_KDF;
  if (!(await deriveRootSecret(password, account.fingerprint, kdf)).equals(account.rootSecret)) {
    throw new IncorrectPassword('The current password is not right');
  }
}
