/**
 * The checks of this computer's Hypergolix files (the local cache): when they were last checked
 * and what was found, objects damaged here that no remote could give again, and "Check now".
 * The daemon checks them a few minutes after it starts and then daily; a damaged file is put
 * right from a remote that has a good copy.
 */
import type { CacheCheckStatus } from '../../../common/contract.js';
import { useUi } from '../../app-state.js';
import { CheckRow } from '../../components/check-row.js';
import { Banner } from '../../components/feedback.js';
import { timeAgo } from '../../format.js';

/** The shown damaged objects, at most. */
const LISTED = 5;

export function checkSummary(c: CacheCheckStatus): string {
  if (c.running) return 'Being checked now…';
  if (c.lastCheckedAt === null) return 'Not checked yet. Hypergolix checks its files a few minutes after it starts, then daily.';
  const found = c.damagedCount === 0 ? 'all sound' : `${c.damagedCount.toLocaleString()} damaged`;
  const done = [
    ...(c.putRight > 0 ? [`${c.putRight.toLocaleString()} damaged file${c.putRight === 1 ? '' : 's'} put right from a remote`] : []),
    ...(c.givenToRemotes > 0 ? [`${c.givenToRemotes.toLocaleString()} object${c.givenToRemotes === 1 ? '' : 's'} given again to remotes that lacked ${c.givenToRemotes === 1 ? 'it' : 'them'}`] : []),
  ];
  const mended = done.length > 0 ? ` ${done.join(' and ')} since Hypergolix started.` : '';
  return `Checked ${timeAgo(c.lastCheckedAt)}: ${c.checked.toLocaleString()} object${c.checked === 1 ? '' : 's'}, ${found}.${mended}`;
}

export function LocalFiles({ check }: { check: CacheCheckStatus }) {
  const { busy, feedback } = useUi((s) => s.cacheCheck);
  const checkCache = useUi((s) => s.checkCache);
  return (
    <>
      <h2>Files on this computer</h2>
      {check.damagedCount > 0 ? (
        <Banner tone="warn" testId="damaged-files">
          {check.damagedCount === 1 ? 'An object is' : `${check.damagedCount.toLocaleString()} objects are`} damaged on this computer, and no remote has given a good copy yet.
          Hypergolix tries again whenever a remote connects; until then, apps cannot read {check.damagedCount === 1 ? 'it' : 'them'} here.
          <span className="hint block mono">
            {check.damaged.slice(0, LISTED).join(' · ')}
            {check.damagedCount > LISTED ? ` · and ${(check.damagedCount - LISTED).toLocaleString()} more` : ''}
          </span>
        </Banner>
      ) : null}
      <CheckRow summary={checkSummary(check)} testId="cache-check" checking={busy || check.running} onCheck={() => void checkCache()} feedback={feedback} />
    </>
  );
}
