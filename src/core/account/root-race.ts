/**
 * Two computers of one account writing its root node at the same moment (a password change on
 * each, or a change and a recovery kit): both write frame n + 1 on frame n, and a remote keeps the
 * first it gets, refusing the other. The computer whose frame was refused kept it here, and, the
 * daemon dismissing the refusal (the root is no app object to write on top of), would open with
 * its own password for good while every other computer opens with the other one: the account
 * split. So after each root write the remotes' root frames are looked at: another frame of the
 * same counter stands there, this computer writes a frame on top of its own that names what the
 * standing one names — the same container and pins, so it reads the same, under the other
 * computer's password — and the write is reported lost.
 *
 * With several remotes, each may have taken another computer's frame first: then every computer
 * settles it alike, the frame with the lowest GHID standing, and the others follow it (their
 * frames on top reach every remote, whose chains then agree again). The computer whose frame
 * stands writes one on top of it too, naming the same: a remote that took a losing frame first
 * would otherwise keep it until that computer follows, which it may never do (stopped at that
 * moment, or gone for good), and a computer signing in through that remote alone would find the
 * account under the losing password.
 */
import { makeFrame, type Gobd, type GolixObject, type PrivateIdentity } from '../golix/index.js';
import type { ObjectIO } from '../objects/object-io.js';

/** Whether the root frame `ours`, just written and answered, lost a race on the remotes (this computer then follows the frame that won). */
export async function lostRootRace(io: ObjectIO, identity: PrivateIdentity, ours: Gobd): Promise<boolean> {
  const held = (await io.eachRemote?.(ours.dynamic)) ?? [];
  const rivals = held.filter((theirs): theirs is Gobd => rivalOf(theirs, ours));
  if (rivals.length === 0) return false;
  const counter = ours.counter ?? 0n;
  // Frames of our counter, lowest GHID first; a newer frame would reach this computer as any change does.
  const sameCounter = rivals.filter((t) => t.counter === counter).sort((a, b) => (a.ghid.text < b.ghid.text ? -1 : 1));
  const split = sameCounter.length === rivals.length && held.some((h) => h.ghid.equals(ours.ghid));
  if (split && ours.ghid.text < sameCounter[0]!.ghid.text) {
    // Ours stands: written again on top of itself, to replace the losing frames where they stand.
    await writeOnTop(io, identity, ours, counter);
    return false;
  }
  const winner = sameCounter[0];
  if (winner) await writeOnTop(io, identity, winner, counter);
  return true;
}

/**
 * A frame of counter `counter` + 1 naming what `standing` names (its container and history), and
 * that container: sent on with the frame, for a remote that refused `standing` may lack it.
 */
async function writeOnTop(io: ObjectIO, identity: PrivateIdentity, standing: Gobd, counter: bigint): Promise<void> {
  const legroom = Math.max(1, standing.targets.length - 1);
  await io.publish(await makeFrame(identity, standing.targets[0]!, { dynamic: standing.dynamic, counter, targets: standing.targets.slice(1) }, legroom));
  const container = await io.fetch(standing.targets[0]!);
  if (container) await io.publish(container);
}

/**
 * A frame a remote holds that stands against ours: another frame of the account's root, not
 * behind ours (a remote that has not taken ours yet), not written on top of ours, and not naming
 * what ours names (another computer's frame that follows ours, written as this function writes).
 */
function rivalOf(theirs: GolixObject, ours: Gobd): boolean {
  if (theirs.type !== 'GOBD' || theirs.ghid.equals(ours.ghid) || !theirs.binder.equals(ours.binder)) return false;
  if ((theirs.counter ?? 0n) < (ours.counter ?? 0n) || theirs.targets[0]!.equals(ours.targets[0]!)) return false;
  return !theirs.targets.slice(1).some((t) => t.equals(ours.targets[0]!));
}
