// The app's own tiny router (a SvelteKit app has its own): the path under the app's base, as a store.
import { writable } from 'svelte/store';

const base = import.meta.env.BASE_URL.replace(/\/$/, ''); // '/svelte'
const current = () => location.pathname.slice(base.length) || '/';

export const path = writable(current());
addEventListener('popstate', () => path.set(current()));

/** Goes to `href`: an absolute path on the origin, or a path under the base. */
export function navigate(href: string, { replace = false } = {}): void {
  const url = href.startsWith(`${base}/`) ? href : base + href;
  if (replace) history.replaceState(history.state, '', url);
  else history.pushState(null, '', url);
  path.set(current());
}
