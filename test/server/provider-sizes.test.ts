// Sizes a provider sends the session server are bounded before they are parsed: a token, discovery or
// revocation answer over 1 MiB is refused as it streams in (declared by Content-Length or not), so a
// hostile or broken provider cannot make the server buffer and parse tens of megabytes per request.
// Siblings: the code exchange, the refresh, discovery; with and without Content-Length.
import { describe, expect, test } from 'vitest';
import { createFakeProvider } from '../unit/fake-provider.js';
import { APP, completeLogin, serverFor } from './fake-provider-server.js';
const HUGE = 2 * 1024 * 1024;

/** A JSON object padded past `bytes`, as one declared body or as a stream of chunks without a length. */
function huge(base: Record<string, unknown>, declared: boolean): Response {
  const text = JSON.stringify({ ...base, padding: 'x'.repeat(HUGE) });
  const headers = { 'content-type': 'application/json' };
  if (declared) return new Response(text, { headers: { ...headers, 'content-length': String(text.length) } });
  const bytes = new TextEncoder().encode(text);
  let at = 0;
  const stream = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(at, (at += 65_536)));
    },
  });
  return new Response(stream, { headers });
}

async function world() {
  const fake = await createFakeProvider({ clientId: 'app' });
  const server = serverFor(fake);
  return { fake, server };
}

describe('a provider answer over 1 MiB', () => {
  test.each([true, false])('at the code exchange (Content-Length declared: %s): the login fails, no session', async (declared) => {
    const { fake, server } = await world();
    fake.hooks.token = async (_body, normal) => huge((await (await normal()).json()) as Record<string, unknown>, declared);
    const done = await completeLogin(server, fake);
    expect(done.status).toBe(303);
    expect(new URL(done.headers.get('location') as string).searchParams.get('auth_error')).toBe('unexpected_response');
    expect(done.headers.getSetCookie().some((cookie) => cookie.startsWith('__Host-oidc-session='))).toBe(false);
  });

  test.each([true, false])('at discovery (Content-Length declared: %s): GET login is 502, nothing starts', async (declared) => {
    const { fake, server } = await world();
    fake.hooks.discovery = async (normal) => huge((await normal().json()) as Record<string, unknown>, declared);
    const response = await server.handle(new Request(`${APP}/auth/login?returnTo=/`));
    expect(response.status).toBe(502);
    expect(response.headers.get('location')).toBeNull();
  });

  test('the control: a padded answer under the bound is accepted', async () => {
    const { fake, server } = await world();
    fake.hooks.discovery = async (normal) => fake.json({ ...((await normal().json()) as Record<string, unknown>), padding: 'x'.repeat(500_000) });
    expect((await server.handle(new Request(`${APP}/auth/login?returnTo=/`))).status).toBe(303);
  });
});
