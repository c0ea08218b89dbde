// The API behind the proxies: node:http answering a small JSON document for GET /v1/<id> (the
// proxies map /api/orders/<id> there). It refuses what a correct proxy never sends, so a proxy that
// leaked the browser's cookies or lost the token fails the run (any non-2xx does) instead of
// measuring well: 401 without a Bearer token, 400 with a Cookie header.
import { sendJson, serve } from './child.mjs';

serve((req, res) => {
  if (!/^Bearer \S+$/.test(req.headers.authorization ?? '')) return sendJson(res, 401, { error: 'invalid_token' });
  if (req.headers.cookie !== undefined) return sendJson(res, 400, { error: 'cookie_forwarded' });
  const id = /^\/v1\/([\w-]+)$/.exec(req.url ?? '')?.[1];
  if (!id) return sendJson(res, 404, { error: 'not_found' });
  sendJson(res, 200, { id, status: 'shipped', items: [{ sku: 'A-1', quantity: 2 }], total: { amount: 1999, currency: 'EUR' } });
});
