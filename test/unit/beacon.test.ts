import { describe, expect, it } from 'vitest';
import { beaconFor, compareWithBeacon, type Beacon } from '../../src/tabs/beacon.js';
import type { SessionRecord } from '../../src/session/token-set.js';

const record = (over: Partial<SessionRecord> = {}) => ({ sid: 's1', gen: 2, loginAt: 1000, ...over }) as SessionRecord;
const beacon = (over: Partial<Beacon> = {}): Beacon => ({ v: 1, sid: 's1', gen: 2, loginAt: 1000, out: 0, ...over });

describe('compareWithBeacon', () => {
  it('trusts the local copy when nothing is known', () => {
    expect(compareWithBeacon(record(), undefined, true)).toBe('current');
    expect(compareWithBeacon(undefined, undefined, true)).toBe('current');
  });

  it('calls a copy stale once another tab refreshed the same login, whether sharing or not', () => {
    expect(compareWithBeacon(record(), beacon({ gen: 3 }), true)).toBe('stale');
    expect(compareWithBeacon(record(), beacon({ gen: 3 }), false)).toBe('stale');
    expect(compareWithBeacon(record({ gen: 3 }), beacon({ gen: 3 }), true)).toBe('current');
    expect(compareWithBeacon(record({ gen: 4 }), beacon({ gen: 3 }), true)).toBe('current');
  });

  it('ends a session that started before a logout, but not one that started after', () => {
    expect(compareWithBeacon(record(), beacon({ out: 1500 }), true)).toBe('ended');
    expect(compareWithBeacon(record(), beacon({ out: 1500 }), false)).toBe('ended');
    expect(compareWithBeacon(record({ sid: 's2', loginAt: 2000 }), beacon({ out: 1500 }), true)).toBe('current');
  });

  it('follows a newer login elsewhere only when sharing', () => {
    const newer = beacon({ sid: 's2', loginAt: 5000, gen: 0 });
    expect(compareWithBeacon(record(), newer, true)).toBe('stale');
    expect(compareWithBeacon(record(), newer, false)).toBe('current');
    expect(compareWithBeacon(record({ sid: 's3', loginAt: 9000 }), newer, true)).toBe('current');
  });

  it('sends a tab without a session to its siblings only while one is signed in and sharing is on', () => {
    expect(compareWithBeacon(undefined, beacon(), true)).toBe('stale');
    expect(compareWithBeacon(undefined, beacon(), false)).toBe('current');
    expect(compareWithBeacon(undefined, beacon({ out: 2000 }), true)).toBe('ended');
  });

  it('beaconFor carries no token, only the lineage', () => {
    const full = { ...record(), accessToken: 'at', refreshToken: 'rt', idToken: 'id' } as SessionRecord;
    expect(beaconFor(full, 0)).toEqual({ v: 1, sid: 's1', gen: 2, loginAt: 1000, out: 0 });
    expect(beaconFor(undefined, 7)).toEqual({ v: 1, sid: '-', gen: 0, loginAt: 0, out: 7 });
  });
});
