// Is there a tray? On Linux the session bus says (a StatusNotifierWatcher); the answers of
// dbus-send and gdbus are read as data, and the policy keeps Quit in sight without one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SNI_WATCHER, detectTrayHost, noTrayPolicy, parseBusBoolean, runProgram, type RunProgram } from '../../src/main/tray-host.js';

const BUS = { DBUS_SESSION_BUS_ADDRESS: 'unix:path=/run/user/1000/bus' };

test('the bus answer as dbus-send and gdbus print it', () => {
  assert.equal(parseBusBoolean('method return time=1 sender=org.freedesktop.DBus -> destination=:1.9 serial=3 reply_serial=2\n   boolean true\n'), true);
  assert.equal(parseBusBoolean('   boolean false\n'), false);
  assert.equal(parseBusBoolean('(true,)\n'), true);
  assert.equal(parseBusBoolean('(false,)\n'), false);
  assert.equal(parseBusBoolean('Error org.freedesktop.DBus.Error.ServiceUnknown'), null);
});

test('detectTrayHost: Windows and macOS always have one; Linux asks the bus, dbus-send first, then gdbus', async () => {
  assert.equal(await detectTrayHost('win32', {}), 'present');
  assert.equal(await detectTrayHost('darwin', {}), 'present');
  const asked: string[] = [];
  const run =
    (answers: Record<string, string | null>): RunProgram =>
    async (file, args) => {
      asked.push(file);
      assert.ok(args.at(-1)!.endsWith(SNI_WATCHER), 'asks for the StatusNotifierWatcher');
      return answers[file] ?? null;
    };
  assert.equal(await detectTrayHost('linux', BUS, run({ 'dbus-send': '   boolean true\n' })), 'present');
  assert.equal(await detectTrayHost('linux', BUS, run({ 'dbus-send': '   boolean false\n' })), 'absent', 'plain GNOME');
  assert.equal(await detectTrayHost('linux', BUS, run({ gdbus: '(false,)\n' })), 'absent', 'no dbus-send: gdbus');
  assert.equal(await detectTrayHost('linux', BUS, run({})), 'unknown', 'no tool answered');
  assert.equal(await detectTrayHost('linux', {}, run({ 'dbus-send': '   boolean true\n' })), 'unknown', 'no session bus at all');
  assert.deepEqual(asked.slice(0, 4), ['dbus-send', 'dbus-send', 'dbus-send', 'gdbus']);
});

test('the real runner: a missing program is null, not a crash; output comes back', async () => {
  assert.equal(await runProgram('/nonexistent/dbus-send', []), null);
  assert.equal(await runProgram(process.execPath, ['-e', 'process.stdout.write("boolean true")']), 'boolean true');
});

test('policy: without a tray the window keeps its menu bar and closing it quits; unknown shows the menu bar only', () => {
  assert.deepEqual(noTrayPolicy('present'), { menuBar: false, quitOnClose: false });
  assert.deepEqual(noTrayPolicy('absent'), { menuBar: true, quitOnClose: true });
  assert.deepEqual(noTrayPolicy('unknown'), { menuBar: true, quitOnClose: false });
});
