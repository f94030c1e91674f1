import type { StateNamespace } from '../account/state-namespace.js';
import type { DaemonPort } from '../daemon/port.js';
import { Ghid } from '../golix/index.js';
import type { RemoteLogger } from '../remote/logger.js';
import type { IncomingShare } from '../sharing/sharing.js';
import type { Session, SessionTable } from './session.js';
import { AppVerb, encodeShareNotice, idBytes, idText } from '../../wire/index.js';

/** An inbox record: from (fingerprint text), api_id (text), when it arrived. */
type InboxEntry = { f: string; a: string; at: number };

/**
 * Shares from other users on their way to apps (defect 20): an accepted share goes (`@O`) to the
 * apps registered for its api_id or tracking the object; when none takes it, it waits in the
 * account state (`inbox:<ghid>`) until an app registers the api_id, then leaves it once taken.
 */
export class Inbox {
  /** GHID → InboxEntry. */
  private readonly waiting: StateNamespace;
  /** Inbox keys being stored or delivered right now (so nothing is delivered twice or lost). */
  private readonly delivering = new Map<string, Promise<unknown>>();

  constructor(
    daemon: Pick<DaemonPort, 'state'>,
    private readonly sessions: SessionTable,
    private readonly logger: RemoteLogger,
  ) {
    this.waiting = daemon.state('inbox:');
  }

  /** Runs `fn` for one inbox key at a time (a share being stored and an app registering race). */
  private async exclusive<T>(key: string, fn: () => Promise<T>): Promise<T> {
    for (let busy = this.delivering.get(key); busy; busy = this.delivering.get(key)) await busy.catch(() => {});
    const run = fn();
    this.delivering.set(key, run);
    try {
      return await run;
    } finally {
      if (this.delivering.get(key) === run) this.delivering.delete(key);
    }
  }

  /** An accepted share: `@O` to the apps registered for its api_id or tracking it; else kept. */
  async deliverShare(share: IncomingShare): Promise<void> {
    const api = idText(share.apiId);
    const key = share.ghid.text;
    const body = encodeShareNotice(share.ghid.bytes, share.from.bytes, share.apiId);
    try {
      await this.exclusive(key, async () => {
        const targets = this.sessions.admitted().filter((s) => s.apis.has(api) || s.tracked.has(key));
        const taken = await Promise.all(targets.map((s) => s.push(AppVerb.share, body)));
        if (taken.some(Boolean)) return;
        this.waiting.set(key, { f: share.from.text, a: api, at: Date.now() } satisfies InboxEntry);
        await this.waiting.flush();
        this.logger.info(`share of ${share.ghid.short} from ${share.from.short} kept until an app takes its api_id`);
      });
    } catch (err) {
      this.logger.warn(`share of ${share.ghid.short} could not be kept: ${(err as Error).message}`);
    }
  }

  /** Delivers the shares waiting for `api` to one app; each leaves the inbox once taken. */
  async deliverTo(s: Session, api: string): Promise<void> {
    for (const [key, v] of [...this.waiting.entries()]) {
      const e = v as InboxEntry;
      if (e?.a !== api) continue;
      const ghid = Ghid.tryText(key);
      const from = Ghid.tryText(e.f);
      if (!ghid || !from) {
        this.waiting.delete(key);
        continue;
      }
      await this.exclusive(key, async () => {
        if (this.waiting.get(key) === undefined || !s.connection.isOpen) return;
        if (await s.push(AppVerb.share, encodeShareNotice(ghid.bytes, from.bytes, idBytes(api, 0)))) {
          this.waiting.delete(key);
          this.logger.info(`${s.name}: delivered the kept share of ${ghid.short}`);
        }
      });
    }
  }

  /** The object is gone: a share of it no longer waits. */
  forget(ghid: Ghid): void {
    this.waiting.delete(ghid.text);
  }
}
