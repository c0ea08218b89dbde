// A fake chrome.storage area with the real StorageArea's promise API: get(key | keys | defaults | null)
// resolves with the items found (absent keys left out), values are copied in and out as JSON, a quota
// refuses writes that would exceed it, and getKeys() exists only where asked (Chrome 130+).

export interface FakeStorageArea {
  readonly items: Map<string, string>;
  failNext(error: unknown): void;
  get(keys?: string | string[] | Record<string, unknown> | null): Promise<Record<string, unknown>>;
  set(values: Record<string, unknown>): Promise<void>;
  remove(keys: string | string[]): Promise<void>;
  clear(): Promise<void>;
  getBytesInUse(): Promise<number>;
  getKeys?(): Promise<string[]>;
}

export function fakeStorageArea(options: { getKeys?: boolean; quotaBytes?: number } = {}): FakeStorageArea {
  const items = new Map<string, string>();
  const pick = (keys: readonly string[]) => Object.fromEntries(keys.filter((k) => items.has(k)).map((k) => [k, JSON.parse(items.get(k) as string)]));
  const bytes = () => [...items].reduce((sum, [k, v]) => sum + k.length + v.length, 0);
  const failures: unknown[] = [];
  const failIfAsked = () => {
    if (failures.length) throw failures.shift();
  };
  const area = {
    items,
    failNext: (error: unknown) => void failures.push(error),
    async get(keys?: string | string[] | Record<string, unknown> | null): Promise<Record<string, unknown>> {
      failIfAsked();
      if (keys === null || keys === undefined) return pick([...items.keys()]);
      if (typeof keys === 'string') return pick([keys]);
      if (Array.isArray(keys)) return pick(keys);
      return { ...keys, ...pick(Object.keys(keys)) };
    },
    async set(values: Record<string, unknown>): Promise<void> {
      failIfAsked();
      const next = new Map(items);
      for (const [k, v] of Object.entries(values)) next.set(k, JSON.stringify(v));
      const size = [...next].reduce((sum, [k, v]) => sum + k.length + v.length, 0);
      if (options.quotaBytes !== undefined && size > options.quotaBytes) throw new Error('Session storage quota bytes exceeded. Values were not stored.');
      for (const [k, v] of next) items.set(k, v);
    },
    async remove(keys: string | string[]): Promise<void> {
      failIfAsked();
      for (const k of typeof keys === 'string' ? [keys] : keys) items.delete(k);
    },
    async clear(): Promise<void> {
      items.clear();
    },
    async getBytesInUse(): Promise<number> {
      return bytes();
    },
  };
  if (options.getKeys === false) return area;
  return Object.assign(area, {
    async getKeys(): Promise<string[]> {
      failIfAsked();
      return [...items.keys()];
    },
  });
}
