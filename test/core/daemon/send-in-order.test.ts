// The outbox's sending order with a scripted publish: a window of answers awaited at once, answers
// taken in order, frames of one binding one at a time, and after a "later" answer nothing more
// sent and no refusal taken as final.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SEND_WINDOW, sendInOrder, type SendHooks } from '../../../src/core/daemon/send-in-order.js';
import type { GolixObject } from '../../../src/core/golix/index.js';
import { vectors } from '../../fixtures/remote/setup.js';

type Answer = 'ok' | 'later' | 'refused';

/** A publish answered by hand; records what was sent, what was settled, and how many awaited at once. */
function scripted(answerOf: (raw: Buffer) => Answer) {
  const sent: Buffer[] = [];
  const settled: [string, string][] = [];
  const waiting: (() => void)[] = [];
  let awaiting = 0;
  let most = 0;
  const hooks: SendHooks = {
    publish: (raw) => {
      sent.push(raw);
      most = Math.max(most, ++awaiting);
      return new Promise((resolve, reject) =>
        waiting.push(() => {
          awaiting--;
          const a = answerOf(raw);
          if (a === 'ok') resolve(undefined);
          else reject(new Error(a));
        }),
      );
    },
    connected: () => true,
    accepted: (ghid) => void settled.push([ghid, 'accepted']),
    refused: (ghid, _raw, err) => {
      settled.push([ghid, (err as Error).message]);
      return (err as Error).message === 'later';
    },
  };
  /** Answers every publish waiting, oldest first, until `done` settles. */
  const answerAll = async (done: Promise<void>) => {
    let finished = false;
    void done.then(() => (finished = true));
    while (!finished) {
      await new Promise((r) => setImmediate(r));
      waiting.splice(0).forEach((answer) => answer());
    }
  };
  return { hooks, sent, settled, most: () => most, answerAll };
}

const item = (o: GolixObject): [string, Buffer] => [o.ghid.text, o.raw];

test(`up to ${SEND_WINDOW} publishes await their answers at once; answers are taken in the order sent`, async () => {
  const objects = vectors().all.filter((o) => o.obj.type !== 'GOBD').slice(0, SEND_WINDOW + 4).map((o) => o.obj);
  assert.equal(objects.length, SEND_WINDOW + 4);
  const s = scripted(() => 'ok');
  const done = sendInOrder(objects.map(item), s.hooks);
  await s.answerAll(done);
  assert.equal(s.most(), SEND_WINDOW);
  assert.deepEqual(s.settled, objects.map((o) => [o.ghid.text, 'accepted']));
});

test('frames of one binding go one at a time; other objects go alongside', async () => {
  const v = vectors();
  const frames = v.frames.map((f) => f.obj).filter((f) => f.type === 'GOBD' && f.dynamic.equals(v.dynamic));
  const [first, second] = frames as [GolixObject, GolixObject];
  const other = v.gidcs[0]!.obj;
  const s = scripted(() => 'ok');
  const done = sendInOrder([first, other, second].map(item), s.hooks);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(s.sent, [first.raw, other.raw], 'the second frame waits for the first one\'s answer');
  await s.answerAll(done);
  assert.deepEqual(s.sent, [first.raw, other.raw, second.raw]);
});

test('after a "later" answer nothing more is sent; later refusals are kept, not final; acceptances still count', async () => {
  const all = vectors().all.filter((o) => o.obj.type !== 'GOBD').map((o) => o.obj);
  const queue = all.slice(0, SEND_WINDOW + 4);
  const [a, b] = queue as [GolixObject, GolixObject];
  const answerOf = (raw: Buffer): Answer => (raw.equals(a.raw) ? 'later' : raw.equals(b.raw) ? 'refused' : 'ok');
  const s = scripted(answerOf);
  const done = sendInOrder(queue.map(item), s.hooks);
  await s.answerAll(done);
  assert.equal(s.sent.length, SEND_WINDOW, 'the window went out; nothing after the "later" answer');
  assert.deepEqual(
    s.settled,
    [[a.ghid.text, 'later'], ...queue.slice(2, SEND_WINDOW).map((o) => [o.ghid.text, 'accepted'])],
    "b's refusal is not taken as final (it may depend on a); the rest of the window was accepted",
  );
});

test('an object held back is not sent; it is asked about once the previous frame of its binding is answered, with its frame facts', async () => {
  const v = vectors();
  const frames = v.frames.map((f) => f.obj).filter((f) => f.type === 'GOBD' && f.dynamic.equals(v.dynamic));
  const [first, second] = frames as [GolixObject, GolixObject];
  const other = v.gidcs[0]!.obj;
  // The first frame is refused; the hook then holds back the second (as NetworkIO's holds do).
  const s = scripted((raw) => (raw.equals(first.raw) ? 'refused' : 'ok'));
  const asked: [string, bigint | null][] = [];
  s.hooks.holdBack = (ghid, frame) => {
    asked.push([ghid, frame?.counter ?? null]);
    return frame !== null && s.settled.some(([g, how]) => g === first.ghid.text && how === 'refused');
  };
  const done = sendInOrder([first, other, second].map(item), s.hooks);
  await s.answerAll(done);
  assert.deepEqual(s.sent, [first.raw, other.raw], 'the second frame is held back');
  assert.deepEqual(asked, [
    [first.ghid.text, first.type === 'GOBD' ? first.counter : null],
    [other.ghid.text, null],
    [second.ghid.text, second.type === 'GOBD' ? second.counter : null],
  ]);
});
