/**
 * `hypergolix shares`: what waits for you, what others shared with you and what you shared,
 * and the answer to a share that waits — in the same words as the app's Shares view.
 */
import { parseArgs } from '../args.js';
import { CONSENT_CHOICES, STRANGER, UNNAMED_CONTACT, askedAgainWords, deletedWords, personWords, shareGroups, sizeWords } from '../../common/people.js';
import { Ghid } from '../../core/golix/index.js';
import { PeopleVerb, type ShareJson } from '../../wire/index.js';
import { CliError, type CliIO, type Command } from '../command.js';
import { connectDaemon } from '../daemon-link.js';

const [ONCE, TRUST, DECLINE] = [CONSENT_CHOICES.acceptOnce, CONSENT_CHOICES.acceptAndTrust, CONSENT_CHOICES.decline];

export const SHARES_USAGE = `Usage: hypergolix shares [list [--json]] [--root PATH]
       hypergolix shares accept ID [--trust]
       hypergolix shares decline ID [--block]

Shares waiting for you (from people you do not trust yet, when sharing.accept is "ask"),
shares you accepted, and shares you sent with each recipient's answer. A waiting share shows
who sent it (their name, "${UNNAMED_CONTACT}", or "${STRANGER}") and what it is (type
and size). Needs the app daemon running.

  list              one line per share (the default); --json prints one JSON object per line:
                    {"id", "direction", "state", "from" or "to", "name", "contact" (when they
                    are in your contacts), "object", "apiId", "type", "size", "time",
                    "deletedAt" (when its author deleted the object since)}
  accept ID         ${ONCE[0]}: ${ONCE[1]}
  accept ID --trust ${TRUST[0]}: ${TRUST[1]}
  decline ID        ${DECLINE[0]}: the object is refused and the sender is told.
  decline ID --block  also block the sender: their later shares are declined without asking you.
  --root PATH       use this hypergolix.yml (or directory) instead of searching

ID is the id "list" shows for a waiting share.`;

function parse(argv: string[]) {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: {
        json: { type: 'boolean', default: false },
        trust: { type: 'boolean', default: false },
        block: { type: 'boolean', default: false },
        root: { type: 'string' },
      },
      allowPositionals: true,
      strict: true,
    });
    return { positionals, json: values.json!, trust: values.trust!, block: values.block!, root: values.root };
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${SHARES_USAGE}`);
  }
}

const HEADINGS = { waiting: 'Waiting for you', received: 'Shared with you', sent: 'Shared by you' } as const;

/** A moment as the list prints it: UTC, to the minute. */
const minute = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 16);

/** One share as `hypergolix shares` prints it. */
export function describeShare(s: ShareJson): string {
  const who = personWords(s.name, s.contact);
  const what = `${s.type}, ${sizeWords(s.size)}`;
  const when = minute(s.time);
  const deleted = s.deletedAt === undefined ? '' : `\n    ${deletedWords(s.direction, s.name, s.contact)} (${minute(s.deletedAt)})`;
  if (s.direction === 'outgoing') return `  ${s.object}  to ${who} (${s.to}) — ${s.state}, ${when}\n    ${what}${deleted}`;
  const head = s.state === 'waiting' ? `  id ${s.id}\n    from ${who} (${s.from})` : `  ${s.object}  from ${who} (${s.from})`;
  const behind = s.askedAgain === undefined ? '' : `\n    ${askedAgainWords(s.name, s.contact)} (${minute(s.askedAgain)})`;
  return `${head}\n    ${what}, ${when}${behind}${deleted}`;
}

function printList(all: ShareJson[], io: CliIO): void {
  const groups = shareGroups(all);
  for (const key of ['waiting', 'received', 'sent'] as const) {
    io.out(`${HEADINGS[key]}: ${groups[key].length === 0 ? 'none' : ''}`.trimEnd());
    for (const s of groups[key]) io.out(describeShare(s));
  }
  if (groups.waiting.length) io.out('\nAnswer with: hypergolix shares accept ID [--trust] | hypergolix shares decline ID [--block]');
}

async function run(argv: string[], io: CliIO): Promise<number> {
  const args = parse(argv);
  const [action = 'list', id, ...extra] = args.positionals;
  if (!['list', 'accept', 'decline'].includes(action)) throw new CliError(`unknown action "${action}"\n\n${SHARES_USAGE}`);
  if (action === 'list' ? id !== undefined : id === undefined || extra.length > 0) throw new CliError(`shares ${action} takes ${action === 'list' ? 'no operands' : 'one ID'}\n\n${SHARES_USAGE}`);
  if (args.trust && action !== 'accept') throw new CliError('--trust goes with accept');
  if (args.block && action !== 'decline') throw new CliError('--block goes with decline');
  if (args.json && action !== 'list') throw new CliError('--json goes with list');
  // Said here, in words: the daemon's refusal names protocol fields ("S+.id").
  const shareId = id?.trim();
  if (action !== 'list' && !shareId) throw new CliError(`shares ${action} takes the ID of a waiting share, as "hypergolix shares" lists them\n\n${SHARES_USAGE}`);
  // In the daemon's words for an ID it does not hold (sharing.ts NoSuchShare).
  if (shareId !== undefined && !Ghid.tryText(shareId)) throw new CliError(`No share ${shareId.slice(0, 12)}… is waiting`, 1);
  const link = await connectDaemon(io, args.root);
  try {
    if (action === 'list') {
      const all = (await link.call(PeopleVerb.listShares)) as ShareJson[];
      if (args.json) for (const s of all) io.out(JSON.stringify(s));
      else printList(all, io);
    } else if (action === 'accept') {
      await link.call(PeopleVerb.acceptShare, { id: shareId, trust: args.trust });
      io.out(args.trust ? 'Accepted. Their later shares arrive without asking you.' : 'Accepted once. Their next share of another object asks you again.');
    } else {
      await link.call(PeopleVerb.declineShare, { id: shareId, block: args.block });
      io.out(args.block ? 'Declined, and the sender is blocked.' : 'Declined. The sender is told.');
    }
    return 0;
  } finally {
    link.close();
  }
}

export const sharesCommand: Command = {
  name: 'shares',
  usage: SHARES_USAGE,
  run,
};
