// readme:start main
import { createAuth } from 'oidc-session/vue';
import { createApp } from 'vue';
import App from './App.vue';
import { auth } from './auth.js';
import { router } from './router.js';

const app = createApp(App);
app.use(router); // before createAuth, so that the plugin finds the router
app.use(createAuth(auth)); // handles the login callback, then router.replace(returnTo)
app.mount('#app');
// readme:end

// For the tests: the client, to read its state from the page.
(window as unknown as { auth: unknown }).auth = auth;
