// readme:start sveltekit-layout
// src/routes/+layout.ts: the session lives in the browser, so the app renders there only.
export const ssr = false;
// readme:end
