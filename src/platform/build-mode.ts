declare const process: { env: { NODE_ENV?: string } };

/**
 * True unless a bundler built the app for production: bundlers replace `process.env.NODE_ENV`, and a
 * page without one (an import map) throws on `process` and counts as development. The script-tag
 * builds use build-mode.cdn.ts instead (tsup.config.ts), where there is no bundler to ask.
 */
export function isDevelopment(): boolean {
  try {
    return process.env.NODE_ENV !== 'production';
  } catch {
    return true;
  }
}
