// readme:start claims
/** Claims this app's provider adds to the standard ones: asserted, not checked (the binding checks only the standard ones). */
export interface AppClaims {
  readonly tenant?: string;
}
// readme:end
