/**
 * The CLI asking the running app daemon for something only it can do (sign with the account's
 * identity), over its IPC port as an app would (daemon-link.ts: the port it wrote in its pid
 * file, the key proved, never sent).
 */
import type { LoadedConfig } from '../core/config/index.js';
import { IpcVerb } from '../wire/index.js';
import { CliError } from './command.js';
import { DaemonUnreachable, connectDaemonOf, type DaemonLink } from './daemon-link.js';

/** `?R`: the daemon fetches a challenge from `remote` (or the first remote), signs it, and returns the page link. */
export async function daemonRegistrationLink(loaded: LoadedConfig, remote?: string): Promise<string> {
  let link: DaemonLink;
  try {
    link = await connectDaemonOf(loaded);
  } catch (err) {
    if (err instanceof DaemonUnreachable && err.pid === null) throw new CliError(`registering needs the app daemon, which signs the request with your account. ${err.message}`, 1);
    throw err;
  }
  try {
    const answer = await link.raw(IpcVerb.registrationLink, new TextEncoder().encode(remote ?? ''));
    return new TextDecoder().decode(answer);
  } catch (err) {
    throw new CliError(`the app daemon could not make a registration link: ${(err as Error).message}`, 1);
  } finally {
    link.close();
  }
}
