// par('auto') against oidc-provider whose metadata requires pushed authorization requests for every
// client (`require_pushed_authorization_requests: true`, RFC 9126 §5).
import { expect, setOptions, signIn, test } from './fixtures.js';

test.use({ providerPar: 'provider' });

test.describe("PAR 'auto'", () => {
  test("'auto' pushes because the provider's metadata requires it", async ({ page, world }) => {
    await setOptions(page, world, { par: 'auto' });
    expect(await signIn(page, world)).toMatchObject({ ok: true });
    expect(world.stack.provider.requests.filter((r) => r.route === 'pushed_authorization_request').length).toBe(1);
  });
});
