#!/usr/bin/env node
// Shared notes in a terminal: two users, each running this against their own Hypergolix daemon,
// write notes, share them with each other, and see edits arrive live.
//
//   node main.mjs [--port 7772] [--token-file <home>/ipc-token] [--state-dir DIR]
//
// The app's token (which keeps its notes across restarts) is kept in DIR, one file per account
// ($XDG_CONFIG_HOME/hypergolix-shared-notes, else ~/.config/hypergolix-shared-notes).
//
// Commands, one a line:  new <text> · edit <ghid> <text> · share <ghid> <fingerprint> · list · sync · whoami · quit
// Everything the app says is one JSON object a line on stdout ({"type": …}), so other programs
// (and the test of this example) can drive it.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { HGXLink } from '@hypergolix/hgx';
import { Notes } from './notes.js';

const { values } = parseArgs({ options: { port: { type: 'string' }, 'token-file': { type: 'string' }, 'state-dir': { type: 'string' } } });
const say = (event) => process.stdout.write(`${JSON.stringify(event)}\n`);

let link;
try {
  link = await HGXLink.connect({
    ...(values.port ? { port: Number(values.port) } : {}),
    ...(values['token-file'] ? { tokenFile: values['token-file'] } : {}),
  });
} catch (err) {
  // No daemon, no or a wrong key, a daemon of another protocol, or a bad option: the message says which.
  say({ type: 'error', error: err.name, message: err.message });
  process.exit(1);
}
link.on('disconnected', (reason) => say({ type: 'disconnected', reason }));
link.on('reconnected', () => say({ type: 'reconnected' }));
// The app token is a key to this app's private objects: a file only this user can read.
const stateDir = values['state-dir'] ?? join(process.env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'hypergolix-shared-notes');
const appTokenFile = join(stateDir, `${link.whoami}.token`);
let appToken;
try {
  appToken = readFileSync(appTokenFile, 'utf8').trim() || undefined;
} catch (err) {
  if (err.code !== 'ENOENT') say({ type: 'error', error: err.code, message: `Cannot read ${appTokenFile}: ${err.message}` });
}
let notes;
try {
  notes = await Notes.open(link, { keep: true, token: appToken });
} catch (err) {
  if (err.codeName !== 'UnknownToken') {
    // Most likely this app runs already for this account (a token serves one connection).
    say({ type: 'error', error: err.codeName ?? err.name, message: `${err.message}; this run does not keep its notes` });
    notes = await Notes.open(link);
  } else {
    // The daemon's account no longer knows the token (its home was made anew): start a new list.
    say({ type: 'error', error: err.codeName, message: `${err.message}; starting a new list of notes` });
    appToken = undefined;
    notes = await Notes.open(link, { keep: true });
  }
}
if (!appToken && link.token) {
  try {
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    writeFileSync(appTokenFile, `${link.token}\n`, { mode: 0o600 });
  } catch (err) {
    say({ type: 'error', error: err.code, message: `Cannot keep the app's token in ${appTokenFile} (the notes will not open again after a restart): ${err.message}` });
  }
}
notes.onChange((event) => {
  // Our own create/edit are answered below; the rest arrive on their own.
  if (event.type !== 'created' && event.type !== 'edited') say(event);
});

// Whether the notes have reached the servers: told when it changes (a server going away, edits
// waiting for it, all sent), from the daemon's status.
const syncOf = (status) => ({
  type: 'sync',
  online: status.remotes.length > 0 && status.remotes.some((r) => r.connected),
  waiting: Math.max(0, ...status.remotes.map((r) => r.waiting)),
});
let lastSync = '';
const tellSync = (status) => {
  const sync = syncOf(status);
  if (JSON.stringify(sync) !== lastSync) say(sync);
  lastSync = JSON.stringify(sync);
};
link.on('status', tellSync);
try {
  lastSync = JSON.stringify(syncOf(await link.watchStatus()));
} catch (err) {
  say({ type: 'error', error: err.name, message: `Cannot follow whether the notes are synced: ${err.message}` });
}
say({ type: 'ready', whoami: link.whoami });

const commands = {
  new: (rest) => notes.create(rest),
  edit: (rest) => {
    const [ghid, ...text] = rest.split(' ');
    return notes.edit(ghid, text.join(' '));
  },
  share: async (rest) => {
    const [ghid, fingerprint] = rest.split(' ');
    await notes.share(ghid, fingerprint);
    return { type: 'sharing', ghid, with: fingerprint };
  },
  list: () => ({ type: 'list', notes: notes.list() }),
  sync: async () => syncOf(await link.status()),
  whoami: () => ({ type: 'whoami', whoami: link.whoami }),
};

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  const [cmd, ...rest] = line.trim().split(' ');
  if (!cmd) continue;
  if (cmd === 'quit') break;
  const run = commands[cmd];
  if (!run) {
    say({ type: 'error', error: 'UnknownCommand', message: `Unknown command ${cmd}: new, edit, share, list, sync, whoami, quit` });
    continue;
  }
  try {
    say(await run(rest.join(' ')));
  } catch (err) {
    say({ type: 'error', error: err.name, message: err.message });
  }
}
await link.close();
