// `DEMO_REDIRECT_URIS`: the URLs of the developer's own app, registered with the demo provider's
// client (`demo-spa`) beside the demo's pages, as redirect and post-logout URIs. Their origins may
// then call the token endpoint too (the provider allows CORS for a client's redirect origins).

/**
 * Parses a comma- or space-separated list of absolute http(s) URLs.
 * @param {string | undefined} text
 * @returns {string[]}
 */
export function parseRedirectUris(text) {
  const uris = (text ?? '').split(/[\s,]+/).filter(Boolean);
  return uris.map((uri) => {
    let url;
    try {
      url = new URL(uri);
    } catch {
      throw new Error(`DEMO_REDIRECT_URIS: "${uri}" is not an absolute URL (like http://localhost:5173/)`);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`DEMO_REDIRECT_URIS: "${uri}" must be http: or https:`);
    if (url.hash) throw new Error(`DEMO_REDIRECT_URIS: "${uri}" must not have a #fragment (OAuth 2.0 §3.1.2)`);
    return url.href;
  });
}
