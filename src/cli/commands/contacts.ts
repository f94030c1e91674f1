/**
 * `hypergolix contacts`: the people this account knows, with their names and trust, kept in the
 * account (every computer of it sees the same list). Talks to the running app daemon.
 */
import { parseArgs } from '../args.js';
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
  add           adds someone (trust: ask me) with a name, or names a contact who has none; a
                contact who has a name keeps it (rename changes it)
  rename        gives a contact another name
  trust         ${TRUST_WORDS.trusted[0]}: ${TRUST_WORDS.trusted[1]}
  ask           ${TRUST_WORDS.ask[0]}: ${TRUST_WORDS.ask[1]}
  block         ${TRUST_WORDS.blocked[0]}: ${TRUST_WORDS.blocked[1]} (what waits from them is declined)
  verify        prints the six-word safety code of you and them: compare it with them in
                person or by phone (it is the same on both sides). --yes marks them verified
                (adding them to your contacts, without a name, if they are not yet)
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
  const [fingerprint = '', name = ''] = operands;
  // Checked here, in words: the daemon's refusal names protocol fields ("C!.fingerprint").
  const fp = arity > 0 ? parseFingerprint(fingerprint).text : '';
  const wanted = arity === 2 ? checkContactName(name) : '';
  const link = await connectDaemon(io, args.root);
  const known = async () => ((await link.call(PeopleVerb.listContacts)) as ContactJson[]).find((c) => c.fingerprint === fp);
  try {
    switch (action) {
      case 'list': {
        const all = (await link.call(PeopleVerb.listContacts)) as ContactJson[];
        if (args.json) for (const c of all) io.out(JSON.stringify(c));
        else if (all.length === 0) io.out('No contacts yet. They are added when you share or accept a share, or with: hypergolix contacts add FINGERPRINT NAME');
        else for (const c of all) io.out(line(c));
        return 0;
      }
      case 'add': {
        // A contact's name changes only through rename: an existing fingerprint pasted by mistake
        // must not take the name a person gave them away, under the word "Added".
        const before = await known();
        if (before?.name === wanted) {
          io.out(`Already a contact: ${line(before)}`);
          return 0;
        }
        if (before && before.name !== null) throw new CliError(`${fp.slice(0, 12)}… is already in your contacts as ${JSON.stringify(before.name)}. To rename them: hypergolix contacts rename ${fp} ${wanted}`, 1);
        const c = (await link.call(PeopleVerb.setContact, { fingerprint, name, add: true })) as ContactJson;
        io.out(`${before ? 'Named' : 'Added'}: ${line(c)}`);
        return 0;
      }
      case 'rename': {
        const c = (await link.call(PeopleVerb.setContact, { fingerprint, name, add: false })) as ContactJson;
        io.out(`Renamed: ${line(c)}`);
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
          const added = !(await known());
          const c = (await link.call(PeopleVerb.setContact, { fingerprint, verified: true, add: true })) as ContactJson;
          io.out(`Marked ${c.name ?? c.fingerprint} as verified.`);
          if (added) io.out(`Added them to your contacts, without a name (to give one: hypergolix contacts add ${fp} NAME).`);
        } else {
          io.out('Compare it with them; if it matches, run this again with --yes to mark them verified.');
        }
        return 0;
      }
      default: {
        await link.call(PeopleVerb.removeContact, { fingerprint });
        io.out(`Removed ${fp}.`);
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
