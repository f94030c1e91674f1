import {
  Ghid,
  Secret,
  UnknownSecret,
  ValueError,
  frameOf,
  makeUpdate,
  type Gobd,
  type PrivateIdentity,
} from '../golix/index.js';
import type { ObjectIO } from '../objects/object-io.js';
import { ContainerMissing } from '../objects/errors.js';

/**
 * A dynamic object keyed by a master secret (golix §8.1): frame n ≥ 1 is encrypted under
 * ratchet(M, dynamic, C_{n-1}), so every frame can be opened from M alone. Frame 0 uses a
 * throwaway secret, which is why creation pushes twice. The account's root node and internal
 * objects are all of this kind.
 */
export class MasterObject {
  private constructor(
    private readonly io: ObjectIO,
    private readonly identity: PrivateIdentity,
    readonly master: Secret,
    private frame: Gobd,
  ) {}

  get ghid(): Ghid {
    return this.frame.dynamic;
  }

  get counter(): bigint {
    return this.frame.counter ?? 0n;
  }

  /** The newest frame written or taken in here. */
  get head(): Ghid {
    return this.frame.ghid;
  }

  /** That frame itself. */
  get newest(): Gobd {
    return this.frame;
  }

  /** Creates the object with `plaintext` as its first readable state (frame 1). */
  static async create(io: ObjectIO, identity: PrivateIdentity, master: Secret, plaintext: Buffer): Promise<MasterObject> {
    const first = await makeUpdate(identity, Secret.random(), Buffer.from('you pass butter'));
    await io.publish(first.frame, first.container);
    const obj = new MasterObject(io, identity, master, first.frame);
    await obj.write(plaintext);
    return obj;
  }

  /** An object whose current frame is in hand, to write its next state (under `master`, which may be new). */
  static at(io: ObjectIO, identity: PrivateIdentity, master: Secret, frame: Gobd): MasterObject {
    return new MasterObject(io, identity, master, frame);
  }

  /** Opens an existing object: fetches its newest frame and reads it. */
  static async open(
    io: ObjectIO,
    identity: PrivateIdentity | null,
    ghid: Ghid,
    master: Secret,
    expectedBinder: Ghid,
  ): Promise<{ object: MasterObject | null; plaintext: Buffer }> {
    const frame = await io.fetch(ghid);
    if (!frame) throw new UnknownSecret(`Account object ${ghid.short} could not be found locally or on any remote`);
    if (frame.type !== 'GOBD') throw new UnknownSecret(`Account object ${ghid.short} is a ${frame.type}, not an account object (a dynamic binding)`);
    const plaintext = await MasterObject.readFrame(io, frame, master, expectedBinder);
    return { object: identity ? new MasterObject(io, identity, master, frame) : null, plaintext };
  }

  /** Decrypts the container a frame points to. Checks the binder first (defect 9). */
  static async readFrame(io: ObjectIO, frame: Gobd, master: Secret, expectedBinder: Ghid): Promise<Buffer> {
    if (!frame.binder.equals(expectedBinder)) {
      throw new UnknownSecret(`Frame of ${frame.dynamic.short} is bound by ${frame.binder.short}, not the account`);
    }
    const [current, previous] = frame.targets;
    // A 2016 (v15) frame has one target; its secret derives from the previous frame's GHID (golix §8.2).
    const salt = frame.version === 15 ? frame.history[0] : previous;
    if (!current || !salt) throw new UnknownSecret(`Account object ${frame.dynamic.short} has no readable frame yet`);
    const container = await io.fetch(current);
    if (!container || container.type !== 'GEOC') throw new ContainerMissing(current, frame.dynamic, 'account object');
    return master.ratchet(frame.dynamic, salt).apply(container.payload);
  }

  /**
   * Writes a new state as the next frame. With `pins`, the frame's targets are the new container,
   * the current one (what the next frame's secret derives from) and the pins, instead of the
   * usual history: how the root node names the recovery node (recovery.ts).
   */
  async write(plaintext: Buffer, pins: readonly Ghid[] = []): Promise<void> {
    if (plaintext.length === 0) throw new ValueError('An account object state cannot be empty');
    const current = this.frame.targets[0]!;
    const secret = this.master.ratchet(this.frame.dynamic, current);
    const previous = frameOf(this.frame);
    const { frame, container } =
      pins.length === 0
        ? await makeUpdate(this.identity, secret, plaintext, previous)
        : await makeUpdate(this.identity, secret, plaintext, { ...previous, targets: [current, ...pins] }, 1 + pins.length);
    await this.io.publish(frame, container);
    this.frame = frame;
  }

  /**
   * Whether a frame from elsewhere (another device of the account) is one to take in. Equal
   * counters count too: that is a concurrent frame from another device, which the next write
   * must supersede.
   */
  canAdopt(frame: Gobd): boolean {
    return frame.dynamic.equals(this.ghid) && (frame.counter ?? 0n) >= this.counter && !frame.ghid.equals(this.frame.ghid);
  }

  /** Adopts a newer frame that arrived from elsewhere; whether it was one to take in. */
  adopt(frame: Gobd): boolean {
    if (!this.canAdopt(frame)) return false;
    this.frame = frame;
    return true;
  }
}
