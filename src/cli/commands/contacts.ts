/**
 * `hypergolix contacts`: the people this account knows, with their names and trust, kept in the
 * account (every computer of it sees the same list). Talks to the running app daemon.
 */
import { parseArgs } from 'node:util';
import { STRANGER, TRUST_WORDS } from '../../common/people.js';
import { checkContactName, parseFingerprint } from '../../core/sharing/contacts.js';
import { PeopleVerb, type ContactJson } from '../../wire/index.js';
import { CliError, type CliIO, type Command } from '../command.js';
import { connectDaemon } from '../daemon-link.js';

export const CONTACTS_USAGE = `Usage: hypergolix contacts [list [--json]] [--root PATH]
       hypergolix contacts add FINGERPRINT NAME
       hypergolix contacts rename FINGERPRINT NAME
       hypergolix contacts trust|ask|block FINGERPRINT
       hypergolix contacts verify FINGERPRINT [--yes]
       hypergolix contacts remove FINGERPRINT

The people your account knows: a name for each fingerprint and how far you trust them.
Someone you share with becomes a trusted contact; someone whose share you accept becomes a
contact you are asked about. Needs the app daemon running.

  list          one line per contact (the default); --json prints one JSON object per line:
                {"fingerprint", "name", "trust", "verified"}
  add           adds someone (trust: ask me) with a name
  rename        gives a contact another name
  trust         ${TRUST_WORDS.trusted[0]}: ${TRUST_WORDS.trusted[1]}
  ask           ${TRUST_WORDS.ask[0]}: ${TRUST_WORDS.ask[1]}
  block         ${TRUST_WORDS.blocked[0]}: ${TRUST_WORDS.blocked[1]} (what waits from them is declined)
  verify        prints the six-word safety code of you and them: compare it with them in
                person or by phone (it is the same on both sides). --yes marks them verified.
  remove        forgets a contact (their next share counts as from ${STRANGER})
  --root PATH   use this hypergolix.yml (or directory) instead of searching`;

function parse(argv: string[]): { positionals: string[]; json: boolean; yes: boolean; root?: string } {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { json: { type: 'boolean', default: false }, yes: { type: 'boolean', default: false }, root: { type: 'string' } },
      allowPositionals: true,
      strict: true,
    });
    return { positionals, json: values.json!, yes: values.yes!, root: values.root };
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${CONTACTS_USAGE}`);
  }
}

function line(c: ContactJson): string {
  const mark = c.verified ? ' ✓ verified' : '';
  return `${(c.name ?? '(no name)').padEnd(24)} ${TRUST_WORDS[c.trust][0].padEnd(8)} ${c.fingerprint}${mark}`;
}

const ARITY: Record<string, number> = { list: 0, add: 2, rename: 2, trust: 1, ask: 1, block: 1, verify: 1, remove: 1 };

async function run(argv: string[], io: CliIO): Promise<number> {
  const args = parse(argv);
  const [action = 'list', ...rest] = args.positionals;
  const arity = ARITY[action];
  if (arity === undefined) throw new CliError(`unknown action "${action}"\n\n${CONTACTS_USAGE}`);
  // A name may be several words: everything after the fingerprint.
  const operands = arity === 2 && rest.length > 2 ? [rest[0]!, rest.slice(1).join(' ')] : rest;
  if (operands.length !== arity) throw new CliError(`contacts ${action} takes ${arity === 0 ? 'no operands' : arity === 1 ? 'FINGERPRINT' : 'FINGERPRINT NAME'}\n\n${CONTACTS_USAGE}`);
  if (args.json && action !== 'list') throw new CliError('--json goes with list');
  if (args.yes && action !== 'verify') throw new CliError('--yes goes with verify');
  const [fingerprint = '', name] = operands;
  // Checked here, in words: the daemon's refusal names protocol fields ("C!.fingerprint").
  if (arity > 0) parseFingerprint(fingerprint);
  if (name !== undefined) checkContactName(name);
  const link = await connectDaemon(io, args.root);
  try {
    switch (action) {
      case 'list': {
        const all = (await link.call(PeopleVerb.listContacts)) as ContactJson[];
        if (args.json) for (const c of all) io.out(JSON.stringify(c));
        else if (all.length === 0) io.out('No contacts yet. They are added when you share or accept a share, or with: hypergolix contacts add FINGERPRINT NAME');
        else for (const c of all) io.out(line(c));
        return 0;
      }
      case 'add':
      case 'rename': {
        // add of someone already a contact renames them: said as such, with the name they had.
        const before = action === 'add' ? ((await link.call(PeopleVerb.listContacts)) as ContactJson[]).find((c) => c.fingerprint === fingerprint.trim()) : undefined;
        const c = (await link.call(PeopleVerb.setContact, { fingerprint, name, add: action === 'add' })) as ContactJson;
        const renamedFrom = before && before.name !== c.name ? ` (already a contact; was ${before.name === null ? 'unnamed' : JSON.stringify(before.name)})` : before ? ' (already a contact)' : '';
        io.out(`${action === 'add' && !before ? 'Added' : 'Renamed'}: ${line(c)}${renamedFrom}`);
        return 0;
      }
      case 'trust':
      case 'ask':
      case 'block': {
        const trust = action === 'trust' ? 'trusted' : action === 'ask' ? 'ask' : 'blocked';
        const c = (await link.call(PeopleVerb.setContact, { fingerprint, trust, add: true })) as ContactJson;
        io.out(`${c.name ?? c.fingerprint}: ${TRUST_WORDS[c.trust][0]} — ${TRUST_WORDS[c.trust][1]}.`);
        return 0;
      }
      case 'verify': {
        const { words } = (await link.call(PeopleVerb.safetyCode, { fingerprint })) as { words: string[] };
        io.out(`Safety code: ${words.join(' ')}`);
        if (args.yes) {
          // Verifying someone not yet a contact adds them (unnamed), as the instruction promised.
          const c = (await link.call(PeopleVerb.setContact, { fingerprint, verified: true, add: true })) as ContactJson;
          io.out(`Marked ${c.name ?? c.fingerprint} as verified.`);
        } else {
          io.out('Compare it with them; if it matches, run this again with --yes to mark them verified.');
        }
        return 0;
      }
      default: {
        await link.call(PeopleVerb.removeContact, { fingerprint });
        io.out(`Removed ${fingerprint}.`);
        return 0;
      }
    }
  } finally {
    link.close();
  }
}

export const contactsCommand: Command = {
  name: 'contacts',
  usage: CONTACTS_USAGE,
  run,
};
