import { homedir as osHomedir } from 'node:os';
import { HOSTED_REMOTE, hostKey, type SharingPolicy } from '../../common/config-fields.js';
import { CONFIG_KEYS } from '../../common/config-keys.js';
import { loadConfig, updateConfig, type HypergolixConfig, type LoadedConfig } from '../../core/config/index.js';
import { readPidFile } from '../../core/process/index.js';
import { openUrl as openInBrowser } from '../../host/open-url.js';
import { CliError, type CliIO, type Command } from '../command.js';
import { HOSTED_GONE, configEdits, describeRemote, parseConfigArgs, type ConfigArgs } from './config-args.js';
import { configUsage } from './config-usage.js';
import { daemonRegistrationLink } from '../daemon-ipc.js';

/**
 * What a saved change needs to take effect: nothing more if no Hypergolix process of this config
 * runs (it is read at the next start), else a restart of the ones that do, named with their pids.
 */
function applyAdvice(config: HypergolixConfig): string {
  const processes: [name: string, pidFile: string][] = [
    ['the app daemon', config.process.pid_file],
    ['the server', config.server.pid_file],
  ];
  const running = processes.flatMap(([name, pidFile]) => {
    const state = readPidFile(pidFile);
    return state?.alive && state.pid !== null ? [`${name} (pid ${state.pid})`] : [];
  });
  if (running.length === 0) return 'The changes apply the next time Hypergolix starts.';
  const still = running.length > 1 ? 'still run with the settings they' : 'still runs with the settings it';
  return `Restart Hypergolix to apply the changes: ${running.join(' and ')} ${still} started with.`;
}

/** "ask (ask me about people I have not accepted yet)": the policy, in the settings page's words. */
function sharingText(policy: SharingPolicy): string {
  const label = CONFIG_KEYS.sharing.accept.ui.choices[policy][0];
  return `${policy} (${label.charAt(0).toLowerCase()}${label.slice(1)})`;
}

export function summary(loaded: LoadedConfig): string {
  const c = loaded.config;
  const col = (label: string, value: string) => `${(label ? label + ':' : '').padEnd(13)}${value}`;
  const lines = [col('Config file', loaded.path)];
  lines.push(...identityLines(c, col));
  if (c.user.root_secret) lines.push(col('Root secret', 'stored in this file (risky: anyone who can read it can open your account)'));
  if (c.remotes.length === 0) lines.push(col('Remotes', 'none (this computer only)'));
  c.remotes.forEach((r, i) => {
    const reg = r.registration ? `, registration: ${r.registration}` : '';
    lines.push(col(i === 0 ? 'Remotes' : '', describeRemote(r) + reg));
  });
  lines.push(col('Logging', `${c.instrumentation.verbosity}, debug ${c.instrumentation.debug ? 'on' : 'off'}`));
  lines.push(col('IPC port', `${c.process.ipc_port}${c.process.ipc_legacy_clients ? ' (legacy apps may connect without a key)' : ''}${c.process.ipc_accept_sent_key ? '' : ' (apps must prove the key without sending it: hgx SDK 0.3)'}`));
  lines.push(col('Server', `${describeRemote({ host: c.server.host, port: c.server.port })}${c.desktop.embedded_server ? ' (run by the desktop app)' : ''}`));
  if (c.server.public_names.length) lines.push(col('', `public names: ${c.server.public_names.join(', ')}`));
  const blocked = c.sharing.block.length ? `; ${c.sharing.block.length} blocked` : '';
  lines.push(col('Sharing', sharingText(c.sharing.accept) + blocked));
  return lines.join('\n');
}

function identityLines(c: HypergolixConfig, col: (l: string, v: string) => string): string[] {
  const { fingerprint, user_id } = c.user;
  if (!fingerprint && !user_id) return [col('Account', 'no account yet (create one with "hypergolix start app" or the desktop app)')];
  return [col('Fingerprint', fingerprint?.text ?? '(not recorded)'), col('User ID', user_id?.text ?? '(not recorded)')];
}

export interface ConfigCommandDeps {
  /**
   * Opens a URL in the user's browser. Default: src/host/open-url.ts (xdg-open, open, or
   * rundll32's URL handler; never a shell; http(s) only). A throw or rejection is reported
   * as a warning: the URL is printed anyway.
   */
  openUrl?: (url: string, platform: NodeJS.Platform) => void | Promise<void>;
  /** Whether stdout is a terminal (a script piping the output should not get a browser). */
  stdoutIsTTY?: () => boolean;
  /** Default process.platform. */
  platform?: NodeJS.Platform;
  /** The machine-wide config directory searched after the home directory. Default /etc/hypergolix. */
  systemDir?: string;
  /** Asks the running daemon for a signed registration link. Default: over its IPC port. */
  registrationLink?: (loaded: LoadedConfig, remote: string) => Promise<string>;
}

/** Opens the page without a shell, http(s) only (src/host/open-url.ts); a failure is the caller's to report. */
function defaultOpenUrl(url: string, platform: NodeJS.Platform): Promise<void> {
  return openInBrowser(url, { platform });
}

function displayAvailable(platform: NodeJS.Platform, env: NodeJS.ProcessEnv): boolean {
  if (platform === 'darwin' || platform === 'win32') return true;
  return Boolean(env['DISPLAY'] || env['WAYLAND_DISPLAY']);
}

/** What a save of these flags did, in words, in flag order, against the file as it was before. */
function changeNotes(p: ConfigArgs, before: LoadedConfig): string[] {
  const configured = (r: { host: string; port: number }) => before.config.remotes.find((x) => x.port === r.port && hostKey(x.host) === hostKey(r.host));
  return p.notes.flatMap((n): string[] => {
    switch (n.kind) {
      case 'add': {
        const there = configured(n.remote);
        const said = !there
          ? `Added remote ${describeRemote(n.remote)}.`
          : there.tls === n.remote.tls
            ? `Remote ${describeRemote(there)} is already configured.`
            : `Remote ${describeRemote({ host: there.host, port: there.port })} now connects ${n.remote.tls ? 'with' : 'without'} TLS.`;
        return [said, ...n.extra];
      }
      case 'remove':
        return [configured(n.remote) ? `Removed remote ${describeRemote(n.remote)}.` : `Remote ${describeRemote(n.remote)} is not configured; nothing to remove.`];
      case 'only':
        return p.only === 'local' ? ['Removed all remotes: Hypergolix keeps everything on this computer.'] : [`Remotes set to ${describeRemote(HOSTED_REMOTE)} only.`, HOSTED_GONE];
      case 'verbosity':
        return [`Verbosity set to ${p.verbosity}.`];
      case 'debug':
        return [`Debug mode ${p.debug ? 'on' : 'off'}.`];
      case 'ipcPort':
        return [`IPC port set to ${p.ipcPort}.`];
      case 'sharing':
        return [`Sharing policy set to ${sharingText(p.sharing!)}.`];
      case 'publicNames':
        return [p.publicNames!.length ? `Server public names set to ${p.publicNames!.join(', ')}.` : 'Server public names cleared: registration challenges are given under any name.'];
    }
  });
}

/** --whoami: exit status 1 without an account. */
function whoami(loaded: LoadedConfig, io: CliIO): number {
  const { fingerprint, user_id } = loaded.config.user;
  if (!fingerprint && !user_id) {
    io.out('No account yet: create one with "hypergolix start app" or the desktop app.');
    return 1;
  }
  io.out(`Fingerprint: ${fingerprint?.text ?? '(not recorded)'}`);
  io.out(`User ID:     ${user_id?.text ?? '(not recorded)'}`);
  return 0;
}

/**
 * --register: the link to the first remote's registration page, printed and opened where a
 * person can see it. A remote whose entry names a `registration:` page gets that page with the
 * fingerprint (a hosted sign-up elsewhere); otherwise the running daemon fetches a challenge
 * from the remote's own page and signs it with the account, so the page registers this
 * account and no other.
 */
async function register(loaded: LoadedConfig, io: CliIO, open: (url: string) => Promise<void>, signedLink: (loaded: LoadedConfig, remote: string) => Promise<string>): Promise<void> {
  const fingerprint = loaded.config.user.fingerprint;
  if (!fingerprint) {
    throw new CliError('no account yet, so there is no fingerprint to register; create one first with "hypergolix start app" or the desktop app', 1);
  }
  const remote = loaded.config.remotes.find((r) => r.registration) ?? loaded.config.remotes[0];
  if (!remote) {
    throw new CliError('no remote is configured, so there is nowhere to register (add one with --add-remote). Servers you run yourself need no registration.', 1);
  }
  let href: string;
  if (remote.registration) {
    const url = new URL(remote.registration);
    url.searchParams.set('fingerprint', fingerprint.text);
    href = url.href;
  } else {
    href = await signedLink(loaded, `${remote.host}:${remote.port}`);
  }
  io.out(`Register this account with ${describeRemote(remote)} at:\n  ${href}`);
  await open(href);
}

export function createConfigCommand(deps: ConfigCommandDeps = {}): Command {
  const platform = deps.platform ?? process.platform;
  const openUrl = deps.openUrl ?? defaultOpenUrl;
  const stdoutIsTTY = deps.stdoutIsTTY ?? (() => Boolean(process.stdout.isTTY));

  /** Finds (or creates) the file and tells the user what happened to it on the way. */
  async function load(p: ConfigArgs, io: CliIO): Promise<LoadedConfig> {
    const loaded = await loadConfig({
      root: p.root,
      create: true,
      env: io.env,
      cwd: io.cwd,
      homedir: io.env['HOME'] || io.env['USERPROFILE'] || osHomedir(),
      platform,
      ...(deps.systemDir !== undefined ? { systemDir: deps.systemDir } : {}),
    });
    if (loaded.created) io.out(`Welcome to Hypergolix! Created a new configuration file: ${loaded.path}`);
    if (loaded.migratedFrom) io.out(`Converted the 2016 configuration to ${loaded.path}; the original is kept as ${loaded.migratedFrom}.`);
    for (const w of loaded.warnings) io.err(`warning: ${w.message}`);
    return loaded;
  }

  return {
    name: 'config',
    usage: configUsage(),
    async run(argv: string[], io: CliIO): Promise<number> {
      const p = parseConfigArgs(argv);
      const change = configEdits(p);
      let loaded = await load(p, io);
      if (change) {
        const before = loaded;
        const notes = changeNotes(p, before);
        loaded = await updateConfig(before, change);
        for (const n of notes) io.out(n);
        // What the change itself brought (a port now shared with the server's, a secret written in plain text).
        const had = new Set(before.warnings.map((w) => `${w.code} ${w.field}`));
        for (const w of loaded.warnings) if (!had.has(`${w.code} ${w.field}`)) io.err(`warning: ${w.message}`);
        if (loaded.text === before.text && !before.legacy) io.out(`Nothing changed in ${loaded.path}.`);
        else io.out(`Saved ${loaded.path}. ${applyAdvice(loaded.config)}`);
      }
      if (p.whoami && whoami(loaded, io) !== 0) return 1;
      if (p.register) {
        await register(loaded, io, async (url) => {
          if (!stdoutIsTTY() || !displayAvailable(platform, io.env)) return;
          try {
            io.out('Opening it in your browser.');
            await openUrl(url, platform);
          } catch (err) {
            // The URL is printed; a missing opener or a refused URL is worth a line, not a failure.
            io.err(`warning: the page was not opened: ${err instanceof Error ? err.message : String(err)}`);
          }
        }, deps.registrationLink ?? daemonRegistrationLink);
      }
      if (!change && !p.whoami && !p.register) io.out(summary(loaded));
      return 0;
    },
  };
}

export const configCommand: Command = createConfigCommand();
