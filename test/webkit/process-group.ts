// A child process started as the leader of its own process group, so that stopping it also stops
// what it spawned (WebKitWebDriver → MiniBrowser → WebKitWebProcess/NetworkProcess all share the group).
import { spawn, type ChildProcess, type StdioOptions } from 'node:child_process';

export interface GroupProcess {
  child: ChildProcess;
  /** Everything it printed so far, stdout and stderr. */
  output(): string;
  /** SIGTERM to the whole group, SIGKILL after a grace period; resolves once the leader has exited. */
  stop(): Promise<void>;
}

export function spawnGroup(command: string, args: string[], env: Record<string, string> = {}, extraStdio: StdioOptions = []): GroupProcess {
  const stdio = ['ignore', 'pipe', 'pipe', ...(extraStdio as unknown[])] as StdioOptions;
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio, detached: true });
  let output = '';
  child.stdout?.on('data', (chunk) => (output += chunk));
  child.stderr?.on('data', (chunk) => (output += chunk));
  child.on('error', (error) => (output += `\n${command}: ${error.message}`));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const signalGroup = (signal: NodeJS.Signals) => {
    try {
      if (child.pid) process.kill(-child.pid, signal);
    } catch {
      // The group is already gone.
    }
  };
  return {
    child,
    output: () => output,
    stop: async () => {
      signalGroup('SIGTERM');
      const grace = new Promise<'late'>((resolve) => setTimeout(() => resolve('late'), 2000).unref());
      await Promise.race([exited, grace]);
      // Always: members of the group may outlive its leader.
      signalGroup('SIGKILL');
      await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 1000).unref())]);
    },
  };
}
