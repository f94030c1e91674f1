// Shared notes: the app's logic, in plain JavaScript over @hypergolix/hgx, the same in Node
// (main.mjs, a terminal app) and in a browser page (../browser). Each note is a JsonObj under
// the app's own API ID, so shares of notes reach notes apps only; the author edits a note, and
// everyone it is shared with sees the edit live ('update' events). With an app token, the list
// of notes is kept in the token's startup object (a private JsonObj), so a restart shows them again.
import { ApiId, JsonObj } from '@hypergolix/hgx';

/** The app's API ID: 64 bytes naming its schema (here, a padded name; any 64 fixed bytes do). */
export const NOTES_API = ApiId.from(new TextEncoder().encode('hypergolix example: shared notes, v1'.padEnd(64, '.')));

/** A note as the app shows it. */
function view(obj, whoami) {
  const s = obj.state && typeof obj.state === 'object' ? obj.state : {};
  return { ghid: obj.ghid, text: String(s.text ?? ''), edited: String(s.edited ?? ''), author: obj.author, mine: obj.author === whoami };
}

export class Notes {
  #link;
  #notes = new Map();
  #listeners = new Set();
  /** The token's startup object listing the notes' GHIDs, or null when nothing is kept. */
  #index = null;
  /** Index writes one after another: two pushes of one object at once would race. */
  #saving = Promise.resolve();

  constructor(link) {
    this.#link = link;
  }

  /**
   * Opens the app over a connected link: notes shared with this user arrive from now on (and
   * those that waited). With `{ keep: true }`, every note made or accepted is kept in an app
   * token's startup object, and `{ keep: true, token }` (a token of an earlier run, from
   * `link.token`) opens that run's notes again. The daemon refuses a token it never issued
   * (IpcError `UnknownToken`) and one another connection uses.
   */
  static async open(link, { keep = false, token } = {}) {
    const notes = new Notes(link);
    if (keep) await notes.#openIndex(token);
    await link.registerShareHandler(NOTES_API, (ghid, origin) => notes.#arrived(ghid, origin));
    return notes;
  }

  async #openIndex(token) {
    const startup = await this.#link.registerToken(token);
    if (startup === null) {
      this.#index = await this.#link.new(JsonObj, { notes: [] }, { private: true });
      await this.#link.registerStartup(this.#index);
      return;
    }
    this.#index = await this.#link.get(JsonObj, startup);
    const kept = Array.isArray(this.#index.state?.notes) ? this.#index.state.notes : [];
    for (const ghid of kept) {
      try {
        this.#track(await this.#link.get(JsonObj, ghid));
      } catch {
        // Deleted by its author, or no longer readable here: it leaves the list below.
      }
    }
    if (this.#notes.size !== kept.length) await this.#save();
  }

  /** Writes the list of notes into the index, after any write still under way. */
  #save() {
    if (!this.#index) return Promise.resolve();
    const index = this.#index;
    this.#saving = this.#saving
      .catch(() => {})
      .then(async () => {
        index.state = { notes: [...this.#notes.keys()] };
        await index.push();
      });
    return this.#saving;
  }

  /** `fn(event)` for every change: { type: 'created' | 'arrived' | 'updated' | 'deleted' | 'shared' | 'share-failed', note, … }. */
  onChange(fn) {
    this.#listeners.add(fn);
    return () => this.#listeners.delete(fn);
  }

  list() {
    return [...this.#notes.values()].map((o) => view(o, this.#link.whoami));
  }

  async create(text) {
    const obj = await this.#link.new(JsonObj, { text, edited: new Date().toISOString() }, { apiId: NOTES_API });
    this.#track(obj);
    await this.#save();
    return this.#emit({ type: 'created', note: view(obj, this.#link.whoami) });
  }

  /** Only the author can edit (others get LocallyImmutable): the new text reaches every reader. */
  async edit(ghid, text) {
    const obj = this.#get(ghid);
    const before = obj.state;
    obj.state = { text, edited: new Date().toISOString() };
    try {
      await obj.push();
    } catch (err) {
      // The state is local until pushed: a refused edit must not linger in the app.
      obj.state = before;
      throw err;
    }
    return this.#emit({ type: 'edited', note: view(obj, this.#link.whoami) });
  }

  /** Shares a note with a user (their fingerprint); 'shared' follows when their daemon accepts it. */
  async share(ghid, fingerprint) {
    await this.#get(ghid).share(fingerprint);
  }

  #get(ghid) {
    const obj = this.#notes.get(ghid);
    if (!obj) throw new Error(`No note ${ghid.slice(0, 12)}… here`);
    return obj;
  }

  async #arrived(ghid, origin) {
    const obj = await this.#link.get(JsonObj, ghid);
    if (this.#notes.has(ghid)) return;
    this.#track(obj);
    await this.#save();
    this.#emit({ type: 'arrived', from: origin, note: view(obj, this.#link.whoami) });
  }

  #track(obj) {
    this.#notes.set(obj.ghid, obj);
    obj.on('update', () => this.#emit({ type: 'updated', note: view(obj, this.#link.whoami) }));
    obj.on('delete', () => {
      this.#notes.delete(obj.ghid);
      void this.#save().catch((err) => this.#emit({ type: 'error', error: err.name, message: `The list of notes was not saved: ${err.message}` }));
      this.#emit({ type: 'deleted', ghid: obj.ghid });
    });
    obj.on('shared', (recipient) => this.#emit({ type: 'shared', ghid: obj.ghid, with: recipient }));
    obj.on('share-failed', (recipient) => this.#emit({ type: 'share-failed', ghid: obj.ghid, with: recipient }));
  }

  #emit(event) {
    for (const fn of this.#listeners) fn(event);
    return event;
  }
}
