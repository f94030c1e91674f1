/**
 * The shared verbs `hypergolix start app|server` and `hypergolix stop app|server`
 * (hypergolix-reference §7): this module only dispatches; `app` is src/cli/commands/app.ts,
 * `server` is src/cli/commands/server.ts.
 */
import { CliError, type CliIO, type Command } from '../command.js';
import { APP_START_USAGE, APP_STOP_USAGE, runAppStart, runAppStop } from './app.js';
import { SERVER_START_USAGE, SERVER_STOP_USAGE, runServerStart, runServerStop } from './server.js';

type Runner = (argv: string[], io: CliIO) => Promise<number>;

function dispatch(verb: 'start' | 'stop', runners: Record<'app' | 'server', Runner>, usage: string): Command['run'] {
  return async (argv, io) => {
    const [what, ...rest] = argv;
    if (what === 'app' || what === 'server') return runners[what](rest, io);
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

export const startCommand: Command = {
  name: 'start',
  summary: 'start the app daemon or the persistence server (start app | start server)',
  usage: START_USAGE,
  run: dispatch('start', { app: runAppStart, server: runServerStart }, START_USAGE),
};

export const stopCommand: Command = {
  name: 'stop',
  summary: 'stop the app daemon or the persistence server (stop app | stop server)',
  usage: STOP_USAGE,
  run: dispatch('stop', { app: runAppStop, server: runServerStop }, STOP_USAGE),
};
