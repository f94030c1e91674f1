/**
 * The shared verbs `hypergolix start app|server` and `hypergolix stop app|server`
 * (hypergolix-reference §7): this module only dispatches; `app` is src/cli/commands/app.ts,
 * `server` is src/cli/commands/server.ts. Each is loaded only when named, so a server process
 * never loads the daemon's code, nor a daemon the server's.
 */
import { CliError, type CliIO, type Command } from '../command.js';
import { APP_START_USAGE, APP_STOP_USAGE, SERVER_START_USAGE, SERVER_STOP_USAGE } from './lifecycle-usage.js';

type Runner = (argv: string[], io: CliIO) => Promise<number>;

function dispatch(verb: 'start' | 'stop', runners: Record<'app' | 'server', () => Promise<Runner>>, usage: string): Command['run'] {
  return async (argv, io) => {
    const [what, ...rest] = argv;
    if (what === 'app' || what === 'server') return (await runners[what]())(rest, io);
    const said = what === undefined ? 'nothing' : `"${what}"`;
    throw new CliError(`${verb} what? Expected "app" or "server", got ${said}.\n\n${usage}`);
  };
}

const START_USAGE = `Usage: hypergolix start app|server [options]

  hypergolix start app      the app daemon (your account; what apps talk to)
  hypergolix start server   a persistence server (stores and relays encrypted objects)

${APP_START_USAGE}

${SERVER_START_USAGE}`;

const STOP_USAGE = `Usage: hypergolix stop app|server [options]

${APP_STOP_USAGE}

${SERVER_STOP_USAGE}`;

/** `start server --help` is the server's usage alone, not the whole of `start`'s. */
function usageOfTarget(usages: Record<'app' | 'server', string>): Command['usageOf'] {
  return ([what]) => (what === 'app' || what === 'server' ? usages[what] : null);
}

export const startCommand: Command = {
  name: 'start',
  usage: START_USAGE,
  usageOf: usageOfTarget({ app: APP_START_USAGE, server: SERVER_START_USAGE }),
  run: dispatch(
    'start',
    { app: async () => (await import('./app.js')).runAppStart, server: async () => (await import('./server.js')).runServerStart },
    START_USAGE,
  ),
};

export const stopCommand: Command = {
  name: 'stop',
  usage: STOP_USAGE,
  usageOf: usageOfTarget({ app: APP_STOP_USAGE, server: SERVER_STOP_USAGE }),
  run: dispatch(
    'stop',
    { app: async () => (await import('./app.js')).runAppStop, server: async () => (await import('./server.js')).runServerStop },
    STOP_USAGE,
  ),
};
