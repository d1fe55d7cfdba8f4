// Types for bench-bridge.js (the shared benchmark modules in bench/).
import type * as lib from 'webgpu-dropout';

export interface Prepared {
  encode?(encoder: GPUCommandEncoder): void | Promise<void>;
  run?(): Promise<number>;
  dispose?(): void;
}
export interface Implementation {
  name: string;
  prepare(n: number, p: number): Promise<Prepared> | Prepared;
}
export interface SuiteResult {
  name: string;
  n: number;
  p: number;
  firstRunMs: number;
  median: number;
  min: number;
  max: number;
  count: number;
  samples: number[];
}
export interface Progress { n: number; p: number; round: number; samples: number; done: number; total: number }
export function runSuite(options: {
  device: GPUDevice;
  impls: Implementation[];
  sizes: number[];
  rates: number[];
  samples?: number;
  warmup?: number;
  progress?: (state: Progress) => void;
}): Promise<{ timing: 'timestamp-query' | 'wall-clock'; results: SuiteResult[] }>;
export function summarize(samples: number[]): { median: number; min: number; max: number; count: number };
export function ourImplementations(library: typeof lib, device: GPUDevice): Implementation[];
export function ourWallImplementations(library: typeof lib, device: GPUDevice): Implementation[];
export function tfjsImplementations(): Promise<{ device: GPUDevice; version: string; impls: Implementation[]; check(): string | null }>;
