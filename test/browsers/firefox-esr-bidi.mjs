#!/usr/bin/env node
// Playwright starts this file as its Firefox (the `moz-firefox` channel with this executablePath). It
// starts Debian's firefox-esr with the same arguments and stands between the two on the WebDriver BiDi
// socket, for one reason: Playwright 1.65 sends set-up commands that older ESR releases answer with
// "unknown command", which fails the launch or every new context. Firefox 153 ESR lacks
// `emulation.setMediaFeaturesOverride` (it only emulates `prefers-color-scheme`, which no test uses);
// Firefox 140 ESR, which Debian ships today, lacks more of them: `network.addDataCollector` (keeps
// response bodies for `response.body()`, which no test reads), `browser.setDownloadBehavior` (no test
// downloads), and the screen, locale and time-zone emulation commands (Playwright sends its default
// en-US locale; no test emulates a screen, locale or time zone). Every command still reaches
// Firefox; only an "unknown command" answer to a tolerated method is turned into an empty success, so
// once Firefox implements the method, the shim changes nothing. No file in node_modules is touched.
import { spawn } from 'node:child_process';
import { WebSocket, WebSocketServer } from 'ws';

const FIREFOX = process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr';
/** BiDi methods Firefox ESR may not know yet, that Playwright sends whatever the test asks for. */
const TOLERATED = new Set([
  'emulation.setMediaFeaturesOverride',
  'emulation.setScreenSettingsOverride',
  'emulation.setScreenOrientationOverride',
  'emulation.setLocaleOverride',
  'emulation.setTimezoneOverride',
  'network.addDataCollector',
  'browser.setDownloadBehavior',
]);
const LISTENING = /WebDriver BiDi listening on (ws:\/\/\S+)/;

const firefox = spawn(FIREFOX, process.argv.slice(2), { stdio: ['ignore', 'pipe', 'pipe'] });
for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(signal, () => firefox.kill(signal));
firefox.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
firefox.stdout.pipe(process.stdout);

// Playwright learns the socket's address from this line on the browser's output: announce ours instead.
let announced = false;
let pending = '';
firefox.stderr.on('data', async (chunk) => {
  if (announced) return void process.stderr.write(chunk);
  pending += chunk.toString();
  const match = LISTENING.exec(pending);
  if (!match) return;
  announced = true;
  const own = await listen(match[1]);
  process.stderr.write(pending.replace(match[1], own));
});

/** Starts the proxy in front of Firefox's socket and resolves with the address to announce. */
function listen(upstream) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  server.on('connection', (client, request) => relay(client, new WebSocket(upstream + (request.url ?? ''))));
  return new Promise((resolve) => server.on('listening', () => resolve(`ws://127.0.0.1:${server.address().port}`)));
}

/** Passes messages both ways; answers a tolerated command's "unknown command" with an empty success. */
function relay(client, firefoxSocket) {
  const tolerated = new Set();
  const queued = [];
  const toFirefox = (data) => (firefoxSocket.readyState === WebSocket.OPEN ? firefoxSocket.send(data) : queued.push(data));
  firefoxSocket.on('open', () => queued.splice(0).forEach((data) => firefoxSocket.send(data)));

  client.on('message', (data) => {
    const message = parse(data);
    if (message && TOLERATED.has(message.method)) tolerated.add(message.id);
    toFirefox(data.toString());
  });
  firefoxSocket.on('message', (data) => {
    const message = parse(data);
    if (message && tolerated.delete(message.id) && message.type === 'error' && message.error === 'unknown command') {
      return void client.send(JSON.stringify({ type: 'success', id: message.id, result: {} }));
    }
    client.send(data.toString());
  });
  client.on('close', () => firefoxSocket.close());
  firefoxSocket.on('close', () => client.close());
  client.on('error', () => firefoxSocket.terminate());
  firefoxSocket.on('error', () => client.terminate());
}

function parse(data) {
  try {
    return JSON.parse(data.toString());
  } catch {
    return undefined;
  }
}
