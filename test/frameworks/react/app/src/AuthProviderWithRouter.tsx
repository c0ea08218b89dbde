// readme:start provider
import { useCallback, type ReactNode } from 'react';
import { useNavigate } from 'react-router';
import { AuthProvider, type LoginRedirect, type SessionClient } from 'oidc-session/react';

/** The router's basename: Vite's base, trailing slash kept (`/react/`), so the app's root URL keeps it too. */
export const BASENAME = import.meta.env.BASE_URL;

/** AuthProvider inside the router: after a login, go to `returnTo` with the router, replacing the entry. */
export function AuthProviderWithRouter({ client, children }: { client: SessionClient; children: ReactNode }) {
  const navigate = useNavigate();
  const onRedirect = useCallback(
    ({ returnTo }: LoginRedirect) => {
      // returnTo is a path on the origin, base path included; the router's paths are below its basename.
      const path = returnTo.startsWith(BASENAME) ? `/${returnTo.slice(BASENAME.length)}` : returnTo;
      navigate(path, { replace: true });
    },
    [navigate],
  );
  return (
    <AuthProvider client={client} onRedirect={onRedirect}>
      {children}
    </AuthProvider>
  );
}
// readme:end
