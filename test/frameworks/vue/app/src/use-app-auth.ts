// readme:start claims
import { useAuth } from 'oidc-session/vue';

/** Claims this app's provider adds to the standard ones: asserted, not checked (the binding checks only the standard ones). */
export interface AppClaims {
  readonly tenant?: string;
}

/** useAuth() with them: `user.value?.tenant` is `string | undefined`, as `user.value?.name` is; no casts. */
export const useAppAuth = () => useAuth<AppClaims>();
// readme:end
