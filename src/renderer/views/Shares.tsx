/**
 * Shares: what waits for you (who, what, and the three choices), what others shared with you,
 * and what you shared, per object with its recipients and their answers. Every action ends in
 * words in the live region at the top.
 */
import { useEffect, useRef, useState } from 'react';
import type { ShareJson } from '../../common/contract.js';
import { CONSENT_CHOICES, askedAgainWords, deletedWords, personWords, shareGroups, sizeWords } from '../../common/people.js';
import { useUi } from '../app-state.js';
import { CopyButton } from '../components/copy.js';
import { Banner } from '../components/feedback.js';
import { shortGhid, timeAgo } from '../format.js';

export function Feedback() {
  const feedback = useUi((s) => s.people.feedback);
  return (
    <div aria-live="polite" data-testid="people-feedback">
      {feedback ? <Banner tone={feedback.tone}>{feedback.message}</Banner> : null}
    </div>
  );
}

/**
 * The lists could not be read: said in place of them, with a way to ask again (otherwise the
 * page would say "Loading…" for ever, or "Nothing yet" about lists it never saw).
 */
export function ListProblem() {
  const loadError = useUi((s) => s.people.loadError);
  const loadPeople = useUi((s) => s.loadPeople);
  const [asking, setAsking] = useState(false);
  if (!loadError) return null;
  const again = () => {
    setAsking(true);
    void loadPeople().finally(() => setAsking(false));
  };
  return (
    <Banner
      tone="error"
      testId="people-load-error"
      actions={
        <button type="button" className="button small" disabled={asking} onClick={again}>
          Try again
        </button>
      }
    >
      Could not read your contacts and shares: {loadError}
    </Banner>
  );
}

export function SharesView() {
  const shares = useUi((s) => s.people.shares);
  const loaded = useUi((s) => s.people.loaded);
  const failed = useUi((s) => s.people.loadError !== null);
  const { waiting, received, sent } = shareGroups(shares);
  const waitingTitle = useFocusAfterAnswer(waiting.length);
  return (
    <section aria-labelledby="shares-title">
      <header className="page-head">
        <h1 id="shares-title">Shares</h1>
        <p className="muted">Objects people shared with you, and the ones you shared. Sharing an object that changes gives every later version too.</p>
      </header>
      <Feedback />
      <ListProblem />
      {/* Marked out (accent border, a count) only while something waits for an answer. */}
      <section className={`card flat shares${waiting.length > 0 ? ' waiting' : ''}`} aria-labelledby="waiting-title" data-testid="waiting">
        <h2 id="waiting-title" ref={waitingTitle} tabIndex={-1}>
          Waiting for you {waiting.length > 0 ? <span className="count">{waiting.length}</span> : null}
        </h2>
        {waiting.length === 0 && (loaded || !failed) ? <p className="muted">{loaded ? 'Nothing waits for your answer.' : 'Loading…'}</p> : null}
        {waiting.length > 0 ? (
          <ul className="list">
            {waiting.map((s) => (
              <WaitingShare key={s.id} share={s} />
            ))}
          </ul>
        ) : null}
      </section>
      <h2>Shared with you</h2>
      {received.length === 0 ? (
        <p className="muted">{loaded ? 'Nothing yet.' : failed ? 'Not known: the list could not be read.' : 'Loading…'}</p>
      ) : (
        <ul className="list" data-testid="received">
          {received.map((s) => (
            <li key={s.id} className="list-row">
              <span className="grow">
                <strong>{s.type}</strong> from {personWords(s.name, s.contact)} <span className="hint">· {sizeWords(s.size)} · {timeAgo(s.time)}</span>
                {s.askedAgain === undefined ? null : (
                  <span className="hint block" data-testid="asked-again">
                    {askedAgainWords(s.name, s.contact)} ({timeAgo(s.askedAgain)}).
                  </span>
                )}
                <Deleted share={s} />
              </span>
              <span className="mono" title={s.object}>
                {shortGhid(s.object)}
              </span>
            </li>
          ))}
        </ul>
      )}
      <h2>Shared by you</h2>
      {loaded || sent.length > 0 ? <SentList sent={sent} /> : <p className="muted">{failed ? 'Not known: the list could not be read.' : 'Loading…'}</p>}
    </section>
  );
}

/**
 * An answered share leaves the list and takes the focused button with it: the focus then goes to
 * the next share's first answer, or to the list's heading, instead of back to the top of the page.
 */
function useFocusAfterAnswer(count: number) {
  const title = useRef<HTMLHeadingElement>(null);
  const before = useRef(count);
  useEffect(() => {
    const fewer = count < before.current;
    before.current = count;
    const at = document.activeElement;
    if (!fewer || (at && at !== document.body)) return;
    (document.querySelector<HTMLElement>('[data-testid="waiting"] .share-actions button') ?? title.current)?.focus();
  }, [count]);
  return title;
}

function WaitingShare({ share }: { share: ShareJson }) {
  const answer = useUi((s) => s.answerShare);
  const busy = useUi((s) => s.people.busy[share.id] === true);
  const [block, setBlock] = useState(false);
  const from = share.from ?? '';
  return (
    <li className="share" data-testid={`share-${share.id}`}>
      <div className="grow">
        <div>
          From <strong data-testid="share-from">{personWords(share.name, share.contact)}</strong>{' '}
          <span className="mono hint" title={from}>
            {shortGhid(from)}
          </span>{' '}
          <CopyButton text={from} what="sender fingerprint" />
        </div>
        <div className="hint" data-testid="share-what">
          {share.type} · {sizeWords(share.size)} · {timeAgo(share.time)}
        </div>
      </div>
      <div className="share-actions">
        <button type="button" className="button primary" disabled={busy} title={CONSENT_CHOICES.acceptOnce[1]} onClick={() => void answer(share.id, true)}>
          {CONSENT_CHOICES.acceptOnce[0]}
        </button>
        <button type="button" className="button" disabled={busy} title={CONSENT_CHOICES.acceptAndTrust[1]} onClick={() => void answer(share.id, true, { trust: true })}>
          {CONSENT_CHOICES.acceptAndTrust[0]}
        </button>
        <button type="button" className="button" disabled={busy} title={CONSENT_CHOICES.decline[1]} onClick={() => void answer(share.id, false, { block })}>
          {CONSENT_CHOICES.decline[0]}
        </button>
        <label className="choice inline">
          <input type="checkbox" checked={block} onChange={(e) => setBlock(e.target.checked)} /> and block {share.name ?? 'them'}
        </label>
      </div>
      <p className="hint block">
        {CONSENT_CHOICES.acceptOnce[0]}: {CONSENT_CHOICES.acceptOnce[1]} {CONSENT_CHOICES.acceptAndTrust[0]}: {CONSENT_CHOICES.acceptAndTrust[1]}
      </p>
    </li>
  );
}

const ANSWER_WORDS = { waiting: 'no answer yet', accepted: 'accepted', declined: 'declined' } as const;

function SentList({ sent }: { sent: ShareJson[] }) {
  if (sent.length === 0) return <p className="muted">You have not shared anything yet. Apps share objects for you.</p>;
  const byObject = new Map<string, ShareJson[]>();
  for (const s of sent) byObject.set(s.object, [...(byObject.get(s.object) ?? []), s]);
  return (
    <ul className="list" data-testid="sent">
      {[...byObject].map(([object, to]) => (
        <li key={object} className="list-row column">
          <div>
            <strong>{to[0]!.type}</strong> <span className="hint">· {sizeWords(to[0]!.size)}</span>{' '}
            <span className="mono hint" title={object}>
              {shortGhid(object)}
            </span>
            <Deleted share={to[0]!} />
          </div>
          <ul className="recipients">
            {to.map((r) => (
              <li key={r.to}>
                with {personWords(r.name, r.contact)} — {ANSWER_WORDS[r.state]} <span className="hint">({timeAgo(r.time)})</span>
              </li>
            ))}
          </ul>
        </li>
      ))}
    </ul>
  );
}

/** A shared object its author deleted since: said under it, in the CLI's words. */
function Deleted({ share }: { share: ShareJson }) {
  if (share.deletedAt === undefined) return null;
  return (
    <span className="hint block" data-testid="deleted">
      {deletedWords(share.direction, share.name, share.contact)} ({timeAgo(share.deletedAt)}).
    </span>
  );
}
