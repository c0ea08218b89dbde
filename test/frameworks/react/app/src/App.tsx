// The test app: a public home page and a guarded route, under React Router with the app's base path.
// Rendered by main.tsx in the browser and by entry-server.tsx on the server (the hydration test).
// readme:start routes
import { Route, Routes } from 'react-router';
import { RequireAuth, type SessionClient } from 'oidc-session/react';
import { AuthProviderWithRouter } from './AuthProviderWithRouter.js';
import { Header } from './Header.js';
import { Home } from './Home.js';
import { Protected } from './Protected.js';
import { SignInFallback } from './SignInFallback.js';

export function App({ client }: { client: SessionClient }) {
  return (
    <AuthProviderWithRouter client={client}>
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
