/** Entry point of the settings UI, in Electron and in browser mode alike. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.js';
import { createAppState, installAppState } from './app-state.js';
import { connectHost } from './transport.js';

installAppState(createAppState(connectHost()));
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
