import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ExactSum, Histogram } from '../../src/sources/aggregate.js';

const sumOf = (values: readonly number[]) => {
  const s = new ExactSum();
  for (const v of values) s.add(v);
  return s.value;
};

describe('ExactSum', () => {
  it('gives the same total whatever the order of its terms (a counter never dips between backfill and live)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: 0, max: 1000, noNaN: true }), { maxLength: 200 }), fc.integer(), (values, seed) => {
        const shuffled = [...values].sort((a, b) => ((a * 7919 + seed) % 13) - ((b * 7919 + seed) % 13));
        expect(sumOf(shuffled)).toBe(sumOf(values));
        expect(sumOf([...values].reverse())).toBe(sumOf(values));
      }),
    );
  });

  it('where plain floating-point addition does not', () => {
    const values = [0.1, 0.2, 0.3];
    expect(values.reduce((a, b) => a + b, 0)).not.toBe([...values].reverse().reduce((a, b) => a + b, 0));
    expect(sumOf(values)).toBe(sumOf([...values].reverse()));
    expect(sumOf(values)).toBe(0.6);
  });

  it('keeps histogram sums order-independent too', () => {
    const a = new Histogram([1, 10]);
    const b = new Histogram([1, 10]);
    for (const v of [0.1, 0.2, 0.3, 7.7]) a.observe(v);
    for (const v of [7.7, 0.3, 0.2, 0.1]) b.observe(v);
    expect(a.data()).toEqual(b.data());
    expect(a.data().sum).toBe(8.3);
  });
});
