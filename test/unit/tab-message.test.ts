import { describe, expect, it } from 'vitest';
import { parseTabMessage } from '../../src/tabs/tab-message.js';

describe('parseTabMessage', () => {
  it.each([
    { v: 1, from: 'tab', type: 'hello' },
    { v: 1, from: 'tab', type: 'changed' },
    { v: 1, from: 'tab', type: 'session', record: '{}' },
    { v: 1, from: 'tab', type: 'logout', reason: 'user', at: 5 },
  ])('accepts %j', (message) => {
    expect(parseTabMessage(message)).toEqual(message);
  });

  it.each([
    null,
    'hello',
    { v: 2, from: 'tab', type: 'hello' },
    { v: 1, type: 'hello' },
    { v: 1, from: 'x'.repeat(65), type: 'hello' },
    { v: 1, from: 'tab', type: 'steal' },
    { v: 1, from: 'tab', type: 'logout', reason: 'because', at: 5 },
    { v: 1, from: 'tab', type: 'logout', reason: 'user' },
  ])('refuses %j', (message) => {
    expect(parseTabMessage(message)).toBeUndefined();
  });
});
