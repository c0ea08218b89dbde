// readme:start access-token
import { useState } from 'react';
import { useAuth } from 'oidc-session/react';

export function Protected() {
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
