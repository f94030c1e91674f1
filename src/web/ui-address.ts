/**
 * Browser mode's address kept across restarts (issue #14 item 8): the port and the access token
 * of the last run, in `<config dir>/ui-address.json` (readable by the user only, like the IPC
 * key), so a tab left open reconnects by itself after a restart and a bookmark keeps working.
 * A file that is missing or unreadable just means a new address.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../core/util/atomic-write.js';

export interface UiAddress {
  port: number;
  token: string;
}

export const UI_ADDRESS_FILE = 'ui-address.json';

const TOKEN = /^[A-Za-z0-9_-]{40,64}$/;

export async function readUiAddress(configDir: string): Promise<UiAddress | null> {
  try {
    const v = JSON.parse(await readFile(join(configDir, UI_ADDRESS_FILE), 'utf8')) as Partial<UiAddress>;
    if (Number.isInteger(v.port) && v.port! > 0 && v.port! < 65536 && typeof v.token === 'string' && TOKEN.test(v.token)) return { port: v.port!, token: v.token };
  } catch {
    // Missing or damaged: a new address this time.
  }
  return null;
}

export async function writeUiAddress(configDir: string, address: UiAddress): Promise<void> {
  await writeFileAtomic(join(configDir, UI_ADDRESS_FILE), JSON.stringify(address), { mode: 0o600 });
}
