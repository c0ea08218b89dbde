// Authenticated encryption for what leaves the server's memory: the pending-login cookie, the
// stateless session cookie and tokens at rest in a store. AES-256-GCM through WebCrypto, so the same
// code runs in Node 20+, Deno, Bun and edge runtimes.
import { ConfigError } from '../errors/errors.js';

const MIN_SECRET_LENGTH = 32;
const IV_BYTES = 12;
// Recently opened values, by their exact sealed text. A session entry is read on every request and
// rewritten (with a new IV, so a new text) only when it changes: a hit skips the decryption, and a
// stale hit cannot happen. Bounded, oldest dropped first.
const OPENED_CACHE_SIZE = 10_000;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Encrypts and decrypts short strings with keys derived from the app's secrets. */
export interface Sealer {
  /**
   * Seals `plaintext`. A `context` (e.g. the store key the value is written under) is authenticated
   * with it, not stored: the value opens only with the same context, so it cannot be moved elsewhere.
   */
  seal(plaintext: string, context?: string): Promise<string>;
  /** The plaintext, or undefined when the input was not sealed by one of our keys for this context (tampered, truncated, foreign, moved). */
  unseal(sealed: string, context?: string): Promise<string | undefined>;
}

/**
 * One key per secret and purpose (HKDF-SHA-256), so a cookie sealed for one purpose never opens as
 * another. The first secret seals; every secret opens, which lets an app rotate secrets without
 * signing everybody out.
 */
export function createSealer(secrets: readonly string[], purpose: string): Sealer {
  const keys = Promise.all(secrets.map((secret) => deriveKey(secret, purpose)));
  // By the sealed text alone, with the context it opened under: a store hands back the same string
  // object every time, whose hash V8 keeps, where a key joined with the context is hashed anew.
  const opened = new Map<string, { context: string | undefined; plain: string }>();
  const remember = (sealed: string, context: string | undefined, plain: string) => {
    if (opened.size >= OPENED_CACHE_SIZE) opened.delete(opened.keys().next().value as string);
    opened.set(sealed, { context, plain });
    return plain;
  };
  // The purpose is in the key already; it is in the additional data too so the binding reads on its own.
  const params = (iv: Uint8Array<ArrayBuffer>, context: string | undefined): AesGcmParams =>
    context === undefined ? { name: 'AES-GCM', iv } : { name: 'AES-GCM', iv, additionalData: encoder.encode(`oidc-session/${purpose}\n${context}`) };
  return {
    async seal(plaintext, context) {
      const [key] = await keys;
      const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
      const cipher = new Uint8Array(await crypto.subtle.encrypt(params(iv, context), key as CryptoKey, encoder.encode(plaintext)));
      const out = new Uint8Array(IV_BYTES + cipher.length);
      out.set(iv);
      out.set(cipher, IV_BYTES);
      return toBase64Url(out);
    },
    async unseal(sealed, context) {
      // Only under the context it opened with: a value moved to another key never hits.
      const cached = opened.get(sealed);
      if (cached !== undefined && cached.context === context) return cached.plain;
      const bytes = fromBase64Url(sealed);
      // 12-byte IV plus the 16-byte tag at least.
      if (!bytes || bytes.length < IV_BYTES + 16) return undefined;
      for (const key of await keys) {
        try {
          const plain = await crypto.subtle.decrypt(params(bytes.slice(0, IV_BYTES), context), key, bytes.subarray(IV_BYTES));
          return remember(sealed, context, decoder.decode(plain));
        } catch {
          // Not this key (or tampered): try the next one.
        }
      }
      return undefined;
    },
  };
}

/**
 * A keyed hash (HMAC-SHA-256, base64url, 43 characters) of a value under each secret, newest first,
 * with keys derived per purpose (HKDF) like the sealing keys. Used to name store entries without
 * writing the session id, the cookie's secret, anywhere a store dump, replica or `MONITOR` shows.
 */
export function createKeyedHash(secrets: readonly string[], purpose: string): (value: string) => Promise<string[]>;
/** The same, each hash handed to `shape` once (what is built from it is remembered with it). */
export function createKeyedHash<T>(secrets: readonly string[], purpose: string, shape: (hash: string) => T): (value: string) => Promise<T[]>;
export function createKeyedHash(secrets: readonly string[], purpose: string, shape: (hash: string) => unknown = (hash) => hash): (value: string) => Promise<unknown[]> {
  const keys = Promise.all(secrets.map((secret) => deriveHmacKey(secret, purpose)));
  // Every request hashes its session id: recent ones are remembered (bounded, oldest dropped first),
  // since a WebCrypto call per request halved the session lookups a second. The map lives only in this
  // process's memory, beside the sessions the memory store keeps anyway.
  const recent = new Map<string, Promise<unknown[]>>();
  return (value) => {
    const known = recent.get(value);
    if (known) return known;
    const data = encoder.encode(value);
    const hashes = keys.then((list) => Promise.all(list.map(async (key) => shape(toBase64Url(new Uint8Array(await crypto.subtle.sign('HMAC', key, data)))))));
    if (recent.size >= OPENED_CACHE_SIZE) recent.delete(recent.keys().next().value as string);
    recent.set(value, hashes);
    return hashes;
  };
}

/** Checks the `secret` option: one string or a list, newest first, each at least 32 characters. */
export function checkSecrets(value: unknown): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0 || list.some((s) => typeof s !== 'string' || s.length < MIN_SECRET_LENGTH)) {
    throw new ConfigError('secret', `expected a random string of at least ${MIN_SECRET_LENGTH} characters (or a list of them, newest first)`);
  }
  return list as string[];
}

async function deriveKey(secret: string, purpose: string): Promise<CryptoKey> {
  return crypto.subtle.deriveKey(hkdf(purpose), await secretMaterial(secret), { name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
}

async function deriveHmacKey(secret: string, purpose: string): Promise<CryptoKey> {
  return crypto.subtle.deriveKey(hkdf(purpose), await secretMaterial(secret), { name: 'HMAC', hash: 'SHA-256', length: 256 }, false, ['sign']);
}

const secretMaterial = (secret: string) => crypto.subtle.importKey('raw', encoder.encode(secret), 'HKDF', false, ['deriveKey']);

const hkdf = (purpose: string): HkdfParams => ({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: encoder.encode(`oidc-session/${purpose}`) });

const BASE64URL = /^[A-Za-z0-9_-]*$/;

export function toBase64Url(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// Node's Buffer decodes base64url natively, about ten times faster than atob and a loop.
const NodeBuffer = (globalThis as { Buffer?: { from(text: string, encoding: 'base64url'): Uint8Array<ArrayBuffer> } }).Buffer;

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> | undefined {
  if (!BASE64URL.test(text) || text.length % 4 === 1) return undefined;
  if (NodeBuffer) return NodeBuffer.from(text, 'base64url');
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

/** A new random identifier: 32 bytes, base64url (43 characters). */
export function newSessionId(): string {
  return toBase64Url(crypto.getRandomValues(new Uint8Array(32)));
}

/** True for a string shaped like {@link newSessionId}'s output; anything else never reaches the store. */
export function isSessionId(value: string): boolean {
  return value.length === 43 && BASE64URL.test(value);
}
