// The page: the shared-notes app (../shared-notes/notes.js) in a browser, over the SDK's browser
// build. The host handed it the daemon's IPC key and the address to reach it at (see host.mjs).
import { HGXLink } from '@hypergolix/hgx';
import { Notes } from './notes.js';

const $ = (id) => document.getElementById(id);
const status = (text, error = false) => {
  $('status').textContent = text;
  $('status').className = error ? 'error' : '';
};

function render(notes) {
  $('notes').replaceChildren(
    ...notes.list().map((n) => {
      const li = document.createElement('li');
      li.dataset.ghid = n.ghid;
      li.dataset.mine = String(n.mine);
      const text = document.createElement('span');
      text.className = 'text';
      text.textContent = n.text;
      const id = document.createElement('code');
      id.textContent = ` ${n.ghid}`;
      li.append(text, id);
      return li;
    }),
  );
}

try {
  const { token, port, daemonPort } = JSON.parse($('hgx-host').textContent);
  const link = await HGXLink.connect({ host: location.hostname, port, daemonPort, token });
  link.on('disconnected', () => status('reconnecting…', true));
  link.on('reconnected', () => status('connected'));
  $('whoami').textContent = link.whoami;
  const notes = await Notes.open(link);
  notes.onChange((event) => {
    render(notes);
    if (event.type === 'shared') status(`shared with ${event.with.slice(0, 12)}…`);
  });
  $('new').addEventListener('submit', (ev) => {
    ev.preventDefault();
    notes.create($('text').value).then(() => ($('text').value = ''), (err) => status(`${err.name}: ${err.message}`, true));
  });
  $('share').addEventListener('submit', (ev) => {
    ev.preventDefault();
    notes.share($('share-ghid').value.trim(), $('share-with').value.trim()).catch((err) => status(`${err.name}: ${err.message}`, true));
  });
  status('connected');
} catch (err) {
  status(`${err.name}: ${err.message}`, true);
}
