/**
 * How a remote's outbox is sent: in order, with up to SEND_WINDOW publishes awaiting their
 * answers, so an update's frame and container leave together and a backlog drains at the link's
 * rate rather than one round trip (and one durable write) per object.
 *
 * Answers are taken in the order sent. Once one says "later" (the caller decides which do: a
 * dropped connection, slow down, storage full, register first), nothing more is sent and every
 * refusal after it is kept as well, since it may depend on that object (a container on its
 * binding); what was accepted meanwhile counts as accepted. Frames of one binding never overtake
 * each other: the next is sent once the previous is answered, so a frame kept for later is never
 * preceded at the remote by its successor. And the caller may hold an object back (`holdBack`):
 * our later frames of an object whose frame was refused as not newer wait for that conflict.
 */
import { frameFacts, type FrameFacts } from './frame-facts.js';

/**
 * Publishes awaiting answers at once: a few round trips' worth at a server's ingest rate, and
 * half the requests a server runs at once per connection (32).
 */
export const SEND_WINDOW = 16;

export interface SendHooks {
  publish(raw: Buffer, ghid: string): Promise<unknown>;
  /** False once the link is down: nothing more is sent. */
  connected(): boolean;
  accepted(ghid: string): void;
  /** A refusal before any "later": true if it means later (the object stays queued and sending stops). */
  refused(ghid: string, raw: Buffer, err: unknown): boolean;
  /** Asked just before an object would be sent: true keeps it back (the caller keeps it queued). */
  holdBack?(ghid: string, frame: FrameFacts | null): boolean;
}

const ACCEPTED = Symbol('accepted');

/** Sends `items` (GHID text and bytes, oldest first) as above; resolves once every answer is taken. */
export async function sendInOrder(items: Iterable<[string, Buffer]>, hooks: SendHooks): Promise<void> {
  const inFlight: { ghid: string; raw: Buffer; dynamic: string | null; answer: Promise<unknown> }[] = [];
  const framesInFlight = new Set<string>();
  let later = false;
  const takeOldest = async () => {
    const sent = inFlight.shift()!;
    const answer = await sent.answer;
    if (sent.dynamic !== null) framesInFlight.delete(sent.dynamic);
    if (answer === ACCEPTED) hooks.accepted(sent.ghid);
    else if (!later) later = hooks.refused(sent.ghid, sent.raw, answer);
  };
  for (const [ghid, raw] of items) {
    const frame = frameFacts(raw);
    const dynamic = frame?.dynamic ?? null;
    while (dynamic !== null && framesInFlight.has(dynamic)) await takeOldest();
    if (later || !hooks.connected()) break;
    // Asked once the previous frame of its object is answered: its refusal may hold this one back.
    if (hooks.holdBack?.(ghid, frame)) continue;
    inFlight.push({ ghid, raw, dynamic, answer: hooks.publish(raw, ghid).then(() => ACCEPTED, (err: unknown) => err) });
    if (dynamic !== null) framesInFlight.add(dynamic);
    if (inFlight.length >= SEND_WINDOW) await takeOldest();
  }
  while (inFlight.length > 0) await takeOldest();
}
