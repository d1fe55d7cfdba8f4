// The GPU schedules every runner repeats the shared cases under. A schedule is selected on a
// device before each case (and on every extra device a case makes); cases that lower limits with
// configureDevice keep whatever the schedule selected only if configureDevice keeps it. To add a
// schedule, add an entry here: vitest, the Chrome page and the GPU check (dist/check/gpu-check.js,
// `--schedule NAME` to pick some) all run it.

/** A way the kernels can be scheduled on a device, by name. */
export interface Schedule {
  name: string;
  /** Makes `device` use this schedule for the calls that follow. */
  select(device: GPUDevice): void;
}

export const schedules: Schedule[] = [
  { name: 'default', select: () => {} },
];
