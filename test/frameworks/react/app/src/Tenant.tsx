// readme:start tenant
import { useAuth } from 'oidc-session/react';

/** Claims this app's provider adds to the standard ones: asserted, not checked (the binding checks only the standard ones). */
interface AppClaims {
  readonly tenant?: string;
}

export function Tenant() {
  const { user } = useAuth<AppClaims>();
  // user.tenant is `string | undefined`, and so are user.name and user.email: no casts.
  return user?.tenant ? <p className="tenant">{`${user.name ?? user.sub} at ${user.tenant}`}</p> : null;
}
// readme:end
