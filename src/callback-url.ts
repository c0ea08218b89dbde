/**
 * Reading and cleaning the URL the provider sent the user back to. The code flow answers in the
 * query string only; a fragment is never read.
 */

/** Parameters of an authorization response; they are removed from the address bar once read. */
const RESPONSE_PARAMS = ['code', 'state', 'iss', 'error', 'error_description', 'error_uri', 'session_state'];

/** `url` without the response parameters and fragment, keeping the app's own query parameters. */
export function withoutResponseParams(url: URL): string {
  const clean = new URL(url.href);
  for (const name of RESPONSE_PARAMS) clean.searchParams.delete(name);
  clean.hash = '';
  return clean.href;
}
