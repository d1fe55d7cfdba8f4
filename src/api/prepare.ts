// Ahead-of-time compilation: the pipelines a call will use, compiled asynchronously, so the call
// itself (which records synchronously) never waits for a compile.
import { DropoutArgumentError } from '../errors.js';
import { getPipeline } from '../gpu/pipeline-cache.js';
import { dropConnectLinear, dropConnectLinearBackward, planDropConnectLinear, planDropConnectLinearBackward } from './dropconnect.js';
import { dropBlock, dropBlockBackward, planDropBlockBackward, planDropBlockForward } from './dropblock.js';
import { dropout, dropoutBackward, planDropout, planDropoutBackward, type PlannedCall } from './functional.js';
import { fusedDropout, fusedDropoutBackward, planFusedDropout, planFusedDropoutBackward } from './fused.js';
import { gaussianDropout, gaussianDropoutBackward, planGaussianDropout, planGaussianDropoutBackward } from './gaussian.js';
import { familyPlanners } from './functional-family.js';
import { mcDropout, planMcDropout } from './mc.js';

type Planner = (device: GPUDevice, options: never) => PlannedCall | null;
const planners = new Map<unknown, Planner>([
  [dropout, planDropout], [dropoutBackward, planDropoutBackward],
  [gaussianDropout, planGaussianDropout], [gaussianDropoutBackward, planGaussianDropoutBackward],
  [dropBlock, planDropBlockForward], [dropBlockBackward, planDropBlockBackward],
  [fusedDropout, planFusedDropout], [fusedDropoutBackward, planFusedDropoutBackward],
  [mcDropout, planMcDropout],
  ...familyPlanners,
  [dropConnectLinear, planDropConnectLinear], [dropConnectLinearBackward, planDropConnectLinearBackward],
]);

/**
 * Compiles, asynchronously, every pipeline that `kernel(device, options)` would use, without
 * recording or submitting anything. Calls record synchronously and create a missing pipeline on
 * the spot (the driver then compiles it before the first submit that uses it, which can take
 * tens of milliseconds); `prepare` moves that cost to a moment you choose, e.g. while loading.
 * The options are those of the call you will make: the buffers decide the variant (vec4 or
 * scalar access, in place), p whether tie passes are needed, and dtype the element type.
 * @param kernel - one of the library's kernel functions: dropout, dropoutBackward, gaussianDropout,
 * gaussianDropoutBackward, dropBlock, dropBlockBackward, fusedDropout, fusedDropoutBackward,
 * mcDropout, dropConnectLinear, dropConnectLinearBackward, and the PyTorch-named forms (dropout1d …
 * featureAlphaDropoutBackward, dropBlock2d/3d)
 * @throws DropoutArgumentError for another function or options the call would refuse;
 * DropoutGPUError if a pipeline cannot be compiled
 * @example
 * await prepare(device, dropout, { x, y, n, p: 0.1, training: true, seed: 0n, offset: 0n });
 * dropout(device, { x, y, n, p: 0.1, training: true, seed: 0n, offset: 1n }); // no compile here
 */
export async function prepare<Options>(device: GPUDevice, kernel: (device: GPUDevice, options: Options) => Promise<unknown>, options: Options): Promise<void> {
  const planner = planners.get(kernel);
  if (!planner) throw new DropoutArgumentError('kernel', typeof kernel === 'function' ? kernel.name || 'an anonymous function' : kernel, 'one of the library\'s kernel functions (dropout, dropoutBackward, gaussianDropout, …)');
  const planned = planner(device, options as never);
  if (!planned) return;
  await Promise.all(planned.plans.flatMap((plan) => plan.pipelines.map((spec) => getPipeline(planned.state, spec))));
}
