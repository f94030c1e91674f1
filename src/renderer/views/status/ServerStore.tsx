/**
 * This computer's server (the embedded one, `desktop.embedded_server`): when it last checked its
 * store and what it found, and "Check now". It checks its store 10 minutes after it starts and
 * then daily; what is damaged it answers as not there until a computer that holds it sends it
 * again (the standing warning at the top says how many wait).
 */
import type { ServerStoreStatus } from '../../../common/contract.js';
import { useUi } from '../../app-state.js';
import { CheckRow } from '../../components/check-row.js';
import { timeAgo } from '../../format.js';

export function serverStoreSummary(c: ServerStoreStatus): string {
  if (c.running) return `Being checked now: ${c.running.checked.toLocaleString()} of ${c.running.total.toLocaleString()} objects read…`;
  if (c.last === null) return 'Not checked yet. The server checks its store 10 minutes after it starts, then daily.';
  const found = c.last.damaged === 0 ? 'all sound' : `${c.last.damaged.toLocaleString()} damaged`;
  return `Its store checked ${timeAgo(c.last.finishedAt)}: ${c.last.checked.toLocaleString()} object${c.last.checked === 1 ? '' : 's'}, ${found}.`;
}

export function ServerStore({ store }: { store: ServerStoreStatus }) {
  const { busy, feedback } = useUi((s) => s.serverStoreCheck);
  const checkServerStore = useUi((s) => s.checkServerStore);
  return (
    <>
      <h2>This computer's server</h2>
      <CheckRow
        summary={serverStoreSummary(store)}
        testId="server-store-check"
        checking={busy || store.running !== null}
        onCheck={() => void checkServerStore()}
        label="Check the server's store now"
        feedback={feedback}
      />
    </>
  );
}
