import { test } from './fixtures.js';
import { sessionServerCases } from './session-server-cases.js';

// A redis-server of its own for this file's worker (redis-server must be installed: see README).
test.use({ sessionStore: 'redis' });
sessionServerCases('redis');
