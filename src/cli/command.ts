/** What every CLI command module exports. */
export interface Command {
  /** e.g. "inspect", "start", "config". */
  name: string;
  /** One line for the command list in `hypergolix --help`. */
  summary: string;
  /** Full usage text printed by `hypergolix <name> --help`. */
  usage: string;
  /** Runs the command; resolves to the process exit status. */
  run(argv: string[], io: CliIO): Promise<number>;
}

/** The streams a command talks to; tests pass their own. */
export interface CliIO {
  out(text: string): void;
  err(text: string): void;
  stdin: NodeJS.ReadableStream;
  isTTY: boolean;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

/** A user-facing CLI failure: printed as `hypergolix: <message>` with the given exit status. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function processIO(): CliIO {
  return {
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : t + '\n'),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : t + '\n'),
    stdin: process.stdin,
    isTTY: Boolean(process.stdin.isTTY),
    env: process.env,
    cwd: process.cwd(),
  };
}
