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
import { repeatCases, repeatOnceCases } from './repeats.js';
import { scheduleCases } from './schedule.js';
import { wgslMaskCases } from './wgsl-mask.js';
import { dropConnectCases } from './dropconnect.js';
import { attentionCases } from './attention.js';

export { EXPECTED_UNCAPTURED, Tracker, type Case, type CaseEnv } from './env.js';

/**
 * The GPU-vs-CPU cases, which the runners (test/gpu/cases.test.ts in Node, test/browser in Chrome)
 * run once under each dispatch schedule (configureDevice's `schedule`): results must not change.
 */
export const scheduledCases = [...katCases, ...forwardCases, ...limitCases, ...limitFamilyCases, ...familyCases, ...functionalCases, ...inPlaceCases, ...mcCases, ...fusedCases, ...f16Cases, ...concurrencyCases, ...callPathCases, ...repeatCases];

/** The cases run once, on the device's own schedule: argument and device errors, and the schedule's own. */
export const onceCases = [...errorCases, ...refusalCases, ...deviceLossCases, ...scheduleCases, ...wgslMaskCases, ...dropConnectCases, ...attentionCases, ...repeatOnceCases];

/** The schedules the runners force in turn for {@link scheduledCases}. */
export const SCHEDULES = ['multi-pass', 'single-pass'] as const;

/** Every case with the schedule it runs under ('auto' for the device's own), named for reports. */
export const cases = [
  ...SCHEDULES.flatMap((schedule) => scheduledCases.map((c) => ({ ...c, name: `[${schedule}] ${c.name}`, schedule }))),
  ...onceCases.map((c) => ({ ...c, schedule: 'auto' as const })),
];
