import { createInterface } from 'node:readline';
import { passwordRefusal, type PasswordRuleOptions } from '../common/password-rule.js';
import { CliError, type CliIO } from './command.js';

/** Asks for a password on the terminal without echoing it. */
export function promptHidden(question: string, io: CliIO, flag = '--password-stdin'): Promise<string> {
  if (!io.isTTY) throw new CliError(`No terminal to ask on; pass it with ${flag}`);
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: io.stdin, output: process.stderr, terminal: true });
    const out = rl as unknown as { _writeToOutput: (s: string) => void; output: NodeJS.WritableStream };
    let asked = false;
    out._writeToOutput = (s: string) => {
      // Show the question once; swallow every echoed keystroke.
      if (!asked) {
        asked = true;
        process.stderr.write(s);
      }
    };
    let settled = false;
    rl.question(question, (answer) => {
      settled = true;
      process.stderr.write('\n');
      rl.close();
      resolve(answer);
    });
    rl.on('SIGINT', () => {
      settled = true;
      rl.close();
      reject(new CliError('Cancelled', 130));
    });
    // Ctrl-D on an empty line (or the terminal going away) closes the prompt without an answer:
    // without this the command would wait for ever, a daemon started meanwhile waiting with it.
    rl.on('close', () => {
      if (settled) return;
      settled = true;
      process.stderr.write('\n');
      reject(new CliError('Nothing was entered: the input ended (Ctrl-D)', 1));
    });
  });
}

/** What standard input may hold before its lines end: passwords and keys, not files. */
const MAX_STDIN_CHARS = 64 * 1024;

/**
 * Reads the first `count` lines of standard input, without waiting for it to close: a script
 * may keep the pipe open (`(echo pw; sleep 600) | hypergolix start app --password-stdin`).
 * Stops reading once it has them, so an open pipe does not keep the process alive.
 */
export function readStdinLines(io: CliIO, count: number, flag = '--password-stdin'): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let text = '';
    // Strict UTF-8, across chunk boundaries (a character split between two reads stays whole);
    // a byte-order mark at the start is dropped.
    const decoder = new TextDecoder('utf-8', { fatal: true });
    const decode = (chunk?: Buffer | string): boolean => {
      try {
        text += typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: chunk !== undefined });
      } catch {
        finish(new CliError(`${flag}: standard input is not UTF-8 text`, 2));
        return false;
      }
      if (text.length <= MAX_STDIN_CHARS) return true;
      finish(new CliError(`${flag}: standard input is too long (more than ${MAX_STDIN_CHARS} characters before ${count === 1 ? 'its line ends' : `its ${count} lines end`})`, 2));
      return false;
    };
    const lines = () => text.split(/\r?\n/);
    const finish = (result: string[] | Error) => {
      io.stdin.off('data', onData).off('end', onEnd).off('error', onError);
      io.stdin.pause();
      (io.stdin as Partial<{ unref(): void }>).unref?.();
      if (result instanceof Error) reject(result);
      else resolve(result);
    };
    const onData = (chunk: Buffer | string) => {
      if (!decode(chunk)) return;
      if (lines().length > count) finish(lines().slice(0, count));
    };
    const onEnd = () => {
      if (!decode()) return;
      const got = lines().slice(0, count);
      const missing = got.length < count || got.some((l) => l.length === 0);
      finish(missing ? new CliError(`${flag}: standard input held ${count === 1 ? 'no line' : `fewer than ${count} lines`}`) : got);
    };
    const onError = (err: Error) => finish(new CliError(`${flag}: could not read standard input: ${err.message}`));
    io.stdin.on('data', onData).on('end', onEnd).on('error', onError);
    io.stdin.resume();
  });
}

/** Reads a password from standard input: its first line (for scripts). */
export async function readPasswordStdin(io: CliIO): Promise<string> {
  const [line] = await readStdinLines(io, 1);
  if (!line) throw new CliError('--password-stdin: standard input held no password');
  return line;
}

/** Refuses a new password the account's one rule does not accept, saying why. */
export function checkNewPassword(password: string, options: PasswordRuleOptions = {}): string {
  const refusal = passwordRefusal(password, options);
  if (refusal) throw new CliError(`${refusal}${options.allowWeak ? '' : ' (a script may pass --allow-weak-password to skip the strength check)'}`);
  return password;
}

/** Asks twice for a new password, with the warnings a new account needs. */
export async function promptNewPassword(io: CliIO, intro: string[] = NEW_ACCOUNT_INTRO): Promise<string> {
  for (const line of intro) io.err(line);
  for (let attempt = 0; attempt < 3; attempt++) {
    const first = await promptHidden('New password: ', io);
    const refusal = passwordRefusal(first);
    if (refusal) {
      io.err(refusal);
      continue;
    }
    const second = await promptHidden('Same password again: ', io);
    if (first === second) return first;
    io.err('The passwords differ; try again.');
  }
  throw new CliError('No password chosen', 1);
}

const NEW_ACCOUNT_INTRO = [
  'Choose a password for your new Hypergolix account.',
  'It protects your keys: write it down and keep it somewhere safe.',
];
