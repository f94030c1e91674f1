/** Entry point of the settings UI, in Electron and in browser mode alike. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { createUiStore, installStore } from './store.js';
import { connectHost } from './transport.js';

installStore(createUiStore(connectHost()));
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
