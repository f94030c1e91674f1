/**
 * The app state's people part: contacts and shares as the host lists them, and every change to
 * them, each ending in words for the user (`people.feedback`, read out by a live region), so no
 * action goes without an answer.
 */
import type { ContactChange } from '../common/contract.js';
import type { GetUi, PeopleState, SetUi, UiState } from './ui-state.js';
import { applyStatus } from './session-actions.js';
import type { Transport } from './transport.js';


export type PeopleActions = Pick<UiState, 'loadPeople' | 'answerShare' | 'changeContact' | 'removeContact' | 'showSafetyCode'>;

export function peopleActions(set: SetUi, get: GetUi, host: Transport): PeopleActions {
  const patch = (p: Partial<PeopleState>) => set((s) => ({ people: { ...s.people, ...p } }));
  const busy = (key: string, on: boolean) =>
    set((s) => {
      const { [key]: _, ...rest } = s.people.busy;
      return { people: { ...s.people, busy: on ? { ...rest, [key]: true } : rest } };
    });
  const say = (tone: 'ok' | 'error', message: string) => patch({ feedback: { tone, message } });
  const nameOf = (fp: string) => get().people.contacts.find((c) => c.fingerprint === fp)?.name ?? null;

  /**
   * Runs one change: busy while it runs, the lists and the status re-read after, words either way.
   * Resolves whether it was done, so a form keeps what was typed when it was not.
   */
  async function act<T>(key: string, run: () => Promise<{ ok: true; value: T } | { ok: false; error: { message: string } }>, words: (v: T) => string): Promise<boolean> {
    busy(key, true);
    const view = get().view;
    const res = await run();
    busy(key, false);
    // Words for the page the user acted on; on another page by now, they would be about nothing there.
    const here = get().view === view;
    if (here) say(res.ok ? 'ok' : 'error', res.ok ? words(res.value) : res.error.message);
    // Re-read either way: a refusal may have changed the lists too (a share that could no longer
    // be accepted is declined and gone).
    await get().loadPeople();
    const st = await host.request({ kind: 'status' });
    if (st.ok) applyStatus(set, st.value);
    return res.ok;
  }

  return {
    async loadPeople() {
      const [contacts, shares] = await Promise.all([host.request({ kind: 'listContacts' }), host.request({ kind: 'listShares' })]);
      // Kept apart from the feedback (an action's words): the pages show it in place of their lists,
      // with a way to ask again, instead of "Loading…" for ever.
      if (!contacts.ok || !shares.ok) {
        patch({ loadError: (!contacts.ok ? contacts.error : !shares.ok ? shares.error : { message: '' }).message });
        return;
      }
      patch({ contacts: contacts.value, shares: shares.value, loaded: true, loadError: null });
    },

    async answerShare(id, accept, opts = {}) {
      const share = get().snapshot?.status.incomingShares.find((s) => s.id === id) ?? get().people.shares.find((s) => s.id === id);
      const who = (share && 'from' in share && share.from ? nameOf(share.from) : null) ?? 'the sender';
      const req = accept ? ({ kind: 'acceptShare', id, trust: opts.trust === true } as const) : ({ kind: 'declineShare', id, block: opts.block === true } as const);
      await act(id, () => host.request(req), () =>
        accept
          ? opts.trust
            ? `Accepted, and ${who} is trusted: their later shares arrive without asking you.`
            : `Accepted once. ${who === 'the sender' ? 'Their' : `${who}'s`} next share of another object asks you again.`
          : opts.block
            ? `Declined, and ${who} is blocked.`
            : 'Declined. The sender is told.',
      );
    },

    async changeContact(change: ContactChange, words: string) {
      return act(`contact:${change.fingerprint}`, () => host.request({ kind: 'changeContact', change }), () => words);
    },

    async removeContact(fingerprint) {
      const who = nameOf(fingerprint) ?? 'The contact';
      await act(`contact:${fingerprint}`, () => host.request({ kind: 'removeContact', fingerprint }), () => `${who} was removed from your contacts.`);
    },

    async showSafetyCode(fingerprint) {
      const res = await host.request({ kind: 'safetyCode', fingerprint });
      if (!res.ok) return say('error', res.error.message);
      set((s) => ({ people: { ...s.people, codes: { ...s.people.codes, [fingerprint]: res.value.words } } }));
    },
  };
}
