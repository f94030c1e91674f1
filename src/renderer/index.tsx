/** Entry point of the settings UI, in Electron and in browser mode alike. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { createUiStore, installStore } from './store';
import { connectHost } from './transport';

installStore(createUiStore(connectHost()));
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
