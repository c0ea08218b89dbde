/** A random identifier (96 bits, hex) for tabs and logins. Not a secret, only unique. */
export function randomId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(12)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}
