// The demo's static app server (demo/app-server.mjs) alone in a process, for the fuzz's check that no
// request target ends it. Prints "ready <port>"; an uncaught exception ends the process, as in the demo.
import { fileURLToPath } from 'node:url';
import { startAppServer } from '../../../demo/app-server.mjs';

const pages = fileURLToPath(new URL('../../../demo/public/', import.meta.url));
const app = await startAppServer({ host: '127.0.0.1', pages: { '/demo/': pages }, config: () => ({ demo: true }) });
process.stdout.write(`ready ${new URL(app.origin).port}\n`);
// Never outlive the test run that started us.
const parent = process.ppid;
setInterval(() => process.ppid !== parent && process.exit(0), 1_000).unref();
