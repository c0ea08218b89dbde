// A private X display: MiniBrowser has no headless mode, and without a display the WebDriver session
// never starts (it hangs). Xvfb picks a free display number itself and tells us through -displayfd.
import { spawnGroup, type GroupProcess } from './process-group.js';
import { withTimeout } from './with-timeout.js';

export interface Display {
  /** For DISPLAY, e.g. ":3". */
  name: string;
  stop(): Promise<void>;
}

export async function startXvfb(): Promise<Display> {
  const xvfb: GroupProcess = spawnGroup('Xvfb', ['-displayfd', '3', '-nolisten', 'tcp', '-screen', '0', '1280x1024x24'], {}, ['pipe']);
  const fd3 = xvfb.child.stdio[3] as NodeJS.ReadableStream;
  try {
    const number = await withTimeout(
      new Promise<string>((resolve, reject) => {
        let text = '';
        fd3.on('data', (chunk) => {
          text += chunk;
          if (text.includes('\n')) resolve(text.trim());
        });
        xvfb.child.once('exit', (code) => reject(new Error(`Xvfb exited (${code}):\n${xvfb.output()}`)));
      }),
      10_000,
      'starting Xvfb',
    );
    return { name: `:${number}`, stop: xvfb.stop };
  } catch (error) {
    await xvfb.stop();
    throw error;
  }
}
