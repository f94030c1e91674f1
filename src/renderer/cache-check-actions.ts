/**
 * The app state's part for the checks on the Status page: "Check now" for the local cache's
 * files (the daemon also checks them by itself) and for this computer's server's store (it also
 * checks it by itself), and what each check found, in words.
 */
import type { CacheCheckStatus, ServerStoreStatus } from '../common/contract.js';
import type { CacheCheckState, SetUi, UiState } from './ui-state.js';
import type { Transport } from './transport.js';


export type CacheCheckActions = Pick<UiState, 'checkCache' | 'checkServerStore'>;

const objects = (n: number) => `${n.toLocaleString()} object${n === 1 ? '' : 's'}`;

/** What a check of this computer's server's store found. */
export function serverCheckWords(after: ServerStoreStatus): string {
  const read = objects(after.last?.checked ?? 0);
  if (after.damagedNow === 0) return `Checked ${read}: all sound.`;
  const [it, sends] = after.damagedNow === 1 ? ['it', 'it sends it'] : ['them', 'them sends them'];
  // This computer is often the one that holds them: its own check gives them again at once.
  return `Checked ${read}: ${objects(after.damagedNow)} damaged. The server answers ${it} as not there until a computer that holds ${sends} again; if this computer syncs with it, Check now under Files on this computer gives again what it holds.`;
}

/** What a check asked for found, against the report before it (what it put right is the difference). */
export function checkWords(before: CacheCheckStatus | undefined, after: CacheCheckStatus): string {
  const mended = after.putRight - (before?.putRight ?? 0);
  const given = after.givenToRemotes - (before?.givenToRemotes ?? 0);
  const fixed =
    (mended > 0 ? ` ${mended.toLocaleString()} damaged file${mended === 1 ? ' was' : 's were'} put right from a remote.` : '') +
    (given > 0 ? ` ${objects(given)} ${given === 1 ? 'was' : 'were'} given again to remotes that lacked ${given === 1 ? 'it' : 'them'}.` : '');
  if (after.damagedCount > 0) return `Checked ${objects(after.checked)}:${fixed} ${objects(after.damagedCount)} damaged here, and no remote has a good copy yet.`;
  return `Checked ${objects(after.checked)}: all sound.${fixed}`;
}

/** One kind of check asked for: its slice of the UI state, its request, its words, where the status keeps its report. */
interface CheckKind<R> {
  slice: 'cacheCheck' | 'serverStoreCheck';
  kind: 'checkCache' | 'checkServerStore';
  field: 'cacheCheck' | 'serverStore';
  /** The words, and whether they tell of something damaged left. */
  words(after: R): { message: string; damaged: boolean };
}

export function cacheCheckActions(set: SetUi, get: () => UiState, host: Transport): CacheCheckActions {
  async function ask<R extends CacheCheckStatus | ServerStoreStatus>(c: CheckKind<R>): Promise<void> {
    const patch = (p: Partial<CacheCheckState>) => set((s) => ({ [c.slice]: { ...s[c.slice], ...p } }));
    // One at a time: a second click would only wait for the same check.
    if (get()[c.slice].busy) return;
    patch({ busy: true, feedback: null });
    try {
      const res = await host.request({ kind: c.kind });
      if (!res.ok) return patch({ feedback: { tone: 'error', message: res.error.message } });
      const said = c.words(res.value as R);
      patch({ feedback: { tone: said.damaged ? 'error' : 'ok', message: said.message } });
      // Shown at once (the host's status event says the same, maybe a moment later).
      set((s) => (s.snapshot ? { snapshot: { ...s.snapshot, status: { ...s.snapshot.status, [c.field]: res.value } } } : {}));
    } finally {
      patch({ busy: false });
    }
  }
  return {
    async checkCache() {
      const before = get().snapshot?.status.cacheCheck;
      await ask<CacheCheckStatus>({ slice: 'cacheCheck', kind: 'checkCache', field: 'cacheCheck', words: (after) => ({ message: checkWords(before, after), damaged: after.damagedCount > 0 }) });
    },
    async checkServerStore() {
      await ask<ServerStoreStatus>({ slice: 'serverStoreCheck', kind: 'checkServerStore', field: 'serverStore', words: (after) => ({ message: serverCheckWords(after), damaged: after.damagedNow > 0 }) });
    },
  };
}
