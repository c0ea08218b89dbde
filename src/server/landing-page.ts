// The callback's last step with a SameSite=Strict session cookie. The provider's redirect to the
// callback is a navigation another site started, and browsers keep treating every hop of that redirect
// chain as cross-site: a 303 from the callback to the app would load the app's first page WITHOUT the
// Strict cookie just set (measured in Chromium 156 and Firefox 153: test/e2e/session-server-cross-site.spec.ts). A
// tiny same-origin page that moves on by itself makes the next request the app's own navigation, which
// carries the cookie. No script: a meta refresh, and a link for browsers that do not follow it.

/** A 200 HTML page that sends the browser on to `location` (an absolute URL on the app's origin). */
export function landingPage(location: string, cookies: readonly string[]): Response {
  const href = escapeHtml(location);
  const headers = new Headers({
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    // The callback URL holds the code and state: the next request must not carry it as its Referer.
    'referrer-policy': 'no-referrer',
    // img-src data: for the empty icon below: Firefox fetches /favicon.ico under this policy otherwise,
    // and logs a violation on every login.
    'content-security-policy': "default-src 'none'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    'x-content-type-options': 'nosniff',
  });
  for (const cookie of cookies) headers.append('set-cookie', cookie);
  // Unquoted after "url=": the rest of the attribute is the URL, whatever characters it holds.
  const body = `<!doctype html><meta charset="utf-8"><meta http-equiv="refresh" content="0;url=${href}"><title>Signed in</title><link rel="icon" href="data:,"><a href="${href}">Continue</a>\n`;
  return new Response(body, { status: 200, headers });
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
