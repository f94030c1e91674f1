/**
 * `hypergolix server accounts …`: the operator's view of a server's registrations (#16). Works
 * where the server keeps them (the journal beside its ghidcache, or the cluster's database),
 * whether or not the server runs: a running server reads what was appended before its next
 * decision, so an approval or a revocation applies to the account's next upload.
 */
import { parseArgs } from '../args.js';
import { ConfigNotFound, loadConfig, type LoadedConfig } from '../../core/config/index.js';
import { Ghid } from '../../core/golix/index.js';
import { openRegistrations } from '../../core/assembly/registrations.js';
import { CliError, type CliIO, type Command } from '../command.js';
import { SERVER_MIGRATE_USAGE, runServerMigrate } from './server-migrate.js';
import { SERVER_CHECK_USAGE, runServerCheck } from './server-check.js';

export const SERVER_ACCOUNTS_USAGE = `Usage: hypergolix server accounts list [--json] [--root PATH]
       hypergolix server accounts approve FINGERPRINT [--root PATH]
       hypergolix server accounts revoke FINGERPRINT [--root PATH]
       hypergolix server accounts invite [--uses N] [--expires DURATION] [--root PATH]

The accounts of the persistence server configured in hypergolix.yml (server.registration on:
open, invite or approval). Unregistered identities may store server.unregistered_upload_bytes
(10 MiB by default); registered accounts get the server's quota. Changes apply at once, also
to a running server, and on a PostgreSQL cluster (server.store: postgres) to every node.

  list       every account the server knows: fingerprint, status (registered, pending,
             revoked), how it got there, since when. --json: one JSON object per line
  approve    register an account (a pending request, or any fingerprint)
  revoke     take a registration back: the account is on the free tier again
  invite     print a new invite code for the registration page (invite policy)
    --uses N             how many registrations it admits (default 1)
    --expires DURATION   how long it is good for: 30m, 12h, 7d, 2w (default: no expiry)`;

const DURATION = /^(\d{1,6})\s*(m|min|h|d|w)$/i;
const UNIT_MS: Record<string, number> = { m: 60_000, min: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** "7d" → ms. */
export function parseDuration(text: string): number {
  const m = DURATION.exec(text.trim());
  if (!m || Number(m[1]) === 0) throw new CliError(`--expires must be a duration such as 30m, 12h, 7d or 2w, not ${JSON.stringify(text)}`);
  return Number(m[1]) * UNIT_MS[m[2]!.toLowerCase()]!;
}

interface Args {
  action: 'list' | 'approve' | 'revoke' | 'invite';
  fingerprint?: string;
  uses: number;
  expiresMs: number | null;
  json: boolean;
  root?: string;
}

function parse(argv: string[]): Args {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: { uses: { type: 'string' }, expires: { type: 'string' }, json: { type: 'boolean', default: false }, root: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${SERVER_ACCOUNTS_USAGE}`);
  }
  const { values, positionals } = parsed;
  const [action, fingerprint, ...extra] = positionals;
  if (action !== 'list' && action !== 'approve' && action !== 'revoke' && action !== 'invite') {
    throw new CliError(`accounts what? Expected list, approve, revoke or invite, got ${action === undefined ? 'nothing' : JSON.stringify(action)}.\n\n${SERVER_ACCOUNTS_USAGE}`);
  }
  const needsFp = action === 'approve' || action === 'revoke';
  if (extra.length > 0 || (needsFp ? fingerprint === undefined : fingerprint !== undefined)) {
    throw new CliError(needsFp ? `${action} takes one FINGERPRINT\n\n${SERVER_ACCOUNTS_USAGE}` : `${action} takes no arguments\n\n${SERVER_ACCOUNTS_USAGE}`);
  }
  if (action !== 'invite' && (values.uses !== undefined || values.expires !== undefined)) throw new CliError('--uses and --expires go with invite');
  // Accepted and ignored, it would promise JSON to a script that then gets a plain line.
  if (action !== 'list' && values.json) throw new CliError('--json goes with list');
  const uses = values.uses === undefined ? 1 : /^\d{1,7}$/.test(values.uses) && Number(values.uses) > 0 ? Number(values.uses) : NaN;
  if (Number.isNaN(uses)) throw new CliError(`--uses must be a whole number from 1, not ${JSON.stringify(values.uses)}`);
  let fp: string | undefined;
  if (fingerprint !== undefined) {
    const g = Ghid.tryText(fingerprint.trim());
    if (!g) throw new CliError(`not a fingerprint (88 characters of URL-safe base64): ${JSON.stringify(fingerprint.slice(0, 100))}`);
    fp = g.text;
  }
  return { action, fingerprint: fp, uses, expiresMs: values.expires === undefined ? null : parseDuration(values.expires), json: values.json!, root: values.root };
}

async function load(root: string | undefined, io: CliIO): Promise<LoadedConfig> {
  try {
    return await loadConfig({ root, env: io.env, cwd: io.cwd });
  } catch (err) {
    if (err instanceof ConfigNotFound) throw new CliError(`Server accounts need the server's configuration. ${err.message}`, 1);
    throw err;
  }
}

export async function runServerAccounts(argv: string[], io: CliIO, now: () => number = Date.now): Promise<number> {
  const args = parse(argv);
  const loaded = await load(args.root, io);
  const s = loaded.config.server;
  if (s.registration === 'off') io.err(`note: server.registration is off in ${loaded.path}; accounts take effect once it is open, invite or approval`);
  const registry = await openRegistrations(s, now);
  try {
    switch (args.action) {
      case 'list': {
        const accounts = registry.list();
        if (args.json) for (const a of accounts) io.out(JSON.stringify({ ...a, since: new Date(a.since).toISOString() }));
        else if (accounts.length === 0) io.out('No accounts yet.');
        else for (const a of accounts) io.out(`${a.fingerprint}  ${a.status.padEnd(10)}  ${(a.via ?? '-').padEnd(8)}  since ${new Date(a.since).toISOString()}`);
        if (!args.json) {
          const c = registry.counts();
          io.out(`${c.registered} registered, ${c.pending} pending, ${c.revoked} revoked`);
        }
        return 0;
      }
      case 'approve':
        await registry.register(args.fingerprint!, 'operator');
        io.out(`Registered ${args.fingerprint}.`);
        return 0;
      case 'revoke': {
        const before = registry.get(args.fingerprint!);
        await registry.revoke(args.fingerprint!);
        io.out(`Revoked ${args.fingerprint}${before ? '' : ' (it had not registered)'}: it is on the free tier.`);
        return 0;
      }
      case 'invite': {
        const expires = args.expiresMs === null ? null : now() + args.expiresMs;
        const code = await registry.createInvite(args.uses, expires);
        io.out(code);
        io.err(`Invite code for ${args.uses} registration${args.uses === 1 ? '' : 's'}${expires === null ? '' : `, until ${new Date(expires).toISOString()}`}. It is shown only now.`);
        return 0;
      }
    }
  } finally {
    await registry.close();
  }
}

const SERVER_USAGE = `Usage: hypergolix server accounts … | hypergolix server migrate … | hypergolix server check …

${SERVER_ACCOUNTS_USAGE}

${SERVER_MIGRATE_USAGE}

${SERVER_CHECK_USAGE}`;

const USAGE_OF: Record<string, string> = { accounts: SERVER_ACCOUNTS_USAGE, migrate: SERVER_MIGRATE_USAGE, check: SERVER_CHECK_USAGE };

/** `hypergolix server …`: operator commands for a persistence server (accounts; migrate, server-migrate.ts; check, server-check.ts). */
export const serverCommand: Command = {
  name: 'server',
  usage: SERVER_USAGE,
  usageOf: ([what]) => (what !== undefined && Object.hasOwn(USAGE_OF, what) ? USAGE_OF[what]! : null),
  async run(argv, io) {
    const [what, ...rest] = argv;
    if (what === 'accounts') return runServerAccounts(rest, io);
    if (what === 'migrate') return runServerMigrate(rest, io);
    if (what === 'check') return runServerCheck(rest, io);
    throw new CliError(`server what? Expected "accounts", "migrate" or "check", got ${what === undefined ? 'nothing' : JSON.stringify(what)}.\n\n${SERVER_USAGE}`);
  },
};
