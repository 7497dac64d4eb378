/**
 * What the TensorFlow -> ONNX converter passes between ops: values with their layout, the
 * constants a frozen graph folds, the attribute readers, and the weight transposes.
 */
import type { GraphBuilder } from '../GraphBuilder.ts';
import type { TfAttr, TfNode, TfTensor } from './graphdef.ts';

/** How an ONNX value relates to the TensorFlow tensor it stands for. */
export type Layout = 'nchw' | 'hwc' | 'plain';

export interface Value {
  name: string;
  layout: Layout;
  dtype: 'float' | 'int' | 'uint8';
  /** Known at conversion time (Const, or folded). */
  constant?: TfTensor;
}

export interface ConvertedGraph {
  bytes: Uint8Array;
  inputs: { name: string; tf: string; dims: (number | string)[] }[];
  outputs: { name: string; tf: string; dtype: 'float' | 'uint8' }[];
  /** TensorFlow op types met, with counts. */
  ops: Record<string, number>;
}

export class ConversionError extends Error {
  override name = 'ConversionError';
  constructor(
    message: string,
    readonly unsupported: { node: string; op: string }[] = [],
  ) {
    super(message);
  }
}

/** One TensorFlow op as ONNX nodes: its inputs converted, its value returned. */
export type Converter = (g: GraphBuilder, n: TfNode, inputs: Value[], context: { result: ConvertedGraph; fail: (why: string) => never }) => Value;

export function materialize(g: GraphBuilder, v: Value, as?: 'int' | 'float'): string {
  if (!v.constant) return v.name;
  return (as ?? v.dtype) === 'int' ? g.int64s('c', toInts(v.constant)) : g.tensor('c', toFloats(v.constant), v.constant.dims);
}

export function toFloats(t: TfTensor): Float32Array {
  return t.values instanceof Float32Array ? t.values : Float32Array.from(t.values);
}

export function toInts(t: TfTensor): number[] {
  return Array.from(t.values, (v) => Math.trunc(v));
}

export function scalarOf(v: Value | undefined, what: string): number {
  const t = v?.constant;
  if (!t) throw new ConversionError(`${what} must be constant`);
  return Number(t.values[0]);
}

/** TensorFlow's convolution weights [kh, kw, in, out] as ONNX's [out, in, kh, kw]. */
export function hwioToOihw(t: TfTensor): Float32Array {
  return transpose4(t, [3, 2, 0, 1]);
}

/** [kh, kw, C, m] -> [C·m, 1, kh, kw]: output channel c·m + j reads input channel c. */
export function depthwiseToOihw(t: TfTensor): Float32Array {
  return transpose4(t, [2, 3, 0, 1]);
}

export function nhwcToNchw(t: TfTensor): Float32Array {
  return transpose4(t, [0, 3, 1, 2]);
}

/** A 4-D tensor's values with its axes reordered: axis i of the result is axis `order[i]` of `t`. */
function transpose4(t: TfTensor, order: readonly [number, number, number, number]): Float32Array {
  const dims = t.dims as [number, number, number, number];
  const src = toFloats(t);
  const out = new Float32Array(src.length);
  const stride = [dims[1] * dims[2] * dims[3], dims[2] * dims[3], dims[3], 1];
  const [n0, n1, n2, n3] = order.map((axis) => dims[axis] as number) as [number, number, number, number];
  const [s0, s1, s2, s3] = order.map((axis) => stride[axis] as number) as [number, number, number, number];
  let o = 0;
  for (let a = 0; a < n0; a += 1) for (let b = 0; b < n1; b += 1) for (let c = 0; c < n2; c += 1) for (let d = 0; d < n3; d += 1) out[o++] = src[a * s0 + b * s1 + c * s2 + d * s3] as number;
  return out;
}

export function insertDim(dims: number[], axis: number): number[] {
  const at = axis < 0 ? dims.length + 1 + axis : axis;
  return [...dims.slice(0, at), 1, ...dims.slice(at)];
}

function attrOf(n: TfNode, key: string): TfAttr | undefined {
  return n.attr[key];
}
export function typeAttr(n: TfNode, key: string): number {
  const a = attrOf(n, key);
  return a?.kind === 'type' ? a.value : 0;
}
export function intAttr(n: TfNode, key: string, fallback: number): number {
  const a = attrOf(n, key);
  return a?.kind === 'i' ? a.value : fallback;
}
export function floatAttr(n: TfNode, key: string, fallback: number): number {
  const a = attrOf(n, key);
  return a?.kind === 'f' ? a.value : fallback;
}
export function boolAttr(n: TfNode, key: string): boolean {
  const a = attrOf(n, key);
  return a?.kind === 'b' ? a.value : false;
}
export function stringAttr(n: TfNode, key: string, fallback: string): string {
  const a = attrOf(n, key);
  return a?.kind === 's' ? a.value : fallback;
}
export function listInts(n: TfNode, key: string, fallback: number[]): number[] {
  const a = attrOf(n, key);
  return a?.kind === 'list' && a.i.length > 0 ? a.i : fallback;
}

export function sanitize(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}
