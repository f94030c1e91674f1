import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os';

export const LOOPBACK = '127.0.0.1';
export const ALL_INTERFACES = '0.0.0.0';

export type InterfaceTable = NodeJS.Dict<NetworkInterfaceInfo[]>;

/**
 * The `server.host` setting as a bind address (hypergolix-reference §1): null/undefined/empty →
 * 127.0.0.1, `AUTO` → this machine's first non-internal IPv4 address (127.0.0.1 when it has none,
 * e.g. in a container without a network), `ANY` → 0.0.0.0, both case-insensitive; anything else
 * is used as written.
 */
export function resolveHost(host: string | null | undefined, interfaces: InterfaceTable = networkInterfaces()): string {
  if (host === null || host === undefined || host.trim() === '') return LOOPBACK;
  const word = host.trim().toUpperCase();
  if (word === 'ANY') return ALL_INTERFACES;
  if (word === 'AUTO') return firstLanAddress(interfaces) ?? LOOPBACK;
  return host.trim();
}

/** The first non-internal IPv4 address, in the order the OS lists interfaces, or null. */
export function firstLanAddress(interfaces: InterfaceTable = networkInterfaces()): string | null {
  for (const list of Object.values(interfaces)) {
    for (const info of list ?? []) {
      // Node 18.0–18.3 reported family as a number; accept both spellings.
      const v4 = info.family === 'IPv4' || (info.family as unknown) === 4;
      if (v4 && !info.internal) return info.address;
    }
  }
  return null;
}
