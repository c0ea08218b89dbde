import { Component } from '@angular/core';
import { injectAuth } from 'oidc-session/angular';

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
  readonly auth = injectAuth();
}
