import { describe, expect, it } from 'vitest';
import { modelRouter } from '../../src/sources/model-router.js';
import { modelRouterDoc } from '../support/autopilot-fixture.js';

describe('model_router source', () => {
  it('reads the tracker totals and tier distribution', () => {
    const v = modelRouter.parse(JSON.stringify(modelRouterDoc, null, 2));
    expect(v).toEqual({
      lastUpdatedAt: Date.parse(modelRouterDoc.lastUpdatedAt),
      totalTasks: 40,
      totalCostActual: 1.8,
      totalCostBaseline: 3,
      totalSavings: 1.2,
      savingsPercent: 40,
      tierDistribution: modelRouterDoc.tierDistribution,
    });
  });

  it('drops bad fields one by one (savingsPercent of a zero baseline is written as null)', () => {
    const v = modelRouter.parse(JSON.stringify({ totalTasks: -1, totalCostActual: 'x', totalSavings: 0, savingsPercent: null, tierDistribution: { haiku: 2, bad: -3, odd: 'x' } }));
    expect(v).toMatchObject({ totalTasks: undefined, totalCostActual: undefined, totalSavings: 0, savingsPercent: undefined, tierDistribution: { haiku: 2 } });
  });

  it('caps the tiers at 50, folding the rest into other', () => {
    const tiers = Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`tier-${i}`, 1]));
    const v = modelRouter.parse(JSON.stringify({ tierDistribution: tiers }))!;
    expect(Object.keys(v.tierDistribution)).toHaveLength(51);
    expect(v.tierDistribution.other).toBe(10);
  });

  it('throws on a torn file (the collector keeps the last good value)', () => {
    expect(() => modelRouter.parse('{"totalTasks": 4')).toThrow();
  });
});
