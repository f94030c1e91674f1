/**
 * The configuration every `server` command works on: an existing hypergolix.yml. A server is
 * never configured by default (as the reference: `start server` creates none), so a missing
 * file is said in the server's words rather than made.
 */
import { ConfigNotFound, loadConfig, type LoadedConfig } from '../../core/config/index.js';
import { CliError, type CliIO } from '../command.js';

export async function loadServerConfig(root: string | undefined, io: CliIO): Promise<LoadedConfig> {
  try {
    return await loadConfig({ root, env: io.env, cwd: io.cwd });
  } catch (err) {
    if (err instanceof ConfigNotFound) throw new CliError(`The server needs an existing configuration. ${err.message}`, 1);
    throw err;
  }
}
