// Starting and stopping the benchmark apps, each in its own child process so the load generator
// never shares their event loop. Every child is tracked until it has exited; `killAll()` ends the
// stragglers (the driver calls it on any exit path).
import { fork } from 'node:child_process';

const children = new Set();

export const APPS = {
  'oidc-session': new URL('./app-oidc-session.mjs', import.meta.url),
  'express-session': new URL('./app-express-session.mjs', import.meta.url),
};

/**
 * Forks the app for `library` with `config` and waits for it to listen.
 * @param {'oidc-session' | 'express-session'} library
 * @param {object} config See child.mjs.
 * @param {{ cpuProfDir?: string }} [options] Write a V8 CPU profile of the child there when it stops.
 * @returns {Promise<{ stop: () => Promise<void>, pid: number | undefined }>}
 */
export async function startApp(library, config, options = {}) {
  const execArgv = options.cpuProfDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfDir] : [];
  const child = fork(APPS[library], [JSON.stringify(config)], { execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      if (child.connected) child.send('stop');
      else child.kill('SIGKILL');
    });
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${library} app did not start within 15 s`)), 15_000);
      child.once('message', (message) => {
        clearTimeout(timer);
        if (message?.ready) resolve();
        else reject(new Error(`${library} app: unexpected message ${JSON.stringify(message)}`));
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`${library} app exited before listening (${signal ?? code})`));
      });
    });
  } catch (error) {
    await stop();
    throw error;
  }
  return { stop, pid: child.pid };
}

/** Synchronously SIGKILLs every child still running (safe inside an `exit` handler). */
export function killAll() {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}
