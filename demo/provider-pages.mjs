// The local provider's pages: sign-in, sign-out confirmation, signed-out and error. Self-contained
// (no external fonts or scripts), and every dynamic value is escaped.

const style = `
  :root { color-scheme: light dark; --accent: #4f46e5; --bg: #f4f4f8; --card: #fff; --text: #1f2330; --muted: #667; }
  @media (prefers-color-scheme: dark) { :root { --bg: #12131a; --card: #1d1f2a; --text: #e8e9f0; --muted: #99a; } }
  * { box-sizing: border-box; }
  body { margin: 0; min-height: 100vh; display: grid; place-items: center; background: var(--bg); color: var(--text);
         font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; }
  main { width: min(380px, 92vw); background: var(--card); border-radius: 14px; padding: 32px;
         box-shadow: 0 10px 30px rgba(0,0,0,.12); }
  .brand { font-size: 13px; letter-spacing: .08em; text-transform: uppercase; color: var(--accent); font-weight: 700; }
  h1 { font-size: 22px; margin: 6px 0 4px; }
  p { color: var(--muted); margin: 0 0 20px; }
  label { display: block; font-size: 14px; font-weight: 600; margin-bottom: 6px; }
  input { width: 100%; padding: 10px 12px; border-radius: 8px; border: 1px solid #8884; background: transparent;
          color: inherit; font: inherit; margin-bottom: 16px; }
  button { width: 100%; padding: 11px; border: 0; border-radius: 8px; font: inherit; font-weight: 600; cursor: pointer; }
  .primary { background: var(--accent); color: #fff; }
  .secondary { background: transparent; color: var(--muted); margin-top: 8px; }
  .error { color: #d33; font-size: 14px; margin: -8px 0 12px; }
`;

/** Escapes text for HTML element and attribute content. */
function escape(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title, body) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title><style>${style}</style></head><body><main><div class="brand">Local OpenID Provider</div>${body}</main></body></html>`;
}

/** The sign-in form: any user name is accepted; there is no password. */
export function loginPage({ uid, clientName, loginHint, error }) {
  return page(
    'Sign in',
    `<h1>Sign in</h1><p>to continue to <strong>${escape(clientName)}</strong>. Any user name works.</p>
<form method="post" action="/interaction/${escape(uid)}/login" autocomplete="off">
  <label for="login">User name</label>
  <input id="login" name="login" placeholder="e.g. ada" value="${escape(loginHint)}" autofocus required>
  ${error ? `<div class="error">${escape(error)}</div>` : ''}
  <button class="primary" type="submit">Sign in</button>
</form>
<form method="post" action="/interaction/${escape(uid)}/abort"><button class="secondary" type="submit">Cancel</button></form>`,
  );
}

/** RP-initiated logout confirmation; `form` is oidc-provider's hidden form carrying its xsrf token. */
export function logoutPage(form) {
  return page(
    'Sign out',
    `<h1>Sign out?</h1><p>You are signing out of the local provider.</p>${form}
<button class="primary" autofocus type="submit" form="op.logoutForm" value="yes" name="logout">Yes, sign me out</button>
<button class="secondary" type="submit" form="op.logoutForm">No, stay signed in</button>`,
  );
}

export function loggedOutPage() {
  return page('Signed out', '<h1>Signed out</h1><p>You have signed out of the local provider.</p>');
}

export function errorPage(out) {
  return page('Error', `<h1>Something went wrong</h1><p>${escape(out.error)}: ${escape(out.error_description)}</p>`);
}
