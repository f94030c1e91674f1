/** What the UI says about itself: banners (info, warnings, errors, success) and the busy spinner. */
import type { ReactNode } from 'react';
import { Icon } from './Icon.js';

export function Banner({ tone, children, actions, testId }: { tone: 'info' | 'warn' | 'error' | 'ok'; children: ReactNode; actions?: ReactNode; testId?: string }) {
  return (
    <div className={`banner ${tone}`} role={tone === 'error' || tone === 'warn' ? 'alert' : 'status'} data-testid={testId}>
      <Icon name={tone === 'ok' ? 'check' : tone === 'info' ? 'info' : 'warn'} />
      <div className="banner-body">{children}</div>
      {actions ? <div className="banner-actions">{actions}</div> : null}
    </div>
  );
}

export function Spinner() {
  return <span className="spinner" aria-hidden="true" />;
}

