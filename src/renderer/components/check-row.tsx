/**
 * One check on the Status page — the local files, this computer's server — as a row: what the
 * last one found, "Check now" (busy while one runs), and what the one asked for found, read out
 * to assistive technology as it comes.
 */
import type { CacheCheckState } from '../ui-state.js';

export interface CheckRowProps {
  summary: string;
  /** Test ids of the summary and of the feedback under the row. */
  testId: string;
  checking: boolean;
  onCheck: () => void;
  /** The button's accessible name where "Check now" alone would not tell which check it is. */
  label?: string;
  feedback: CacheCheckState['feedback'];
}

export function CheckRow({ summary, testId, checking, onCheck, label, feedback }: CheckRowProps) {
  return (
    <>
      <ul className="list">
        <li className="list-row">
          <span className="grow check-summary" data-testid={testId}>
            {summary}
          </span>
          <button type="button" className="button small" aria-label={label} disabled={checking} onClick={onCheck}>
            {checking ? 'Checking…' : 'Check now'}
          </button>
        </li>
      </ul>
      <div aria-live="polite" data-testid={`${testId}-feedback`}>
        {feedback ? <p className={feedback.tone === 'ok' ? 'ok-text' : 'error-text'}>{feedback.message}</p> : null}
      </div>
    </>
  );
}
