/**
 * Two computers of one account writing its root node at the same moment (a password change on
 * each, or a change and a recovery kit): both write frame n + 1 on frame n, and a remote keeps the
 * first it gets, refusing the other. The computer whose frame was refused kept it here, and, the
 * daemon dismissing the refusal (the root is no app object to write on top of), would open with
 * its own password for good while every other computer opens with the other one: the account
 * split. So after each root write the remotes' root frame is looked at: another frame of the
 * same counter stands there, this computer writes a frame on top of its own that names what the
 * standing one names — the same container and pins, so it reads the same, under the other
 * computer's password — and the write is reported lost.
 */
import { makeFrame, type Gobd, type PrivateIdentity } from '../golix/index.js';
import type { ObjectIO } from '../objects/object-io.js';

/** Whether the root frame `ours`, just written and answered, lost a race on the remotes (this computer then follows the frame that won). */
export async function lostRootRace(io: ObjectIO, identity: PrivateIdentity, ours: Gobd): Promise<boolean> {
  const theirs = await io.fromRemotes?.(ours.dynamic);
  if (theirs?.type !== 'GOBD' || theirs.ghid.equals(ours.ghid) || !theirs.binder.equals(ours.binder)) return false;
  const counter = ours.counter ?? 0n;
  // Behind ours (a remote that has not taken it yet), or written on top of ours: ours came first.
  if ((theirs.counter ?? 0n) < counter || theirs.targets.slice(1).some((t) => t.equals(ours.targets[0]!))) return false;
  if (theirs.counter === counter) {
    // A newer frame of theirs would reach this computer as any change does; one of our counter never would.
    const legroom = Math.max(1, theirs.targets.length - 1);
    await io.publish(await makeFrame(identity, theirs.targets[0]!, { dynamic: theirs.dynamic, counter, targets: theirs.targets.slice(1) }, legroom));
    await io.fetch(theirs.targets[0]!);
  }
  return true;
}
