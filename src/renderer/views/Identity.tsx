/** Whoami: the two IDs, copyable, and each as a QR code (the fingerprint for a friend, the user ID for your other computers). */
import { useUi } from '../app-state.js';
import { QrCode } from '../components/QrCode.js';
import { CopyField } from '../components/copy.js';

export function IdentityView() {
  const identity = useUi((s) => s.snapshot?.identity ?? null);
  if (!identity) return <p className="muted">No account yet.</p>;
  return (
    <section aria-labelledby="identity-title">
      <header className="page-head">
        <h1 id="identity-title">Your identity</h1>
        <p className="muted">People share with you by your fingerprint. Your user ID and password let you log in on another computer.</p>
      </header>
      <div className="identity">
        <div className="identity-ids card flat">
          <CopyField label="Fingerprint" value={identity.fingerprint} testId="fingerprint" />
          <CopyField label="User ID" value={identity.userId} testId="userid" />
        </div>
        <figure className="card flat qr-card">
          <QrCode text={identity.fingerprint} label="QR code of your fingerprint" />
          <figcaption className="muted">Scan to get your fingerprint</figcaption>
        </figure>
        <figure className="card flat qr-card" data-testid="userid-qr">
          <QrCode text={identity.userId} label="QR code of your user ID" />
          <figcaption className="muted">Your user ID, for signing in on another computer</figcaption>
        </figure>
      </div>
    </section>
  );
}
