// readme:start fallback
import { useAuth } from 'oidc-session/react';

/** Shown by the guard while it sends the user to the provider, and when it cannot (cancelled, offline). */
export function SignInFallback() {
  const { error, login } = useAuth();
  if (!error) return <p className="fallback">Signing you in…</p>;
  return <button onClick={() => void login()}>Try again</button>;
}
// readme:end
