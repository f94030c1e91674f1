import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mergeSettings } from '../../src/common/settings-merge.js';

const base = { process: { ipc_port: 7772, legacy: false }, instrumentation: { verbosity: 'info', debug: false }, remotes: [{ host: 'a.example', port: 7770, tls: true }] };
const copy = () => structuredClone(base);

test('only what the form changed is written: a change made elsewhere meanwhile is kept', () => {
  const mine = copy();
  mine.instrumentation.debug = true;
  const now = copy();
  now.instrumentation.verbosity = 'debug';
  now.remotes.push({ host: 'b.example', port: 7770, tls: false });
  const { merged, conflicts } = mergeSettings(base, mine, now);
  assert.deepEqual(conflicts, []);
  assert.deepEqual(merged, { ...now, instrumentation: { verbosity: 'debug', debug: true } });
});

test('a field changed in both to different values is a conflict (a remote changed here and changed, under its name, there); to the same value it is not', () => {
  const mine = copy();
  mine.instrumentation.verbosity = 'error';
  mine.remotes[0]!.port = 7771;
  mine.process.legacy = true;
  const now = copy();
  now.instrumentation.verbosity = 'warning';
  now.remotes[0]!.tls = false;
  now.process.legacy = true;
  const { merged, conflicts } = mergeSettings(base, mine, now);
  assert.deepEqual(conflicts.sort(), ['instrumentation.verbosity', 'remotes']);
  assert.equal(merged.process.legacy, true);
  // The merged value of a conflict is the form's: what "keep my edits" puts in the form.
  assert.equal(merged.instrumentation.verbosity, 'error');
  assert.deepEqual(merged.remotes, mine.remotes);
});

test('nothing changed anywhere, or only in the form: the form wins whole; keys only one side has are kept', () => {
  assert.deepEqual(mergeSettings(base, copy(), copy()), { merged: base, conflicts: [] });
  const mine = copy();
  mine.process.ipc_port = 7800;
  assert.deepEqual(mergeSettings(base, mine, copy()), { merged: mine, conflicts: [] });
  const newer = { ...copy(), desktop: { start_at_login: true } };
  assert.deepEqual(mergeSettings(base, mine, newer).merged, { ...mine, desktop: { start_at_login: true } }, 'a key the form never had (a newer host) is kept');
});

const remote = (host: string, port = 7770, tls = false) => ({ host, port, tls });

test('remotes merge by entry: one added in each window keeps both; one removed on one side goes; the order of the file is kept', () => {
  const b = { remotes: [remote('a.example'), remote('b.example')] };
  const mine = { remotes: [remote('a.example'), remote('b.example'), remote('mine.example')] };
  const now = { remotes: [remote('a.example'), remote('b.example'), remote('theirs.example')] };
  assert.deepEqual(mergeSettings(b, mine, now), { merged: { remotes: [remote('a.example'), remote('b.example'), remote('theirs.example'), remote('mine.example')] }, conflicts: [] });

  const removedHere = { remotes: [remote('b.example')] };
  assert.deepEqual(mergeSettings(b, removedHere, now).merged, { remotes: [remote('b.example'), remote('theirs.example')] });
  const tlsHere = { remotes: [remote('a.example', 7770, true), remote('b.example')] };
  assert.deepEqual(mergeSettings(b, tlsHere, now).merged, { remotes: [remote('a.example', 7770, true), remote('b.example'), remote('theirs.example')] });
  // Added on both sides alike: once.
  assert.deepEqual(mergeSettings(b, now, now).merged, now);
});

test('remotes conflict when an entry changed differently on both sides, changed on one and removed on the other, added twice differently, or reordered on both differently', () => {
  const b = { remotes: [remote('a.example'), remote('b.example')] };
  const tls = { remotes: [remote('a.example', 7770, true), remote('b.example')] };
  const gone = { remotes: [remote('b.example')] };
  const addedTls = { remotes: [...b.remotes, remote('c.example', 7770, true)] };
  const addedPlain = { remotes: [...b.remotes, remote('c.example')] };
  for (const [mine, now] of [[tls, gone], [gone, tls], [addedTls, addedPlain]] as const) {
    assert.deepEqual(mergeSettings(b, mine, now).conflicts, ['remotes'], JSON.stringify({ mine, now }));
  }
  const three = { remotes: [remote('a.example'), remote('b.example'), remote('c.example')] };
  const reorderedHere = { remotes: [remote('b.example'), remote('a.example'), remote('c.example')] };
  const reorderedThere = { remotes: [remote('a.example'), remote('c.example'), remote('b.example')] };
  assert.deepEqual(mergeSettings(three, reorderedHere, reorderedThere).conflicts, ['remotes']);
});

test('remotes reordered on one side (a hand edit) keep that order while the other side adds, removes or changes entries; reordered alike on both, no conflict', () => {
  const three = { remotes: [remote('a.example'), remote('b.example'), remote('c.example')] };
  const reordered = { remotes: [remote('c.example'), remote('a.example'), remote('b.example')] };
  const added = { remotes: [...three.remotes, remote('d.example')] };
  const expected = { remotes: [remote('c.example'), remote('a.example'), remote('b.example'), remote('d.example')] };
  // Reordered in the file, added in the form; and the other way round.
  assert.deepEqual(mergeSettings(three, added, reordered), { merged: expected, conflicts: [] });
  assert.deepEqual(mergeSettings(three, reordered, added), { merged: expected, conflicts: [] });
  // Reordered on one side, one removed and one changed on the other.
  const changed = { remotes: [remote('a.example', 7770, true), remote('c.example')] };
  assert.deepEqual(mergeSettings(three, changed, reordered), { merged: { remotes: [remote('c.example'), remote('a.example', 7770, true)] }, conflicts: [] });
  assert.deepEqual(mergeSettings(three, reordered, changed), { merged: { remotes: [remote('c.example'), remote('a.example', 7770, true)] }, conflicts: [] });
  // The same new order on both sides.
  assert.deepEqual(mergeSettings(three, reordered, { remotes: [...reordered.remotes, remote('d.example')] }), { merged: { remotes: [...reordered.remotes, remote('d.example')] }, conflicts: [] });
});
