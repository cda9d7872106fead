import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { bindingDigest, boundInputValue, sha256Hex } from '../../src/core/run-binding';

describe('the workflow-safe SHA-256', () => {
  test('known answers (FIPS 180-4 examples), including the two-block and the 56-byte edge', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(sha256Hex('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')).toBe('248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1');
  });

  test('equals Node\'s SHA-256 over the UTF-8 bytes of any well-formed string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 200 }), (s) => sha256Hex(s) === createHash('sha256').update(s, 'utf8').digest('hex')),
      { numRuns: 500, seed: 7 },
    );
  });
});

describe('binding', () => {
  test('values compare as text, per wait and per run (one customer\'s runs cannot be linked by their digests)', () => {
    expect(bindingDigest('r1', 'w', 42)).toBe(bindingDigest('r1', 'w', '42'));
    expect(bindingDigest('r1', 'w', 'cus_1')).not.toBe(bindingDigest('r1', 'w', 'cus_2'));
    expect(bindingDigest('r1', 'w', 'cus_1')).not.toBe(bindingDigest('r1', 'v', 'cus_1'));
    expect(bindingDigest('r1', 'w', 'cus_1')).not.toBe(bindingDigest('r2', 'w', 'cus_1'));
    expect(bindingDigest('r1', 'w', 'cus_1')).toMatch(/^[0-9a-f]{32}$/);
  });

  test('the bound value is a scalar at a dotted path of the input, own properties only', () => {
    const input = { customerId: 'cus_1', customer: { id: 7, ok: true, list: ['a'] } };
    expect(boundInputValue(input, 'customerId')).toBe('cus_1');
    expect(boundInputValue(input, 'customer.id')).toBe(7);
    expect(boundInputValue(input, 'customer.ok')).toBe(true);
    for (const path of ['customer', 'customer.list', 'missing', 'customer.id.x', 'toString', 'customer.constructor']) expect([path, boundInputValue(input, path)]).toEqual([path, undefined]);
    expect(boundInputValue({ n: Number.NaN }, 'n')).toBeUndefined();
    expect(boundInputValue(undefined, 'a')).toBeUndefined();
  });
});
