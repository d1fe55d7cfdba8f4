// The statistics the mask-quality tests rely on, against values from standard tables.
import { describe, expect, test } from 'vitest';
import { binomialBounds, binomialTails, chiSquareSurvival, independence2x2, kolmogorovSurvival, ksUniform, logGamma, popcount, runsTest } from '../reliability/statistics.js';

describe('statistics helpers', () => {
  test('logGamma matches factorials and Γ(1/2) = √π', () => {
    expect(logGamma(1)).toBeCloseTo(0, 12);
    expect(logGamma(11)).toBeCloseTo(Math.log(3628800), 10);
    expect(logGamma(0.5)).toBeCloseTo(Math.log(Math.sqrt(Math.PI)), 12);
    expect(logGamma(1001)).toBeCloseTo(5912.128178939938, 6);
  });

  test('chi-square survival matches the tables (1, 10, 4096 degrees of freedom)', () => {
    expect(chiSquareSurvival(3.841458820694124, 1)).toBeCloseTo(0.05, 9);
    expect(chiSquareSurvival(6.634896601021214, 1)).toBeCloseTo(0.01, 9);
    expect(chiSquareSurvival(18.307038053275146, 10)).toBeCloseTo(0.05, 9);
    expect(chiSquareSurvival(4096, 4096)).toBeCloseTo(0.49706, 4); // Wilson–Hilferty: 0.5 - φ(0) · (2 / 9k) / √(2 / 9k)
    expect(chiSquareSurvival(19.511420964666268, 1)).toBeCloseTo(1e-5, 9);
  });

  test('binomial tails and bounds', () => {
    const { lower, upper } = binomialTails(5, 10, 0.5);
    expect(lower).toBeCloseTo(638 / 1024, 12);
    expect(upper).toBeCloseTo(638 / 1024, 12);
    const [low, high] = binomialBounds(2048, 0.9, 1e-5);
    expect(binomialTails(low - 1, 2048, 0.9).lower).toBeLessThanOrEqual(0.5e-5);
    expect(binomialTails(high + 1, 2048, 0.9).upper).toBeLessThanOrEqual(0.5e-5);
    expect(binomialTails(low, 2048, 0.9).lower).toBeGreaterThan(0.5e-5);
  });

  test('Kolmogorov distribution: critical values 1.3581 (5%) and 1.6276 (1%)', () => {
    expect(kolmogorovSurvival(1.3581)).toBeCloseTo(0.05, 4);
    expect(kolmogorovSurvival(1.6276)).toBeCloseTo(0.01, 4);
    expect(ksUniform(Float64Array.from({ length: 1000 }, (_, i) => (i + 0.5) / 1000)).p).toBeCloseTo(1, 6);
    expect(ksUniform(Float64Array.from({ length: 1000 }, (_, i) => ((i + 0.5) / 1000) ** 2)).p).toBeLessThan(1e-10);
  });

  test('2×2 independence: independent counts give phi 0, copies give phi 1', () => {
    expect(independence2x2(25, 50, 50, 100).phi).toBeCloseTo(0, 12);
    expect(independence2x2(25, 50, 50, 100).p).toBeCloseTo(1, 12);
    const copied = independence2x2(500, 500, 500, 1000);
    expect(copied.phi).toBeCloseTo(1, 12);
    expect(copied.chi2).toBeCloseTo(1000, 9);
  });

  test('runs test: alternating and blocked sequences are extreme, popcount counts bits', () => {
    expect(runsTest((i) => i % 2, 1000).z).toBeGreaterThan(30);
    expect(runsTest((i) => (i < 500 ? 1 : 0), 1000).z).toBeLessThan(-30);
    expect(popcount(0xffffffff)).toBe(32);
    expect(popcount(0x80000001)).toBe(2);
    expect(popcount(0)).toBe(0);
  });
});
