/** The pure SPEC §4 helpers shared by the REST views and the metric catalog. */
import { describe, expect, it } from 'vitest';
import { bottleneck, quantile } from '../../src/views/derived.js';

const counts = (pending: number, ready: number, in_progress: number, blocked: number, done: number) => ({ pending, ready, in_progress, blocked, done });

describe('bottleneck', () => {
  it('is the non-done state holding the most tasks, at least 25 % of the non-done tasks', () => {
    expect(bottleneck(counts(5, 1, 1, 1, 12))).toBe('pending'); // 5 of 8 non-done
    expect(bottleneck(counts(1, 1, 6, 1, 1))).toBe('in_progress'); // 6 of 9
    expect(bottleneck(counts(0, 0, 0, 3, 0))).toBe('blocked');
    // exactly 25 %: a four-way tie goes to the first state in pipeline order
    expect(bottleneck(counts(2, 2, 2, 2, 0))).toBe('pending');
    expect(bottleneck(counts(1, 3, 3, 1, 0))).toBe('ready');
  });

  it('ignores done tasks: a maturing roadmap still has a bottleneck', () => {
    // 4 of 20 tasks (20 %) but 4 of the 7 that are not done (57 %)
    expect(bottleneck(counts(4, 1, 1, 1, 13))).toBe('pending');
    expect(bottleneck(counts(0, 0, 1, 0, 999))).toBe('in_progress');
  });

  it('is undefined with no tasks, or when only done tasks exist', () => {
    expect(bottleneck(counts(0, 0, 0, 0, 0))).toBeUndefined();
    expect(bottleneck(counts(0, 0, 0, 0, 9))).toBeUndefined();
  });

  it('never names done, however many tasks are done', () => {
    expect(bottleneck(counts(3, 0, 0, 0, 9))).toBe('pending');
  });
});

describe('quantile (nearest rank)', () => {
  it('picks the ceil(q·n)-th smallest value', () => {
    const values = [30, 10, 20, 50, 40];
    expect(quantile(values, 0.5)).toBe(30);
    expect(quantile(values, 0.95)).toBe(50);
    expect(quantile(values, 0.2)).toBe(10);
    expect(quantile(values, 0)).toBe(10);
    expect(quantile([7], 0.99)).toBe(7);
    expect(quantile([], 0.5)).toBeUndefined();
  });

  it('does not reorder its input', () => {
    const values = [3, 1, 2];
    quantile(values, 0.5);
    expect(values).toEqual([3, 1, 2]);
  });
});
