/**
 * Splits `workgroups` into an x × y grid with x <= maxPerDimension and as few spare workgroups
 * as possible (at most y - 1). The kernels linearise it as wid.x + wid.y * num_workgroups.x and
 * guard against the spare ones.
 */
export function dispatchGrid(workgroups: number, maxPerDimension: number): [number, number] {
  if (workgroups === 0) return [0, 1];
  const rows = Math.ceil(workgroups / maxPerDimension);
  return [Math.ceil(workgroups / rows), rows];
}
