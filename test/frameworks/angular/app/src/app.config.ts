// readme:start config
import { provideZonelessChangeDetection, type ApplicationConfig } from '@angular/core';
import { provideRouter, type Routes } from '@angular/router';
import { authGuard, provideAuth } from 'oidc-session/angular';
import { auth } from './auth.js';
import { HomePage, ProtectedPage } from './pages.js';

const routes: Routes = [
  { path: '', component: HomePage },
  // Only signed-in users get here; anonymous ones go to the provider and come back to this route.
  { path: 'protected', component: ProtectedPage, canActivate: [authGuard] },
];

export const appConfig: ApplicationConfig = {
  providers: [
    provideZonelessChangeDetection(),
    provideRouter(routes),
    provideAuth(auth), // handles the login callback, then navigates to returnTo
  ],
};
// readme:end
