/** `hypergolix account recovery-kit`: make the account's recovery kit (issue #13, "Recovery kit"). */
import { constants } from 'node:fs';
import { access, lstat, open, stat } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { parseArgs } from '../args.js';
import { recoveryKitPage } from '../../common/recovery-kit-page.js';
import { loadConfig } from '../../core/config/index.js';
import { writeFileAtomic } from '../../core/util/atomic-write.js';
import { CliError, type CliIO } from '../command.js';
import { promptHidden, readPasswordStdin } from '../prompt.js';
import { whileDaemonStopped } from './account-offline.js';

export const RECOVERY_KIT_USAGE = `Usage: hypergolix account recovery-kit [--out FILE] [--password-stdin] [--root PATH]

Makes a recovery kit for the account hypergolix.yml names, after asking for its password: a
page to print or save as PDF (FILE, by default hypergolix-recovery-kit.html here, readable by
you only) with the user ID, the fingerprint, the remotes and a recovery key. The recovery key
is also printed alone on the last line. It is shown this once and kept nowhere: with it,
"hypergolix account recover" sets a new password when the old one is lost. A new kit replaces
the previous one: its key opens nothing afterwards. A running app daemon is stopped for this
and started again.

  --out FILE          where to write the page
  --password-stdin    read the password from the first line of standard input
  --root PATH         use this hypergolix.yml (or directory) instead of searching`;

const remoteText = (r: { host: string; port: number; tls: boolean }): string => `${r.host}:${r.port}${r.tls ? ':tls' : ''}`;

export async function runAccountRecoveryKit(argv: string[], io: CliIO): Promise<number> {
  let values: { out?: string; 'password-stdin'?: boolean; root?: string };
  try {
    ({ values } = parseArgs({ args: argv, options: { out: { type: 'string' }, 'password-stdin': { type: 'boolean' }, root: { type: 'string' } }, strict: true }));
    if (values.out === '') throw new Error('--out needs a file name');
  } catch (err) {
    throw new CliError(`${(err as Error).message}\n\n${RECOVERY_KIT_USAGE}`);
  }
  const loaded = await loadConfig({ root: values.root, env: io.env, cwd: io.cwd });
  if (!loaded.config.user.user_id) throw new CliError(`${loaded.path} names no account: create one with "hypergolix start app" or sign in with "hypergolix account login"`, 1);
  const out = resolve(io.cwd, values.out ?? 'hypergolix-recovery-kit.html');
  // resolve() drops a trailing "/" (or "/."): "--out kits/" would become a file named "kits".
  const last = values.out?.split(/[/]/).pop();
  if (values.out !== undefined && (last === '' || last === '.' || last === '..' || values.out.endsWith(sep))) {
    throw new CliError(`Cannot write the recovery kit to ${values.out}: it names a folder: give the file's name too, such as ${join(out, 'hypergolix-recovery-kit.html')}. Nothing was changed.`, 2);
  }
  await checkPlaceForPage(out);
  const password = values['password-stdin'] ? await readPasswordStdin(io) : await promptHidden('Password of this account: ', io);

  const kit = await whileDaemonStopped({
    loaded,
    io,
    credentials: { password },
    wrongPassword: 'Incorrect password: it does not open this account.',
    change: async (account) => ({ key: await account.makeRecoveryKey(), userId: account.userId.text, fingerprint: account.fingerprint.text }),
    restartWith: () => password,
    byRoot: values.root !== undefined,
  });
  const page = recoveryKitPage({ ...kit, key: kit.key.text, remotes: loaded.config.remotes.map(remoteText), made: new Date() });
  let wrote = true;
  try {
    await writeFileAtomic(out, Buffer.from(page), { mode: 0o600 });
    io.out(`Wrote the recovery kit to ${out}: print it or save it as a PDF, keep it safe, then delete the file.`);
  } catch (err) {
    wrote = false;
    io.err(`Could not write ${out} (${(err as Error).message}); the key below is the kit's: write it down now.`);
  }
  io.out('A previous recovery key, if there was one, opens nothing any more. The recovery key (shown this once):');
  io.out(kit.key.text);
  return wrote ? 0 : 1;
}

/**
 * Refuses a page that could not be written before the password is asked, the daemon stopped and
 * the old key replaced: a typo in --out should change nothing. (A write can still fail later, on
 * a full disk; then the key is printed for the user to write down.)
 */
async function checkPlaceForPage(out: string): Promise<void> {
  const refuse = (why: string): never => {
    throw new CliError(`Cannot write the recovery kit to ${out}: ${why}. Nothing was changed.`, 2);
  };
  const dir = dirname(out);
  const place = await stat(dir).catch((err: NodeJS.ErrnoException) => refuse(err.code === 'ENOENT' ? `${dir} does not exist` : err.message));
  if (!place.isDirectory()) refuse(`${dir} is not a directory`);
  // Never through a link, never over another file: only an earlier kit (whose key the new one revokes) is replaced.
  const existing = await lstat(out).catch(() => null);
  if (existing?.isDirectory()) refuse('it is a directory');
  if (existing?.isSymbolicLink()) refuse('it is a symbolic link');
  if (existing && !existing.isFile()) refuse('something other than a file is there');
  if (existing && !(await isRecoveryKit(out))) refuse('a file that is not a recovery kit is there; choose another --out or move it');
  await access(dir, constants.W_OK).catch((err: NodeJS.ErrnoException) => refuse(err.code === 'EROFS' ? `${dir} is on a read-only file system` : `${dir} is not writable by you`));
}

/** Whether the file is a recovery kit page this command wrote (its title tells, within its first bytes). */
async function isRecoveryKit(path: string): Promise<boolean> {
  const fh = await open(path, 'r').catch(() => null);
  if (!fh) return false;
  try {
    const { buffer, bytesRead } = await fh.read(Buffer.alloc(4096), 0, 4096, 0);
    return buffer.toString('utf8', 0, bytesRead).includes('<title>Hypergolix recovery kit</title>');
  } finally {
    await fh.close();
  }
}
