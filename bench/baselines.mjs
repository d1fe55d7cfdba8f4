// Same-device baselines for the benchmarks. The copy kernel is the roofline: dropout must read
// and write every element, so copy time is the floor. The naive baseline is what a hand-written
// shader typically does: a kernel of uniforms, a compare kernel, a multiply kernel.
import { PHILOX_WGSL } from '../dist/index.js';

const COPY_WGSL = /* wgsl */ `
@group(0) @binding(0) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read_write> y: array<vec4<f32>>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = id.x + id.y * nwg.x * 256u;
  if (i < arrayLength(&y)) { y[i] = x[i]; }
}`;

// The f16 roofline: the same copy on vec4<f16> (2 bytes read + 2 written per element).
const COPY_F16_WGSL = /* wgsl */ `enable f16;
${COPY_WGSL.replaceAll('vec4<f32>', 'vec4<f16>')}`;

const NAIVE_WGSL = /* wgsl */ `${PHILOX_WGSL}
struct P { n: u32, threshold: u32, scale: f32, seed: u32 }
@group(0) @binding(0) var<uniform> params: P;
@group(0) @binding(1) var<storage, read> x: array<f32>;
@group(0) @binding(2) var<storage, read_write> tmp: array<u32>;
@group(0) @binding(3) var<storage, read_write> y: array<f32>;
fn index(id: vec3<u32>, nwg: vec3<u32>) -> u32 { return id.x + id.y * nwg.x * 256u; }
// 1: one Philox word per element
@compute @workgroup_size(256) fn uniforms(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(id, nwg);
  if (i < params.n) { tmp[i] = philox4x32_10(vec4<u32>(i, 0u, 0u, 0u), vec2<u32>(params.seed, 0u)).x; }
}
// 2: compare against the threshold
@compute @workgroup_size(256) fn compare(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(id, nwg);
  if (i < params.n) { tmp[i] = select(0u, 1u, tmp[i] >= params.threshold); }
}
// 3: multiply
@compute @workgroup_size(256) fn multiply(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(id, nwg);
  if (i < params.n) { y[i] = x[i] * f32(tmp[i]) * params.scale; }
}`;

function grid(device, workgroups) {
  const max = device.limits.maxComputeWorkgroupsPerDimension;
  const rows = Math.ceil(workgroups / max);
  return [Math.ceil(workgroups / rows), rows];
}

/**
 * A plain vec4 copy y = x (the roofline); with `dtype` 'f16' the same on vec4<f16> (needs a device
 * with 'shader-f16'). n a multiple of 4.
 */
export async function copyKernel(device, dtype = 'f32') {
  const f16 = dtype === 'f16';
  const label = f16 ? 'bench copy f16' : 'bench copy';
  const module = device.createShaderModule({ label, code: f16 ? COPY_F16_WGSL : COPY_WGSL });
  const pipeline = await device.createComputePipelineAsync({ label, layout: 'auto', compute: { module, entryPoint: 'main' } });
  const bytes = f16 ? 2 : 4;
  return (encoder, x, y, n) => {
    const bind = device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries: [{ binding: 0, resource: { buffer: x, size: n * bytes } }, { binding: 1, resource: { buffer: y, size: n * bytes } }] });
    const pass = encoder.beginComputePass({ label });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, bind);
    pass.dispatchWorkgroups(...grid(device, Math.ceil(n / 4 / 256)));
    pass.end();
  };
}

/** Three kernels: Philox words → 0/1 mask → multiply, through a u32 scratch buffer. */
export async function naiveKernels(device) {
  const module = device.createShaderModule({ label: 'bench naive', code: NAIVE_WGSL });
  const pipelines = await Promise.all(['uniforms', 'compare', 'multiply'].map((entryPoint) =>
    device.createComputePipelineAsync({ label: `bench naive ${entryPoint}`, layout: 'auto', compute: { module, entryPoint } })));
  const params = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  let tmp = null;
  return (encoder, x, y, n, p) => {
    if (!tmp || tmp.size < n * 4) {
      tmp?.destroy();
      tmp = device.createBuffer({ size: n * 4, usage: GPUBufferUsage.STORAGE });
    }
    const data = new DataView(new ArrayBuffer(16));
    data.setUint32(0, n, true);
    data.setUint32(4, Math.min(0xffffffff, Math.round(p * 2 ** 32)), true);
    data.setFloat32(8, 1 / (1 - p), true);
    data.setUint32(12, 7, true);
    device.queue.writeBuffer(params, 0, data.buffer);
    const pass = encoder.beginComputePass({ label: 'bench naive' });
    for (const pipeline of pipelines) {
      const layout = pipeline.getBindGroupLayout(0);
      const entries = [{ binding: 0, resource: { buffer: params } }, { binding: 1, resource: { buffer: x, size: n * 4 } }, { binding: 2, resource: { buffer: tmp, size: n * 4 } }, { binding: 3, resource: { buffer: y, size: n * 4 } }]
        .filter((e) => pipeline !== pipelines[0] || e.binding !== 1 && e.binding !== 3)
        .filter((e) => pipeline !== pipelines[1] || e.binding !== 1 && e.binding !== 3);
      pass.setPipeline(pipeline);
      pass.setBindGroup(0, device.createBindGroup({ layout, entries }));
      pass.dispatchWorkgroups(...grid(device, Math.ceil(n / 256)));
    }
    pass.end();
  };
}

const ELEMENTWISE_WGSL = /* wgsl */ `
struct P { n: u32, cols: u32 }
@group(0) @binding(0) var<uniform> params: P;
@group(0) @binding(1) var<storage, read> a: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read> b: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read_write> out: array<vec4<f32>>;
fn index(id: vec3<u32>, nwg: vec3<u32>) -> u32 { return id.x + id.y * nwg.x * 256u; }
// a + bias (b holds the bias; cols is a multiple of 4)
@compute @workgroup_size(256) fn bias_add(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(id, nwg);
  if (i < params.n / 4u) { out[i] = a[i] + b[i % (params.cols / 4u)]; }
}
// tanh-approximated GELU of a
@compute @workgroup_size(256) fn gelu(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(id, nwg);
  if (i < params.n / 4u) { let h = a[i]; out[i] = 0.5 * h * (1.0 + tanh(clamp(0.7978845608 * (h + 0.044715 * h * h * h), vec4<f32>(-15.0), vec4<f32>(15.0)))); }
}
// max(a, 0)
@compute @workgroup_size(256) fn relu(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(id, nwg);
  if (i < params.n / 4u) { out[i] = max(a[i], vec4<f32>(0.0)); }
}
// a + b
@compute @workgroup_size(256) fn add(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = index(id, nwg);
  if (i < params.n / 4u) { out[i] = a[i] + b[i]; }
}`;

/** Bias-add, GELU and residual-add as separate passes (the unfused epilogue around our dropout). */
export async function elementwiseKernels(device) {
  const module = device.createShaderModule({ label: 'bench elementwise', code: ELEMENTWISE_WGSL });
  const names = ['bias_add', 'gelu', 'relu', 'add'];
  const pipelines = Object.fromEntries(await Promise.all(names.map(async (entryPoint) => [entryPoint,
    await device.createComputePipelineAsync({ label: `bench ${entryPoint}`, layout: 'auto', compute: { module, entryPoint } })])));
  const params = device.createBuffer({ size: 16, usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST });
  return (encoder, entry, n, cols, a, b, out) => {
    device.queue.writeBuffer(params, 0, new Uint32Array([n, cols, 0, 0]));
    const pipeline = pipelines[entry];
    const entries = [{ binding: 0, resource: { buffer: params } }, { binding: 1, resource: { buffer: a, size: n * 4 } }, { binding: 3, resource: { buffer: out, size: n * 4 } }];
    if (entry !== 'gelu' && entry !== 'relu') entries.push({ binding: 2, resource: { buffer: b } });
    const pass = encoder.beginComputePass({ label: `bench ${entry}` });
    pass.setPipeline(pipeline);
    pass.setBindGroup(0, device.createBindGroup({ layout: pipeline.getBindGroupLayout(0), entries }));
    pass.dispatchWorkgroups(...grid(device, Math.ceil(n / 4 / 256)));
    pass.end();
  };
}

const SCALED_COPY_WGSL = /* wgsl */ `
struct P { n4: u32, offset: u32, scale: f32, pad: u32 }
@group(0) @binding(0) var<uniform> params: P;
@group(0) @binding(1) var<storage, read> x: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<vec4<f32>>;
@compute @workgroup_size(256)
fn main(@builtin(global_invocation_id) id: vec3<u32>, @builtin(num_workgroups) nwg: vec3<u32>) {
  let i = id.x + id.y * nwg.x * 256u;
  if (i < params.n4) { y[i] = x[i] * params.scale; }
}`;

/**
 * The host-cost floor (bench/host-core.mjs): the least plain WebGPU needs for a dropout-sized job,
 * a copy-like kernel that reads x, writes y and takes a uniform (element count, a per-call
 * offset, a scale), with an explicit layout. Returns what a caller records with; n must be a
 * multiple of 4.
 */
export async function scaledCopyKernel(device) {
  const group = device.createBindGroupLayout({
    label: 'bench scaled copy',
    entries: [
      { binding: 0, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'uniform' } },
      { binding: 1, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'read-only-storage' } },
      { binding: 2, visibility: GPUShaderStage.COMPUTE, buffer: { type: 'storage' } },
    ],
  });
  const module = device.createShaderModule({ label: 'bench scaled copy', code: SCALED_COPY_WGSL });
  const pipeline = await device.createComputePipelineAsync({
    label: 'bench scaled copy', layout: device.createPipelineLayout({ bindGroupLayouts: [group] }), compute: { module, entryPoint: 'main' },
  });
  return {
    pipeline,
    bindGroup: (uniform, x, y, n) => device.createBindGroup({
      layout: group,
      entries: [{ binding: 0, resource: { buffer: uniform } }, { binding: 1, resource: { buffer: x, size: n * 4 } }, { binding: 2, resource: { buffer: y, size: n * 4 } }],
    }),
    grid: (n) => grid(device, Math.ceil(n / 4 / 256)),
  };
}
