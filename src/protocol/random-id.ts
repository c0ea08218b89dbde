/** A random identifier for a tab (64 bits): not a secret, only unique among the tabs of one browser. */
export function randomId(): string {
  return crypto.getRandomValues(new Uint32Array(2)).join('-');
}
