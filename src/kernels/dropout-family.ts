// The element-wise dropout kernel family: shaders/dropout.wgsl with Philox and one element-access
// file, specialized by a small key of what changes the code. Per-call values (p, seed, offset, n,
// shifts) travel in the uniform buffer, so one pipeline serves every size and rate.
import philoxSource from '../../shaders/philox.wgsl?raw';
import bernoulliSource from '../../shaders/bernoulli.wgsl?raw';
import dropoutSource from '../../shaders/dropout.wgsl?raw';
import ioVec4Source from '../../shaders/io-vec4.wgsl?raw';
import ioScalarSource from '../../shaders/io-scalar.wgsl?raw';
import { type LayoutSpec, type PipelineSpec } from '../gpu/pipeline-cache.js';
import { specialize } from '../gpu/specialize.js';
import { ACTIVATIONS, type Activation } from '../spec/epilogue.js';
import { PARAMS_BYTES } from './dropout-params.js';

/** The family's entry points (their index is part of a pipeline's key code). */
const ENTRIES = [
  'dropout_main', 'dropout_main_tail', 'dropout_ties', 'dropout_ties_once', 'dropout_tie_reset',
  'dropout_pack_mask', 'dropout_apply_mask', 'dropout_apply_mask_tail', 'dropout_fill_mask', 'dropout_single',
] as const;
export type DropoutEntry = (typeof ENTRIES)[number];
/** Invocations per workgroup of a dispatch: 64, 128 or 256. Never changes results. */
export type WorkgroupSize = 64 | 128 | 256;
/** Element access: vec4 loads for 16-byte-aligned tensors, scalar ones for any other offset. */
export type ElementAccess = 'vec4' | 'scalar';

export interface DropoutKey {
  entry: DropoutEntry;
  io: ElementAccess;
  /** Some binding starts before its chunk (a caller byte offset that is not 256-aligned). */
  shift: boolean;
  /** The output is the input (binding 2 only). */
  inPlace: boolean;
  /** Tensors hold f16 (vec4 access only; needs the shader-f16 feature). */
  f16: boolean;
  /** The main grid has spare workgroups (a 2-D grid past maxComputeWorkgroupsPerDimension). */
  spare: boolean;
  /** Fused epilogue: its direction, activation, whether a residual is added, and vec4 bias reads. */
  epilogue: { direction: 'forward' | 'backward'; act: Activation; residual: boolean; bias4: boolean; aux4: boolean } | null;
  /** The draw writes dst (false: a mask-only draw). */
  data: boolean;
  /** Kept values are x * scale + bias, dropped ones a constant (alpha dropout). */
  affine: boolean;
  /** The draw writes a packed mask. */
  writeMask: boolean;
  /** The threshold's low 28 bits are not 0: nibbles can tie, tie bytes settle them (or the tie pass). */
  ties: boolean;
  /** The scale is read from binding 7 (computed on the GPU by an earlier pass), not the uniforms. */
  dynamicScale: boolean;
  workgroupSize: WorkgroupSize;
}

/** WGSL of Philox4x32-10: `philox4x32_10(counter: vec4<u32>, key: vec2<u32>) -> vec4<u32>`, for your own shaders. */
export const PHILOX_WGSL: string = philoxSource;

/** Philox plus the scalar keep rule of the mask contract (shaders/bernoulli.wgsl). */
export const BERNOULLI_WGSL: string = `${philoxSource}\n${bernoulliSource}`;

/** The family's WGSL for one module key (all entry points). */
export function dropoutWgsl(key: Omit<DropoutKey, 'entry' | 'workgroupSize'>): string {
  const e = key.epilogue;
  const flags = {
    DATA: key.data, AFFINE: key.affine, WRITE_MASK: key.writeMask, TIES: key.ties, INPLACE: key.inPlace, SPARE: key.spare,
    EPILOGUE: e !== null, EPILOGUE_BACKWARD: e?.direction === 'backward', RESIDUAL: e?.direction === 'forward' && e.residual,
    BIAS4: e?.bias4 ?? false, AUX4: e?.aux4 ?? false, DYN_SCALE: key.dynamicScale, ACT_RELU: e?.act === 'relu', ACT_GELU: e?.act === 'gelu', ACT_GELU_TANH: e?.act === 'gelu_tanh', ACT_SILU: e?.act === 'silu',
  };
  const body = specialize(dropoutSource, flags, 'dropout.wgsl');
  return `${key.f16 ? 'enable f16;\n' : ''}${philoxSource}\n${bernoulliSource}\n${ioSource(key.io, key.shift, key.inPlace, key.f16)}\n${body}`;
}

/** The element-access source: io-vec4.wgsl or io-scalar.wgsl, specialized. */
export function ioSource(io: ElementAccess, shift: boolean, inPlace: boolean, f16 = false): string {
  return io === 'vec4'
    ? specialize(ioVec4Source, { SHIFT: shift, INPLACE: inPlace, F16: f16 }, 'io-vec4.wgsl')
    : specialize(ioScalarSource, { INPLACE: inPlace }, 'io-scalar.wgsl');
}

/** The io part of a module key, e.g. 'vec4', 'vec4+shift+inplace', 'scalar'; the dtype is separate. */
export function ioKey(io: ElementAccess, shift: boolean, inPlace: boolean): string {
  return `${io}${io === 'vec4' && shift ? '+shift' : ''}${inPlace ? '+inplace' : ''}`;
}

function moduleKey(key: DropoutKey): string {
  const io = ioKey(key.io, key.shift, key.inPlace);
  const e = key.epilogue;
  const out = !key.data ? 'mask-only' : key.affine ? 'affine' : e ? `epilogue-${e.direction === 'forward' ? 'fwd' : 'bwd'}-${e.act}${e.residual ? '+res' : ''}${e.bias4 ? '+bias4' : ''}${e.aux4 ? '+aux4' : ''}` : 'scale';
  return `dropout:${key.f16 ? 'f16' : 'f32'}:io=${io}:out=${out}:mask=${key.writeMask ? 'bits' : 'none'}:${key.ties ? 'ties' : 'noties'}${key.spare ? ':spare' : ''}${key.dynamicScale ? ':dynscale' : ''}`;
}

const COMPUTE = 0x4; // GPUShaderStage.COMPUTE

function layoutEntries(epilogue: boolean): GPUBindGroupLayoutEntry[] {
  const extra: GPUBindGroupLayoutEntry[] = epilogue
    ? [5, 6].map((binding) => ({ binding, visibility: COMPUTE, buffer: { type: 'read-only-storage' as const } }))
    : [];
  return [
    { binding: 0, visibility: COMPUTE, buffer: { type: 'uniform', hasDynamicOffset: true, minBindingSize: PARAMS_BYTES } },
    { binding: 1, visibility: COMPUTE, buffer: { type: 'read-only-storage' } },
    { binding: 2, visibility: COMPUTE, buffer: { type: 'storage' } },
    { binding: 3, visibility: COMPUTE, buffer: { type: 'storage' } },
    { binding: 4, visibility: COMPUTE, buffer: { type: 'storage' } },
    { binding: 7, visibility: COMPUTE, buffer: { type: 'storage' } },
    ...extra,
  ];
}

// Every entry point of a job shares one layout, so a chunk binds one group for all its dispatches.
// Fused epilogues add the bias and the residual (or x) at bindings 5 and 6.
const LAYOUTS = {
  main: { name: 'dropout:main', entries: layoutEntries(false) },
  mainEpilogue: { name: 'dropout:main+epilogue', entries: layoutEntries(true) },
} satisfies Record<string, LayoutSpec>;

export function dropoutLayout(epilogue = false): LayoutSpec {
  return epilogue ? LAYOUTS.mainEpilogue : LAYOUTS.main;
}


const bit = (flag: boolean): number => (flag ? 1 : 0);

/** Every field of a key as one small integer (distinct keys, distinct codes; allocates nothing). */
function keyCode(key: DropoutKey): number {
  const e = key.epilogue;
  let code = ENTRIES.indexOf(key.entry);
  code = code * 2 + bit(key.io === 'vec4');
  code = code * 16 + (bit(key.shift) | bit(key.inPlace) << 1 | bit(key.f16) << 2 | bit(key.spare) << 3);
  code = code * 32 + (bit(key.data) | bit(key.affine) << 1 | bit(key.writeMask) << 2 | bit(key.ties) << 3 | bit(key.dynamicScale) << 4);
  code = code * 3 + (key.workgroupSize === 64 ? 0 : key.workgroupSize === 128 ? 1 : 2);
  code = code * 3 + (e === null ? 0 : e.direction === 'forward' ? 1 : 2);
  if (e !== null) code = (code * ACTIVATIONS.length + ACTIVATIONS.indexOf(e.act)) * 8 + (bit(e.residual) | bit(e.bias4) << 1 | bit(e.aux4) << 2);
  return code;
}

// Specs are interned: a call finds its pipelines without building key strings (a fresh string is
// hashed again on every Map lookup), and the per-device caches then see the same key objects.
const interned = new Map<number, PipelineSpec>();

/** The pipeline spec of a key, e.g. key `dropout:f32:io=vec4:out=scale:mask=bits:ties:dropout_main:wg64`. */
export function dropoutPipeline(key: DropoutKey): PipelineSpec {
  const code = keyCode(key);
  let spec = interned.get(code);
  if (!spec) interned.set(code, spec = buildPipeline({ ...key, epilogue: key.epilogue && { ...key.epilogue } }));
  return spec;
}

function buildPipeline(key: DropoutKey): PipelineSpec {
  // The tie passes have workgroup sizes of their own (64, and 1 for the reset).
  const fixedWorkgroup = key.entry === 'dropout_ties' || key.entry === 'dropout_ties_once' || key.entry === 'dropout_tie_reset';
  const module = moduleKey(key);
  return {
    key: `${module}:${key.entry}:wg${fixedWorkgroup ? (key.entry === 'dropout_tie_reset' ? 1 : 64) : key.workgroupSize}`,
    moduleKey: module,
    code: () => dropoutWgsl(key),
    entry: key.entry,
    layout: dropoutLayout(key.epilogue !== null),
    constants: fixedWorkgroup ? {} : { WORKGROUP_SIZE: key.workgroupSize },
  };
}
