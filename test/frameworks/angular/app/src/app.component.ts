// readme:start component
import { Component, signal } from '@angular/core';
import { RouterLink, RouterOutlet } from '@angular/router';
import { injectAuth } from 'oidc-session/angular';

@Component({
  selector: 'app-root',
  imports: [RouterLink, RouterOutlet],
  template: `
    <header>
      <p id="status" [attr.data-status]="auth.state().status">
        @if (auth.isLoading()) { Loading… }
        @else if (auth.isAuthenticated()) { Signed in as {{ auth.user()?.name ?? auth.user()?.sub }} }
        @else { Signed out }
      </p>
      @if (auth.error(); as error) { <p id="error" role="alert">Sign-in failed: {{ error.code }}</p> }
      @if (auth.isAuthenticated()) {
        <button id="logout" (click)="auth.logout()">Sign out</button>
      } @else {
        <button id="login" [disabled]="auth.isLoading()" (click)="auth.login()">Sign in</button>
      }
    </header>
    <nav>
      <a id="to-home" routerLink="/">Home</a>
      <a id="to-protected" routerLink="/protected">Protected</a>
      <button id="orders" [disabled]="!auth.isAuthenticated()" (click)="loadOrders()">Load orders</button>
      <output id="orders-result">{{ orders() }}</output>
      <span id="user-sub">{{ auth.user()?.sub }}</span>
    </nav>
    <main><router-outlet /></main>
  `,
})
export class AppComponent {
  readonly auth = injectAuth();
  readonly orders = signal('');

  async loadOrders(): Promise<void> {
    try {
      const token = await this.auth.getAccessToken(); // cached while fresh, refreshed when it expires
      this.orders.set(`token …${token.slice(-8)}`); // a real app: HttpClient with an interceptor adding the bearer token
    } catch (failure) {
      this.orders.set(`failed: ${(failure as { code?: string }).code}`);
    }
  }
}
// readme:end
