import { describe, expect, it } from 'vitest';
import { StorageError } from '../../src/errors/errors.js';
import { guardStorage } from '../../src/session/guarded-storage.js';
import type { StorageAdapter } from '../../src/platform/storage.js';

const throwing = (error: Error): StorageAdapter => ({
  get: () => { throw error; },
  set: () => { throw error; },
  remove: () => { throw error; },
  keys: () => { throw error; },
});

describe('GuardedStorage', () => {
  it('turns a blocked storage (SecurityError) into StorageError, synchronously for sync adapters', () => {
    const storage = guardStorage(throwing(new DOMException('blocked', 'SecurityError')));
    expect(() => storage.get('k')).toThrow(StorageError);
  });

  it('turns a full quota into StorageError saying so', async () => {
    const storage = guardStorage(throwing(new DOMException('full', 'QuotaExceededError')));
    await expect(storage.set('k', 'v')).rejects.toMatchObject({ name: 'StorageError', code: 'storage_unavailable', message: expect.stringContaining('full') });
  });

  it('turns an async adapter failure into StorageError', async () => {
    const storage = guardStorage({ get: async () => { throw new Error('idb'); }, set: async () => undefined, remove: async () => undefined, keys: async () => [] });
    await expect(storage.get('k')).rejects.toBeInstanceOf(StorageError);
  });

  it('reads null and non-strings as absent', async () => {
    const storage = guardStorage({ get: () => null, set: () => undefined, remove: () => undefined, keys: () => [] });
    expect(storage.get('k')).toBeUndefined();
  });
});
