// The test app: a public home page and a guarded route, under React Router with the app's base path.
// Rendered by main.tsx in the browser and by entry-server.tsx on the server (the hydration test).
// readme:start provider
import { useCallback, useLayoutEffect, useState, type ReactNode } from 'react';
import { Link, Route, Routes, useNavigate } from 'react-router';
import { AuthProvider, RequireAuth, useAuth, type LoginRedirect, type SessionClient } from 'oidc-session/react';

/** The router's basename: Vite's base, trailing slash kept (`/react/`), so the app's root URL keeps it too. */
export const BASENAME = import.meta.env.BASE_URL;

/** AuthProvider inside the router: after a login, go to `returnTo` with the router, replacing the entry. */
function AuthProviderWithRouter({ client, children }: { client: SessionClient; children: ReactNode }) {
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

declare global {
  interface Window {
    /** Every state status this page committed, from its first render on (the tests read it). */
    renderedStatuses?: string[];
  }
}

// readme:start routes
export function App({ client }: { client: SessionClient }) {
  return (
    <AuthProviderWithRouter client={client}>
      <StatusProbe />
      <Header />
      <Routes>
        <Route path="/" element={<Home />} />
        <Route
          path="/protected"
          element={
            <RequireAuth fallback={<SignInFallback />}>
              <Protected />
            </RequireAuth>
          }
        />
      </Routes>
    </AuthProviderWithRouter>
  );
}
// readme:end

// readme:start use-auth
function Header() {
  const { state, user, error, login, logout } = useAuth();
  return (
    <header>
      <p className="status" data-status={state.status}>
        {state.status === 'authenticated' ? `Signed in as ${user?.name ?? user?.sub}` : state.status}
      </p>
      {error && <p className="error">{error.message}</p>}
      {state.status === 'anonymous' && <button onClick={() => void login()}>Sign in</button>}
      {state.status === 'authenticated' && <button onClick={() => void logout()}>Sign out</button>}
    </header>
  );
}
// readme:end

// readme:start fallback
/** Shown by the guard while it sends the user to the provider, and when it cannot (cancelled, offline). */
function SignInFallback() {
  const { error, login } = useAuth();
  if (!error) return <p className="fallback">Signing you in…</p>;
  return <button onClick={() => void login()}>Try again</button>;
}
// readme:end

// readme:start access-token
function Protected() {
  const { getAccessToken } = useAuth();
  const [token, setToken] = useState<string>();
  const [failure, setFailure] = useState<string>();
  const load = () =>
    getAccessToken().then(
      (value) => (setToken(value), setFailure(undefined)),
      (error: Error) => setFailure(error.message),
    );
  return (
    <main>
      <h1>Protected page</h1>
      <button onClick={() => void load()}>Get access token</button>
      {token && <code className="token">{token}</code>}
      {failure && <p className="token-error">{failure}</p>}
    </main>
  );
}
// readme:end

function Home() {
  return (
    <main>
      <h1>Home</h1>
      <Link to="/protected?tab=orders#latest">Protected page</Link>
      <Tenant />
    </main>
  );
}

/** Claims this app's provider adds to the standard ones: asserted, not checked (the binding checks only the standard ones). */
interface AppClaims {
  readonly tenant?: string;
}

function Tenant() {
  const { user } = useAuth<AppClaims>();
  // user.tenant is `string | undefined`, and so are user.name and user.email: no casts.
  return user?.tenant ? <p className="tenant">{`${user.name ?? user.sub} at ${user.tenant}`}</p> : null;
}

/** Records every committed status in window.renderedStatuses (no element of the page depends on it). */
function StatusProbe() {
  const { state } = useAuth();
  useLayoutEffect(() => {
    const seen = (window.renderedStatuses ??= []);
    if (seen.at(-1) !== state.status) seen.push(state.status);
  }, [state.status]);
  return null;
}
