import { createInterface } from 'node:readline';
import { CliError, type CliIO } from './command.js';

/** Asks for a password on the terminal without echoing it. */
export function promptHidden(question: string, io: CliIO): Promise<string> {
  if (!io.isTTY) throw new CliError('No terminal to ask for the password on; pass it with --password-stdin');
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
    rl.question(question, (answer) => {
      process.stderr.write('\n');
      rl.close();
      resolve(answer);
    });
    rl.on('SIGINT', () => {
      rl.close();
      reject(new CliError('Cancelled', 130));
    });
  });
}

/** Reads a password from standard input (first line; for scripts). */
export async function readPasswordStdin(io: CliIO): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(Buffer.from(chunk as Buffer));
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (line.length === 0) throw new CliError('--password-stdin: standard input held no password');
  return line;
}

/** Asks twice for a new password, with the warnings a new account needs. */
export async function promptNewPassword(io: CliIO): Promise<string> {
  io.err('Choose a password for your new Hypergolix account.');
  io.err('It protects your keys and cannot be recovered: if you lose it, your account is lost.');
  for (let attempt = 0; attempt < 3; attempt++) {
    const first = await promptHidden('Password: ', io);
    if (first.length < 8) {
      io.err('Use at least 8 characters.');
      continue;
    }
    const second = await promptHidden('Same password again: ', io);
    if (first === second) return first;
    io.err('The passwords differ; try again.');
  }
  throw new CliError('No password chosen', 1);
}
