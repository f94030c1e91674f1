import type { StateNamespace } from '../account/state-namespace.js';
import type { DaemonPort } from '../daemon/port.js';
import type { Ghid } from '../golix/index.js';
import { IpcRefusal } from './refusal.js';
import type { Session } from './session.js';

/**
 * What the daemon remembers per object for its apps, in the account state (durable, and on the
 * account's other devices too): the app token that owns a private object (defect 2), and the
 * legroom an app asked for when it was not the default.
 */
export class ObjectRecords {
  /** GHID → owner's token hex. */
  private readonly owners: StateNamespace;
  /** GHID → 1..255. */
  private readonly legrooms: StateNamespace;

  constructor(daemon: Pick<DaemonPort, 'state'>) {
    this.owners = daemon.state('ipc:private:');
    this.legrooms = daemon.state('ipc:legroom:');
  }

  ownerOf(ghid: Ghid): string | null {
    const v = this.owners.get(ghid.text);
    return typeof v === 'string' ? v : null;
  }

  /** 0 when the app left it to the default. */
  legroomOf(ghid: Ghid): number {
    const v = this.legrooms.get(ghid.text);
    return typeof v === 'number' ? v : 0;
  }

  /** Private objects are for their owner's token only (defect 2). Returns the owner, if any. */
  checkAccess(s: Session, ghid: Ghid): string | null {
    const owner = this.ownerOf(ghid);
    if (owner !== null && owner !== s.token) throw new IpcRefusal(`Object ${ghid.short} is private to another app`);
    return owner;
  }

  /**
   * Records the owner of a private object and writes it at once: the record guards the object,
   * so it must be stored before anyone learns the GHID.
   */
  async setOwner(ghid: Ghid, token: string): Promise<void> {
    this.owners.set(ghid.text, token);
    await this.owners.flush();
  }

  /** The owner of a frozen copy: written with the account's next batch. */
  copyOwner(ghid: Ghid, token: string): void {
    this.owners.set(ghid.text, token);
  }

  /** The object became public. */
  clearOwner(ghid: Ghid): void {
    this.owners.delete(ghid.text);
  }

  /** Records a legroom the app asked for (0 = the default: nothing to record). */
  setLegroom(ghid: Ghid, legroom: number): void {
    if (legroom !== 0 && legroom !== this.legroomOf(ghid)) this.legrooms.set(ghid.text, legroom);
  }

  /** The object is gone: so are its records. */
  forget(ghid: Ghid): void {
    this.owners.delete(ghid.text);
    this.legrooms.delete(ghid.text);
  }
}
