import { describe, expect, it } from 'vitest';
import { guardStorage } from '../../src/session/guarded-storage.js';
import { keyPrefix } from '../../src/session/storage-keys.js';
import { TRANSACTION_MAX_AGE_MS, clearTransactions, saveTransaction, takeTransaction, type Transaction } from '../../src/session/transaction.js';
import { inspectableStorage } from './harness.js';

const keys = keyPrefix('spa');
const txn = (state: string, createdAt = 0): Transaction => ({
  v: 1, state, nonce: 'n', codeVerifier: 'v', issuer: 'https://op.test', redirectUri: 'https://rp.test/cb', returnTo: '/', createdAt,
});

describe('transactions', () => {
  it('are taken once: a second take finds nothing', async () => {
    const storage = guardStorage(inspectableStorage());
    await saveTransaction(storage, keys, txn('s1'));
    expect(await takeTransaction(storage, keys, 's1', 1, () => true)).toMatchObject({ state: 's1' });
    expect(await takeTransaction(storage, keys, 's1', 1, () => true)).toBeUndefined();
  });

  it('are refused when too old, and removed when taken', async () => {
    const adapter = inspectableStorage();
    const storage = guardStorage(adapter);
    await saveTransaction(storage, keys, txn('old', 0));
    expect(await takeTransaction(storage, keys, 'old', TRANSACTION_MAX_AGE_MS + 1, () => true)).toBe('expired');
    expect(adapter.map.size).toBe(0);
  });

  it('ignore a planted or corrupt record', async () => {
    const adapter = inspectableStorage();
    const storage = guardStorage(adapter);
    adapter.map.set(`${keys}txn:s`, '{"v":1,"state":"s"}');
    expect(await takeTransaction(storage, keys, 's', 0, () => true)).toBeUndefined();
    adapter.map.set(`${keys}txn:t`, JSON.stringify({ ...txn('other'), state: 'other' }));
    expect(await takeTransaction(storage, keys, 't', 0, () => true)).toBeUndefined();
  });

  it('are all removed by clearTransactions, and only ours', async () => {
    const adapter = inspectableStorage();
    const storage = guardStorage(adapter);
    adapter.map.set('unrelated', 'x');
    await saveTransaction(storage, keys, txn('a'));
    await saveTransaction(storage, keys, txn('b'));
    await clearTransactions(storage, keys);
    expect([...adapter.map.keys()]).toEqual(['unrelated']);
  });
});
