import { errorCases } from './errors.js';
import { deviceLossCases } from './device-loss.js';
import { concurrencyCases } from './concurrency.js';
import { familyCases } from './family.js';
import { inPlaceCases } from './inplace.js';
import { mcCases } from './mc.js';
import { fusedCases } from './fused.js';
import { f16Cases } from './f16.js';
import { forwardCases } from './forward.js';
import { katCases } from './kat.js';
import { limitCases } from './limits.js';
import { limitFamilyCases } from './limits-family.js';
import { refusalCases } from './refusal.js';
import { functionalCases } from './functional.js';
import { callPathCases } from './call-path.js';

export { EXPECTED_UNCAPTURED, Tracker, type Case, type CaseEnv } from './env.js';

/** Every GPU correctness case, run by test/gpu/cases.test.ts (Node) and test/browser (Chrome). */
export const cases = [...katCases, ...forwardCases, ...limitCases, ...limitFamilyCases, ...familyCases, ...functionalCases, ...inPlaceCases, ...mcCases, ...fusedCases, ...f16Cases, ...errorCases, ...refusalCases, ...deviceLossCases, ...concurrencyCases, ...callPathCases];
