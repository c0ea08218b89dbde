// The React binding in a server render: plain Node, no window, no document. The provider and the guard
// render the `loading` state from the server snapshot, start nothing and read nothing from the client.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { StrictMode } from 'react';
import { renderToString } from 'react-dom/server';
import { AuthProvider, RequireAuth, useAuth, withAuthenticationRequired } from '../../src/bindings/react.js';
import { FakeClient, authenticated } from './react-fake-client.js';

function Status() {
  const { state, isLoading, isAuthenticated, user } = useAuth();
  return (
    <p data-status={state.status}>
      {String(isLoading)}/{String(isAuthenticated)}/{user?.sub ?? '-'}
    </p>
  );
}

const Secret = withAuthenticationRequired(() => <p>secret</p>, { fallback: <p>wait</p> });

describe('React binding, server render', () => {
  afterEach(() => vi.restoreAllMocks());

  it('runs where there is no window', () => {
    expect(typeof window).toBe('undefined');
    expect(typeof document).toBe('undefined');
  });

  it('renders the loading state, even for a client that is signed in, and calls nothing on it', () => {
    const errors = vi.spyOn(console, 'error');
    const client = new FakeClient(authenticated());
    const html = renderToString(
      <StrictMode>
        <AuthProvider client={client} onRedirect={() => undefined}>
          <Status />
          <RequireAuth fallback={<p>signing in</p>}>
            <p>protected</p>
          </RequireAuth>
          <Secret />
        </AuthProvider>
      </StrictMode>,
    );
    expect(html).toContain('data-status="loading"');
    expect(html).toContain('true<!-- -->/<!-- -->false<!-- -->/<!-- -->-');
    expect(html).toContain('<p>signing in</p>');
    expect(html).toContain('<p>wait</p>');
    expect(html).not.toContain('protected');
    expect(html).not.toContain('secret');
    expect(client.stateReads, 'client.state read during the server render').toBe(0);
    expect(client.handleRedirect).not.toHaveBeenCalled();
    expect(client.login).not.toHaveBeenCalled();
    expect(client.listenerCount).toBe(0);
    // e.g. "The result of getServerSnapshot should be cached".
    expect(errors).not.toHaveBeenCalled();
  });
});
