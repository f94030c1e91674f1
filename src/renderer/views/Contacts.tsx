/**
 * Contacts: a name for each fingerprint, how far you trust them, and the safety code to check a
 * fingerprint with its owner. Kept in your account, so every computer of it shows the same list.
 */
import { useRef, useState, type FormEvent } from 'react';
import type { ContactJson } from '../../common/contract.js';
import { STRANGER, TRUST_LEVELS, TRUST_WORDS, type TrustLevel } from '../../common/people.js';
import { useUi } from '../app-state.js';
import { CopyButton } from '../components/copy.js';
import { Icon } from '../components/Icon.js';
import { shortGhid } from '../format.js';
import { Feedback, ListProblem } from './Shares.js';

export function ContactsView() {
  const contacts = useUi((s) => s.people.contacts);
  const loaded = useUi((s) => s.people.loaded);
  const failed = useUi((s) => s.people.loadError !== null);
  return (
    <section aria-labelledby="contacts-title">
      <header className="page-head">
        <h1 id="contacts-title">Contacts</h1>
        <p className="muted">
          People you share with, and people whose shares you accepted. Anyone else is “{STRANGER}”. {TRUST_WORDS.trusted[0]}: {TRUST_WORDS.trusted[1]}.{' '}
          {TRUST_WORDS.ask[0]}: {TRUST_WORDS.ask[1]}. {TRUST_WORDS.blocked[0]}: {TRUST_WORDS.blocked[1]}.
        </p>
      </header>
      <Feedback />
      <ListProblem />
      {contacts.length === 0 && (loaded || !failed) ? <p className="muted">{loaded ? 'No contacts yet.' : 'Loading…'}</p> : null}
      <ul className="list" data-testid="contacts">
        {contacts.map((c) => (
          <ContactRow key={c.fingerprint} contact={c} />
        ))}
      </ul>
      <AddContact />
    </section>
  );
}

function ContactRow({ contact: c }: { contact: ContactJson }) {
  const change = useUi((s) => s.changeContact);
  const remove = useUi((s) => s.removeContact);
  const showCode = useUi((s) => s.showSafetyCode);
  const code = useUi((s) => s.people.codes[c.fingerprint]);
  const busy = useUi((s) => s.people.busy[`contact:${c.fingerprint}`] === true);
  const [name, setName] = useState(c.name ?? '');
  // The field follows the name the account keeps (renamed in another window, or reloaded).
  const [seen, setSeen] = useState(c.name);
  if (c.name !== seen) {
    setSeen(c.name);
    setName(c.name ?? '');
  }
  const label = c.name ?? shortGhid(c.fingerprint);
  const rename = (e: FormEvent) => {
    e.preventDefault();
    // A name cannot be emptied: an empty field would look as if it had been, so it shows the kept name again.
    if (!name.trim()) setName(c.name ?? '');
    else if (name.trim() !== c.name) void change({ fingerprint: c.fingerprint, name }, `Renamed to ${name.trim()}.`);
  };
  return (
    <li className="list-row column contact" data-testid={`contact-${c.fingerprint}`}>
      <form className="contact-head" onSubmit={rename}>
        <label className="grow">
          <span className="sr-only">Name of {label}</span>
          <input className="input" value={name} placeholder="Give them a name" onChange={(e) => setName(e.target.value)} onBlur={rename} />
        </label>
        {c.verified ? (
          <span className="tag ok" data-testid="verified">
            <Icon name="check" /> Verified
          </span>
        ) : null}
        <label>
          <span className="sr-only">Trust for {label}</span>
          <select
            className="input fit"
            value={c.trust}
            disabled={busy}
            onChange={(e) => {
              const trust = e.target.value as TrustLevel;
              void change({ fingerprint: c.fingerprint, trust }, `${label}: ${TRUST_WORDS[trust][0]} — ${TRUST_WORDS[trust][1]}.`);
            }}
          >
            {TRUST_LEVELS.map((t) => (
              <option key={t} value={t}>
                {TRUST_WORDS[t][0]}
              </option>
            ))}
          </select>
        </label>
        <button type="button" className="button small" onClick={() => void showCode(c.fingerprint)} aria-label={`Check the safety code with ${label}`}>
          Safety code
        </button>
        <button type="button" className="button small ghost" disabled={busy} onClick={() => void remove(c.fingerprint)} aria-label={`Remove ${label}`}>
          <Icon name="trash" />
        </button>
      </form>
      <div className="hint mono contact-fingerprint">
        <span>{c.fingerprint}</span> <CopyButton text={c.fingerprint} what="fingerprint" />
      </div>
      {code ? (
        <div className="safety-code" data-testid="safety-code">
          <p>
            Compare these words with {label}, in person or by phone. They see the same six words on their side:
          </p>
          <p className="code-words">{code.join(' ')}</p>
          {c.verified ? null : (
            <button type="button" className="button small primary" onClick={() => void change({ fingerprint: c.fingerprint, verified: true }, `${label} is marked verified.`)}>
              They match: mark {label} verified
            </button>
          )}
        </div>
      ) : null}
    </li>
  );
}

function AddContact() {
  const change = useUi((s) => s.changeContact);
  const [fingerprint, setFingerprint] = useState('');
  const [name, setName] = useState('');
  // One add at a time: a double click would send it twice and say it twice. A ref, not a
  // disabled button: disabling the focused button would drop a keyboard user's focus to the page.
  const adding = useRef(false);
  const add = async (e: FormEvent) => {
    e.preventDefault();
    if (adding.current) return;
    adding.current = true;
    const done = await change({ fingerprint: fingerprint.trim(), name, add: true }, `${name.trim() || 'The contact'} was added (${TRUST_WORDS.ask[0]}).`).finally(() => {
      adding.current = false;
    });
    // Refused (a mistyped fingerprint, say): what was typed stays, to be corrected rather than retyped.
    if (done) {
      setFingerprint('');
      setName('');
    }
  };
  return (
    <form className="card flat add-contact" onSubmit={(e) => void add(e)} aria-labelledby="add-contact-title">
      <h2 id="add-contact-title">Add someone</h2>
      <label className="field">
        <span>Fingerprint</span>
        <input className="input mono" value={fingerprint} required onChange={(e) => setFingerprint(e.target.value)} />
      </label>
      <label className="field">
        <span>Name</span>
        <input className="input" value={name} required maxLength={64} onChange={(e) => setName(e.target.value)} />
      </label>
      <button type="submit" className="button primary">
        <Icon name="plus" /> Add contact
      </button>
    </form>
  );
}
