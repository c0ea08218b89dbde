// The browser entry: a fresh render, or the hydration of a server render when #root has content.
// readme:start hydrate
import { StrictMode } from 'react';
import { createRoot, hydrateRoot } from 'react-dom/client';
import { BrowserRouter } from 'react-router';
import { App } from './App.js';
import { createClient } from './auth.js'; // the app's one client: createBrowserClient() above, or createServerModeClient()
import { BASENAME } from './AuthProviderWithRouter.js';

const client = createClient();
const container = document.getElementById('root') as HTMLElement;
const app = (
  <StrictMode>
    <BrowserRouter basename={BASENAME}>
      <App client={client} />
    </BrowserRouter>
  </StrictMode>
);
if (container.hasChildNodes()) hydrateRoot(container, app);
else createRoot(container).render(app);
// readme:end

declare global {
  interface Window {
    /** Errors React recovered from while hydrating (mismatches): the hydration test expects none. */
    recoverableErrors?: string[];
    /** Every state status this page committed, from its first render on (the tests read it). */
    renderedStatuses?: string[];
  }
}

// For the tests, none of it part of the app. React reports the errors it recovers from while hydrating
// with reportError(), an `error` event on window: keep them. (Rendering is scheduled, so it starts
// after this module has run.)
addEventListener('error', (event) => (window.recoverableErrors ??= []).push(String(event.error ?? event.message)));

// And every status the page committed, in order: the Header's data-status as the DOM gets it.
const renderedStatuses: string[] = (window.renderedStatuses = []);
const record = (status: string | null | undefined) => {
  if (status && renderedStatuses.at(-1) !== status) renderedStatuses.push(status);
};
const shown = () => container.querySelector('.status')?.getAttribute('data-status');
record(shown()); // a server render's
new MutationObserver((mutations) => {
  for (const mutation of mutations) if (mutation.type === 'attributes') record(mutation.oldValue);
  record(shown());
}).observe(container, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-status'], attributeOldValue: true });
