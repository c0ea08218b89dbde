// The browser entry: a fresh render, or the hydration of a server render when #root has content.
import { StrictMode } from 'react';
import { createRoot, hydrateRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { App, BASENAME } from './App.js';
import { createClient } from './auth.js';

declare global {
  interface Window {
    /** Errors React recovered from while hydrating (mismatches): the hydration test expects none. */
    recoverableErrors?: string[];
  }
}

const client = createClient();
const container = document.getElementById('root') as HTMLElement;
// readme:start hydrate
const app = (
  <StrictMode>
    <BrowserRouter basename={BASENAME}>
      <App client={client} />
    </BrowserRouter>
  </StrictMode>
);
if (container.hasChildNodes()) {
  hydrateRoot(container, app, {
    onRecoverableError: (error) => {
      (window.recoverableErrors ??= []).push(String(error));
      console.error(error);
    },
  });
} else {
  createRoot(container).render(app);
}
// readme:end
