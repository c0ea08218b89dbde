// readme:start router
import { createAuthGuard } from 'oidc-session/vue';
import { createRouter, createWebHistory } from 'vue-router';
import { auth } from './auth.js';
import Home from './Home.vue';
import Protected from './Protected.vue';

export const router = createRouter({
  history: createWebHistory(import.meta.env.BASE_URL),
  routes: [
    { path: '/', component: Home },
    // Only signed-in users get here; anonymous ones go to the provider and come back to this route.
    { path: '/protected', component: Protected, meta: { requiresAuth: true } },
  ],
});

router.beforeEach(createAuthGuard(auth));
// readme:end
