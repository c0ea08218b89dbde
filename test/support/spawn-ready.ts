// Starts a Node fixture in a child process and waits until it prints that it is ready, failing with
// what it printed if it exits first or takes too long.
import { spawn, type ChildProcess } from 'node:child_process';

export interface ReadyChild {
  child: ChildProcess;
  /** Everything the child printed so far, stdout and stderr. */
  output(): string;
  alive(): boolean;
}

export async function spawnReady(fixture: string, env: Record<string, string>, ready: string, what: string, timeoutMs: number): Promise<ReadyChild> {
  const child = spawn(process.execPath, [fixture], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start:\n${output}`)), timeoutMs);
    const onExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}) before it was ready:\n${output}`));
    };
    child.once('exit', onExit);
    child.stdout?.on('data', () => {
      if (!output.includes(ready)) return;
      clearTimeout(timer);
      child.off('exit', onExit);
      resolve();
    });
  });
  return { child, output: () => output, alive: () => child.exitCode === null && child.signalCode === null };
}
