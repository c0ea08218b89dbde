// readme:start pages
import { Component } from '@angular/core';
import { injectAuth } from 'oidc-session/angular';

/** Claims this app's provider adds to the standard ones: asserted, not checked (the binding checks only the standard ones). */
export interface AppClaims {
  readonly tenant?: string;
}

@Component({
  selector: 'app-home',
  template: `<h1 id="page">home</h1>`,
})
export class HomePage {}

@Component({
  selector: 'app-protected',
  template: `
    <h1 id="page">protected</h1>
    <p id="protected-user">{{ auth.user()?.sub }}</p>
  `,
})
export class ProtectedPage {
  // `auth.user()?.tenant` is `string | undefined`, as `auth.user()?.name` is; no casts.
  readonly auth = injectAuth<AppClaims>();
}
// readme:end
