// Opening a registration page: http(s) only, never through a shell. The Windows command line is
// read back with the rules of CommandLineToArgvW; on this machine a real opener (a stand-in
// xdg-open on PATH) receives hostile URLs as one argument and no shell ever sees them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UnsafeUrlError, checkOpenableUrl, openUrl, openerCommand, quoteWindowsArg, windowsCommandLine } from '../../src/host/open-url.js';

const temps: string[] = [];
test.after(() => temps.forEach((d) => rmSync(d, { recursive: true, force: true })));
const temp = () => {
  const d = mkdtempSync(join(tmpdir(), 'hgx-open-url-'));
  temps.push(d);
  return d;
};

const HOSTILE = [
  'https://evil.example/x|calc.exe',
  'https://evil.example/x^|calc.exe',
  'https://evil.example/?a=1&calc.exe&b=%PATH%',
  'https://evil.example/"&calc.exe&"',
  "https://evil.example/x'$(touch PWNED)'",
  'https://evil.example/x;touch${IFS}PWNED',
  'https://evil.example/x`touch PWNED`',
  'https://evil.example/a b\\"c\\\\',
  'https://evil.example/%^%&^&|<>!',
  'http://evil.example:8080/reg?fingerprint=Ab-_%3D&next=%2F%2E%2E',
];

/** The reading side of a Windows command line (CommandLineToArgvW, post-2008 rules), written from its documentation. */
function commandLineToArgv(line: string): string[] {
  const args: string[] = [];
  let i = 0;
  while (i < line.length) {
    while (line[i] === ' ' || line[i] === '\t') i++;
    if (i >= line.length) break;
    let arg = '';
    let quoted = false;
    for (; i < line.length; i++) {
      const ch = line[i]!;
      if (!quoted && (ch === ' ' || ch === '\t')) break;
      if (ch === '\\') {
        let n = 0;
        while (line[i] === '\\') (n++, i++);
        if (line[i] === '"') {
          arg += '\\'.repeat(Math.floor(n / 2));
          if (n % 2 === 1) arg += '"';
          else quoted = !quoted;
        } else {
          arg += '\\'.repeat(n);
          i--;
        }
      } else if (ch === '"') {
        if (quoted && line[i + 1] === '"') (arg += '"', i++);
        else quoted = !quoted;
      } else arg += ch;
    }
    args.push(arg);
  }
  return args;
}

test('only http and https pages are opened; bad input is a typed error with the reason as data', () => {
  const refused: [string, UnsafeUrlError['reason']][] = [
    ['javascript:alert(1)', 'scheme'],
    ['file:///etc/passwd', 'scheme'],
    ['ms-settings:windowsupdate', 'scheme'],
    ['\\\\evil\\share\\x.exe', 'malformed'],
    ['calc.exe', 'malformed'],
    ['https://evil.example/\nx', 'characters'],
    ['https://evil.example/\u0000', 'characters'],
  ];
  for (const [raw, reason] of refused) {
    assert.throws(() => checkOpenableUrl(raw), (e: unknown) => e instanceof UnsafeUrlError && e.reason === reason, raw);
  }
  assert.equal(checkOpenableUrl('https://hgx.example/register?fingerprint=abc'), 'https://hgx.example/register?fingerprint=abc');
});

test('Windows: rundll32 with the URL as one argument, never cmd.exe; hostile URLs come back intact', () => {
  for (const raw of HOSTILE) {
    const url = checkOpenableUrl(raw);
    assert.doesNotMatch(url, /[|^\s"<>`]/, `${raw}: shell metacharacters are encoded or refused`);
    const cmd = openerCommand(url, 'win32', { SystemRoot: 'C:\\Windows' });
    assert.equal(cmd.file, 'C:\\Windows\\System32\\rundll32.exe');
    assert.doesNotMatch(cmd.file, /cmd(\.exe)?$/i);
    assert.deepEqual(cmd.args, ['url.dll,FileProtocolHandler', url]);
    assert.ok(cmd.commandLine);
    assert.deepEqual(commandLineToArgv(cmd.commandLine!), [cmd.file, 'url.dll,FileProtocolHandler', url], raw);
    assert.equal(new URL(url).host, new URL(raw.trim()).host, 'the same site');
  }
});

test('Windows argument quoting round-trips through CommandLineToArgvW, whatever the argument', () => {
  const args = ['plain', '', 'two words', 'a"quote', 'trailing\\', 'end\\\\', 'dir with\\', '\\"', '\\\\"x', 'tab\there', '%PATH%', '^&|'];
  assert.deepEqual(commandLineToArgv(windowsCommandLine('C:\\Program Files\\x.exe', args)), ['C:\\Program Files\\x.exe', ...args]);
  assert.equal(quoteWindowsArg('https://x.example/a&b'), 'https://x.example/a&b', 'nothing to quote: no cmd.exe reads it');
});

test('macOS and Linux: open / xdg-open with the URL as one argument', () => {
  const url = checkOpenableUrl(HOSTILE[0]!);
  assert.deepEqual(openerCommand(url, 'darwin'), { file: '/usr/bin/open', args: [url] });
  assert.deepEqual(openerCommand(url, 'linux'), { file: 'xdg-open', args: [url] });
  assert.deepEqual(openerCommand(url, 'freebsd'), { file: 'xdg-open', args: [url] });
});

test('a real opener gets each hostile URL as exactly one argument, and no shell runs any of it', async () => {
  const dir = temp();
  const logs = join(dir, 'runs');
  mkdirSync(logs);
  const opener = join(dir, 'xdg-open');
  // The stand-in records its arguments (NUL-separated) in a file of its own and exits 0: runs
  // that go at once cannot interleave their records (appends to one file did, under load).
  writeFileSync(opener, `#!/bin/sh\nrecord=$(mktemp '${logs}/run.XXXXXX')\nprintf '%s\\0' "$#" "$@" > "$record.part"\nmv "$record.part" "$record.done"\n`);
  chmodSync(opener, 0o755);
  const env = { PATH: `${dir}:/usr/bin:/bin` };
  for (const raw of HOSTILE) await openUrl(raw, { platform: 'linux', env });
  const records = () => readdirSync(logs).filter((f) => f.endsWith('.done')).map((f) => readFileSync(join(logs, f), 'utf8'));
  // The openers run detached; wait (bounded) until each has written its record.
  for (let i = 0; i < 1500 && records().length < HOSTILE.length; i++) await new Promise((r) => setTimeout(r, 20));
  const runs = records().map((r) => r.split('\0').slice(0, -1));
  assert.equal(runs.length, HOSTILE.length);
  // Detached runs may finish in any order: compare as sets of argument lists.
  const expected = HOSTILE.map((raw) => JSON.stringify(['1', checkOpenableUrl(raw)])).sort();
  assert.deepEqual(runs.map((r) => JSON.stringify(r)).sort(), expected);
  assert.equal(existsSync(join(process.cwd(), 'PWNED')) || readdirSync(dir).includes('PWNED'), false, 'nothing was run');
  await assert.rejects(openUrl('file:///etc/passwd', { platform: 'linux', env }), UnsafeUrlError);
  assert.equal(records().length, HOSTILE.length, 'a refused URL starts nothing');
  await assert.rejects(openUrl('https://x.example/', { platform: 'linux', env: { PATH: join(dir, 'empty') } }), /ENOENT/);
});
