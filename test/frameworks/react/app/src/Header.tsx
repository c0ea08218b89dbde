// readme:start use-auth
import { useAuth } from 'oidc-session/react';

export function Header() {
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
