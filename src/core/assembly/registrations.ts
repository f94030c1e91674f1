/**
 * Where a server's config keeps its accounts: the journal beside the ghidcache for a server on
 * files, the `registration_ops` table for the nodes of a cluster on PostgreSQL. The server and
 * the operator's CLI (`hypergolix server accounts`) open them the same way, so both always
 * write where the other reads.
 */
import type { HypergolixConfig } from '../config/index.js';
import { PgRegistry } from '../postgres/registry.js';
import { FileRegistry, registrationsPath, type OpLogRegistry } from '../registration/registry.js';

export function openRegistrations(s: HypergolixConfig['server'], now: () => number = Date.now): Promise<OpLogRegistry> {
  if (s.store === 'postgres') return PgRegistry.open({ url: s.postgres, now });
  return FileRegistry.open(registrationsPath(s.ghidcache), now);
}

