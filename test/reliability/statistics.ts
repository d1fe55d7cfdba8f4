// Small, dependency-free statistics for the mask-quality tests: chi-square and binomial tails,
// the Kolmogorov distribution, a 2×2 independence test and the Wald–Wolfowitz runs test.
// Each returns a p-value (the probability, under the null hypothesis, of a result at least this
// extreme). test/reliability/statistics.test.ts checks them against known values.

/** ln Γ(x) for x > 0 (Numerical Recipes 3rd ed. gammln, Lanczos g = 671/128: relative error < 1e-15). */
export function logGamma(xx: number): number {
  const cof = [57.15623566586292, -59.59796035547549, 14.136097974741746, -0.4919138160976202, 0.00003399464998481189,
    0.00004652362892704858, -0.00009837447530487956, 0.0001580887032249125, -0.00021026444172410488, 0.00021743961811521265,
    -0.0001643181065367639, 0.00008441822398385275, -0.000026190838401581408, 0.0000036899182659531625];
  let y = xx;
  const x = xx;
  let tmp = x + 5.2421875;
  tmp = (x + 0.5) * Math.log(tmp) - tmp;
  let ser = 0.9999999999999971;
  for (const c of cof) ser += c / ++y;
  return tmp + Math.log((2.5066282746310007 * ser) / x);
}

/** Regularized upper incomplete gamma Q(a, x) (series below a + 1, continued fraction above). */
export function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lead = -x + a * Math.log(x) - logGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 10_000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return 1 - sum * Math.exp(lead);
  }
  // Lentz's continued fraction.
  let b = x + 1 - a;
  let c = 1 / 1e-300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.exp(lead) * h;
}

/** P(χ²_k >= x). */
export function chiSquareSurvival(x: number, k: number): number {
  return gammaQ(k / 2, x / 2);
}

/** P(X <= k) and P(X >= k) for X ~ Binomial(n, q), summed exactly in log space. */
export function binomialTails(k: number, n: number, q: number): { lower: number; upper: number } {
  const logPmf = (i: number): number => logGamma(n + 1) - logGamma(i + 1) - logGamma(n - i + 1) + i * Math.log(q) + (n - i) * Math.log1p(-q);
  let lower = 0;
  for (let i = 0; i <= k; i++) lower += Math.exp(logPmf(i));
  let upper = 0;
  for (let i = k; i <= n; i++) upper += Math.exp(logPmf(i));
  return { lower: Math.min(1, lower), upper: Math.min(1, upper) };
}

/** The smallest and largest counts a Binomial(n, q) stays within with two-sided probability 1 - alpha. */
export function binomialBounds(n: number, q: number, alpha: number): [number, number] {
  const logPmf = (i: number): number => logGamma(n + 1) - logGamma(i + 1) - logGamma(n - i + 1) + i * Math.log(q) + (n - i) * Math.log1p(-q);
  let low = 0;
  for (let acc = 0; low <= n; low++) {
    acc += Math.exp(logPmf(low));
    if (acc > alpha / 2) break;
  }
  let high = n;
  for (let acc = 0; high >= 0; high--) {
    acc += Math.exp(logPmf(high));
    if (acc > alpha / 2) break;
  }
  return [low, high];
}

/** Survival function of the Kolmogorov distribution: P(√N·D > λ) asymptotically. */
export function kolmogorovSurvival(lambda: number): number {
  if (lambda < 0.2) return 1;
  let sum = 0;
  for (let k = 1; k < 100; k++) {
    const term = 2 * (k % 2 ? 1 : -1) * Math.exp(-2 * k * k * lambda * lambda);
    sum += term;
    if (Math.abs(term) < 1e-16) break;
  }
  return Math.min(1, Math.max(0, sum));
}

/** One-sample KS test of values in [0, 1) against U(0, 1): the statistic D and its p-value. */
export function ksUniform(values: Float64Array): { d: number; p: number } {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  let d = 0;
  for (let i = 0; i < n; i++) d = Math.max(d, (i + 1) / n - sorted[i]!, sorted[i]! - i / n);
  // Stephens' small-sample correction of the asymptotic distribution.
  const sqrtN = Math.sqrt(n);
  return { d, p: kolmogorovSurvival((sqrtN + 0.12 + 0.11 / sqrtN) * d) };
}

/**
 * Chi-square test of independence of two binary variables from their 2×2 counts (n11 = both 1,
 * n1x = first 1, nx1 = second 1, of n pairs), with 1 degree of freedom. Also returns the phi
 * coefficient (the correlation of the two variables).
 */
export function independence2x2(n11: number, n1x: number, nx1: number, n: number): { chi2: number; p: number; phi: number } {
  const cells = [
    [n11, n1x - n11],
    [nx1 - n11, n - n1x - nx1 + n11],
  ];
  const rows = [n1x, n - n1x];
  const cols = [nx1, n - nx1];
  let chi2 = 0;
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 2; j++) {
      const expected = (rows[i]! * cols[j]!) / n;
      if (expected > 0) chi2 += (cells[i]![j]! - expected) ** 2 / expected;
    }
  }
  const phi = (n11 * n - n1x * nx1) / Math.sqrt(n1x * (n - n1x) * nx1 * (n - nx1));
  return { chi2, p: chiSquareSurvival(chi2, 1), phi };
}

/** Wald–Wolfowitz runs test on a 0/1 sequence given as `bits(i)`, i < n: z and two-sided p. */
export function runsTest(bit: (i: number) => number, n: number): { runs: number; z: number; p: number } {
  let ones = 0;
  let runs = n > 0 ? 1 : 0;
  for (let i = 0; i < n; i++) {
    ones += bit(i);
    if (i > 0 && bit(i) !== bit(i - 1)) runs++;
  }
  return runsFromCounts(ones, runs, n);
}

/** The runs test from a sequence's length n, its number of ones and its number of runs. */
export function runsFromCounts(ones: number, runs: number, n: number): { runs: number; z: number; p: number } {
  const zeros = n - ones;
  const mean = 1 + (2 * ones * zeros) / n;
  const variance = ((mean - 1) * (mean - 2)) / (n - 1);
  const z = (runs - mean) / Math.sqrt(variance);
  return { runs, z, p: chiSquareSurvival(z * z, 1) };
}

/** Number of set bits in a 32-bit word. */
export function popcount(w: number): number {
  w -= (w >>> 1) & 0x55555555;
  w = (w & 0x33333333) + ((w >>> 2) & 0x33333333);
  return (Math.imul((w + (w >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24);
}
