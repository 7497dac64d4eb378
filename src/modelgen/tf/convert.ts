/**
 * TensorFlow frozen graph -> ONNX, in TypeScript, for DCT-Net's head and background graphs.
 *
 * Layout is converted once, at the boundary: an NHWC image tensor becomes NCHW when it enters and
 * stays NCHW inside; a rank-3 HWC image (DCT-Net's `input_image`) is held as [1, C, H, W]. Shape
 * arithmetic (Shape, StridedSlice, Pack, Fill) keeps TensorFlow's NHWC order and is permuted only
 * where it meets an image tensor. An op this converter does not know fails the conversion, with
 * every unknown op listed; nothing is guessed.
 */
import { GraphBuilder } from '../GraphBuilder.ts';
import { DT, readGraphDef, type TfAttr, type TfNode, type TfTensor } from './graphdef.ts';

/** How an ONNX value relates to the TensorFlow tensor it stands for. */
type Layout = 'nchw' | 'hwc' | 'plain';

interface Value {
  name: string;
  layout: Layout;
  dtype: 'float' | 'int' | 'uint8';
  /** Known at conversion time (Const, or folded). */
  constant?: TfTensor;
}

interface ConvertedGraph {
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

const SUPPORTED_OPS = [
  'Placeholder', 'Const', 'Identity', 'NoOp', 'ExpandDims', 'Squeeze', 'StridedSlice', 'Shape', 'Pack', 'Fill',
  'Conv2D', 'DepthwiseConv2dNative', 'BiasAdd', 'LeakyRelu', 'Relu', 'Add', 'AddV2', 'Sub', 'Mul', 'RealDiv',
  'Maximum', 'Minimum', 'ResizeBilinear', 'ClipByValue', 'Cast',
] as const;

const ELEMENTWISE: Record<string, string> = { Add: 'Add', AddV2: 'Add', Sub: 'Sub', Mul: 'Mul', RealDiv: 'Div', Maximum: 'Max', Minimum: 'Min' };

export function convertFrozenGraph(bytes: Uint8Array, name = 'converted'): ConvertedGraph {
  return convertNodes(readGraphDef(bytes), name);
}

function convertNodes(nodes: TfNode[], name = 'converted'): ConvertedGraph {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const consumed = new Set(nodes.flatMap((n) => n.inputs.map((i) => baseName(i))));
  const outputs = nodes.filter((n) => !consumed.has(n.name) && n.op !== 'Const' && n.op !== 'NoOp');
  const order = topoOrder(outputs.map((n) => n.name), byName);

  const ops: Record<string, number> = {};
  const unknown: { node: string; op: string }[] = [];
  for (const n of order) {
    ops[n.op] = (ops[n.op] ?? 0) + 1;
    if (!(SUPPORTED_OPS as readonly string[]).includes(n.op)) unknown.push({ node: n.name, op: n.op });
  }
  if (unknown.length > 0) {
    const kinds = [...new Set(unknown.map((u) => u.op))].sort();
    throw new ConversionError(
      `Unsupported TensorFlow ops: ${kinds.join(', ')} (in ${unknown.map((u) => `${u.node} [${u.op}]`).join(', ')}). Supported: ${SUPPORTED_OPS.join(', ')}.`,
      unknown,
    );
  }

  const g = new GraphBuilder(name);
  const values = new Map<string, Value>();
  const result: ConvertedGraph = { bytes: new Uint8Array(), inputs: [], outputs: [], ops };
  const get = (input: string): Value => {
    const v = values.get(baseName(input)) ?? values.get(input);
    if (!v) throw new ConversionError(`input ${input} was not converted`);
    return v;
  };
  for (const n of order) values.set(n.name, convertNode(g, n, n.inputs.map(get), result));
  for (const out of outputs) {
    const v = get(out.name);
    const onnxName = sanitize(out.name);
    const dims = v.layout === 'plain' ? ['n'] : [1, 'channels', 'height', 'width'];
    g.output(v.name, onnxName, dims, v.dtype === 'uint8' ? 'uint8' : 'float');
    result.outputs.push({ name: onnxName, tf: out.name, dtype: v.dtype === 'uint8' ? 'uint8' : 'float' });
  }
  result.bytes = g.toBytes(`converted from a TensorFlow frozen graph by toonbot (${nodes.length} nodes)`);
  return result;
}

function convertNode(g: GraphBuilder, n: TfNode, inputs: Value[], result: ConvertedGraph): Value {
  const [a, b, c] = inputs;
  const fail = (why: string): never => {
    throw new ConversionError(`${n.name} [${n.op}]: ${why}`);
  };
  switch (n.op) {
    case 'Placeholder': {
      const dtype = typeAttr(n, 'dtype');
      if (dtype !== DT.FLOAT) fail(`only float inputs are supported, got dtype ${dtype}`);
      const shape = n.attr.shape?.kind === 'shape' ? n.attr.shape.value : null;
      const name = sanitize(n.name);
      if (shape?.length === 3) {
        // [H, W, C] image: held as [1, C, H, W] from here on.
        const dims: (number | string)[] = [1, shape[2] && shape[2] > 0 ? shape[2] : 'channels', 'height', 'width'];
        g.input(name, dims);
        result.inputs.push({ name, tf: n.name, dims });
        return { name, layout: 'hwc', dtype: 'float' };
      }
      if (shape?.length === 4) {
        const dims: (number | string)[] = [shape[0] && shape[0] > 0 ? shape[0] : 'batch', shape[3] && shape[3] > 0 ? shape[3] : 'channels', 'height', 'width'];
        g.input(name, dims);
        result.inputs.push({ name, tf: n.name, dims });
        return { name, layout: 'nchw', dtype: 'float' };
      }
      return fail(`input shape ${JSON.stringify(shape)} is not an image ([H,W,C] or [N,H,W,C])`);
    }
    case 'Const': {
      const t = n.attr.value?.kind === 'tensor' ? n.attr.value.value : fail('Const without a value');
      return { name: '', layout: 'plain', dtype: t.dtype === DT.FLOAT ? 'float' : 'int', constant: t };
    }
    case 'Identity':
      return a as Value;
    case 'ExpandDims': {
      const axis = scalarOf(b, 'axis');
      if ((a as Value).layout === 'hwc' && axis === 0) return { ...(a as Value), layout: 'nchw' };
      if ((a as Value).constant) return { ...(a as Value), constant: { ...((a as Value).constant as TfTensor), dims: insertDim(((a as Value).constant as TfTensor).dims, axis) } };
      return fail('only ExpandDims(image [H,W,C], 0) is supported');
    }
    case 'Squeeze': {
      const dims = n.attr.squeeze_dims?.kind === 'list' ? n.attr.squeeze_dims.i : [];
      if ((a as Value).layout === 'nchw' && dims.length === 1 && dims[0] === 0) return { ...(a as Value), layout: 'hwc' };
      return fail('only Squeeze of the batch axis of an image is supported');
    }
    case 'StridedSlice':
      return stridedSlice(g, n, inputs, fail);
    case 'Shape': {
      const x = a as Value;
      const shape = g.op('Shape', [materialize(g, x)]);
      if (x.layout === 'nchw') return { name: g.op('Gather', [shape, g.int64s('perm', [0, 2, 3, 1])], { axis: 0 }), layout: 'plain', dtype: 'int' };
      if (x.layout === 'hwc') return { name: g.op('Gather', [shape, g.int64s('perm', [2, 3, 1])], { axis: 0 }), layout: 'plain', dtype: 'int' };
      return { name: shape, layout: 'plain', dtype: 'int' };
    }
    case 'Pack': {
      const axis = intAttr(n, 'axis', 0);
      if (axis !== 0) fail('only Pack along axis 0 is supported');
      const parts = inputs.map((v) => (v.constant ? g.int64s('pack', toInts(v.constant)) : g.op('Unsqueeze', [v.name, g.int64s('axes', [0])])));
      return { name: g.op('Concat', parts, { axis: 0 }), layout: 'plain', dtype: 'int' };
    }
    case 'Fill': {
      // dims is a TF (NHWC) shape; the filled tensor is an image tensor, so it goes NCHW.
      const dims = materialize(g, a as Value, 'int');
      const nchw = g.op('Gather', [dims, g.int64s('perm', [0, 3, 1, 2])], { axis: 0 });
      const value = (b as Value).constant ? g.scalar(toFloats((b as Value).constant as TfTensor)[0] ?? 0) : (b as Value).name;
      return { name: g.op('Expand', [value, nchw]), layout: 'nchw', dtype: 'float' };
    }
    case 'Conv2D':
    case 'DepthwiseConv2dNative': {
      const x = a as Value;
      if (x.layout !== 'nchw') fail('input must be an NHWC image tensor');
      if (stringAttr(n, 'data_format', 'NHWC') !== 'NHWC') fail('only data_format NHWC is supported');
      const w = (b as Value).constant ?? fail('weights must be constant (a frozen graph)');
      const [kh, kw, cin, cout] = w.dims as [number, number, number, number];
      const strides = listInts(n, 'strides', [1, 1, 1, 1]);
      const dilations = listInts(n, 'dilations', [1, 1, 1, 1]);
      const padding = stringAttr(n, 'padding', 'VALID');
      const depthwise = n.op === 'DepthwiseConv2dNative';
      const weight = depthwise ? depthwiseToOihw(w) : hwioToOihw(w);
      const dims = depthwise ? [cin * cout, 1, kh, kw] : [cout, cin, kh, kw];
      return {
        name: g.op('Conv', [x.name, g.tensor('w', weight, dims)], {
          kernel_shape: [kh, kw],
          strides: [strides[1] as number, strides[2] as number],
          dilations: [dilations[1] as number, dilations[2] as number],
          ...(depthwise ? { group: cin } : {}),
          // TensorFlow's SAME puts the odd pixel of padding at the end: ONNX's SAME_UPPER.
          ...(padding === 'SAME' ? { auto_pad: 'SAME_UPPER' } : { pads: [0, 0, 0, 0] }),
        }),
        layout: 'nchw',
        dtype: 'float',
      };
    }
    case 'BiasAdd': {
      const bias = (b as Value).constant ?? fail('bias must be constant');
      return { name: g.op('Add', [(a as Value).name, g.tensor('bias', toFloats(bias), [bias.dims[0] as number, 1, 1])]), layout: 'nchw', dtype: 'float' };
    }
    case 'LeakyRelu':
      // Explicit alpha: ONNX's default (0.01) is not TensorFlow's (0.2).
      return { name: g.op('LeakyRelu', [(a as Value).name], { alpha: { f: floatAttr(n, 'alpha', 0.2) } }), layout: (a as Value).layout, dtype: 'float' };
    case 'Relu':
      return { name: g.op('Relu', [(a as Value).name]), layout: (a as Value).layout, dtype: 'float' };
    case 'ResizeBilinear': {
      const x = a as Value;
      if (x.layout !== 'nchw') fail('input must be an NHWC image tensor');
      const nc = g.op('Slice', [g.op('Shape', [x.name]), g.int64s('s', [0]), g.int64s('e', [2])]);
      const size = (b as Value).constant ? g.int64s('size', toInts((b as Value).constant as TfTensor)) : g.op('Cast', [(b as Value).name], { to: 7 });
      const sizes = g.op('Concat', [nc, size], { axis: 0 });
      const align = boolAttr(n, 'align_corners');
      const half = boolAttr(n, 'half_pixel_centers');
      return {
        name: g.op('Resize', [x.name, '', '', sizes], { mode: 'linear', coordinate_transformation_mode: align ? 'align_corners' : half ? 'half_pixel' : 'asymmetric' }),
        layout: 'nchw',
        dtype: 'float',
      };
    }
    case 'ClipByValue': {
      const lo = (b as Value).constant ? g.scalar(toFloats((b as Value).constant as TfTensor)[0] as number) : (b as Value).name;
      const hi = (c as Value).constant ? g.scalar(toFloats((c as Value).constant as TfTensor)[0] as number) : (c as Value).name;
      return { name: g.op('Clip', [(a as Value).name, lo, hi]), layout: (a as Value).layout, dtype: 'float' };
    }
    case 'Cast': {
      const to = typeAttr(n, 'DstT');
      const x = a as Value;
      if (to === DT.UINT8) return { name: g.op('Cast', [materialize(g, x)], { to: 2 }), layout: x.layout, dtype: 'uint8' };
      if (to === DT.FLOAT) return { name: g.op('Cast', [materialize(g, x)], { to: 1 }), layout: x.layout, dtype: 'float' };
      if (to === DT.INT32 || to === DT.INT64) return { name: g.op('Cast', [materialize(g, x)], { to: 7 }), layout: x.layout, dtype: 'int' };
      return fail(`cast to dtype ${to} is not supported`);
    }
    case 'NoOp':
      return { name: '', layout: 'plain', dtype: 'float' };
    default: {
      const op = ELEMENTWISE[n.op];
      if (!op) return fail('not supported');
      return elementwise(g, op, a as Value, b as Value);
    }
  }
}

function elementwise(g: GraphBuilder, op: string, a: Value, b: Value): Value {
  const image = [a, b].find((v) => v.layout !== 'plain');
  const layout: Layout = image?.layout ?? 'plain';
  const dtype = a.dtype === 'int' && b.dtype === 'int' ? 'int' : 'float';
  return { name: g.op(op, [operand(g, a, layout, dtype), operand(g, b, layout, dtype)]), layout, dtype };
}

/** A constant shaped to broadcast against a value of `layout`. */
function operand(g: GraphBuilder, v: Value, layout: Layout, dtype: 'float' | 'int'): string {
  if (!v.constant) return v.name;
  const t = v.constant;
  const count = t.dims.reduce((x, y) => x * y, 1);
  if (dtype === 'int') return g.int64s('k', toInts(t));
  if (count === 1) return g.scalar(toFloats(t)[0] as number);
  if (layout !== 'plain' && t.dims.length === 1) return g.tensor('k', toFloats(t), [t.dims[0] as number, 1, 1]);
  if (layout === 'nchw' && t.dims.length === 4) return g.tensor('k', nhwcToNchw(t), [t.dims[0] as number, t.dims[3] as number, t.dims[1] as number, t.dims[2] as number]);
  if (layout === 'plain') return g.tensor('k', toFloats(t), t.dims);
  throw new ConversionError(`cannot broadcast a constant of shape [${t.dims.join(', ')}] against an image tensor`);
}

function stridedSlice(g: GraphBuilder, n: TfNode, [x, begin, end, strides]: Value[], fail: (why: string) => never): Value {
  const mask = (name: string) => intAttr(n, name, 0);
  const [b, e, s] = [begin, end, strides].map((v) => (v?.constant ? toInts(v.constant) : fail('begin, end and strides must be constant')));
  if (mask('ellipsis_mask')) fail('ellipsis masks are not supported');
  const input = x as Value;
  const rank = (b as number[]).length;
  const whole = (axis: number) => ((mask('begin_mask') >> axis) & 1) === 1 && ((mask('end_mask') >> axis) & 1) === 1 && (s as number[])[axis] === 1;
  if (input.layout === 'hwc') {
    // image[:, :, :] is the image; image[tf.newaxis] (new_axis_mask 1) adds the batch axis.
    const newAxis = mask('new_axis_mask');
    const rest = Array.from({ length: rank }, (_, i) => i).filter((i) => !(newAxis === 1 && i === 0));
    if (mask('shrink_axis_mask') === 0 && (newAxis === 0 || newAxis === 1) && rest.every(whole)) return newAxis === 1 ? { ...input, layout: 'nchw' } : input;
    return fail('only image[:, :, :] and image[tf.newaxis] slices of [H, W, C] images are supported');
  }
  if (mask('new_axis_mask')) fail('new-axis masks are only supported on images');
  if (input.layout === 'nchw') {
    // image[0] with everything else whole: the batch axis goes, the tensor is [H, W, C] again.
    const rest = (b as number[]).slice(1).every((v, i) => v === 0 && ((mask('end_mask') >> (i + 1)) & 1) === 1);
    if (mask('shrink_axis_mask') === 1 && (b as number[])[0] === 0 && rest) return { ...input, layout: 'hwc' };
    return fail('only image[0] slices of image tensors are supported');
  }
  if (input.layout === 'plain' && (b as number[]).length === 1) {
    const from = (mask('begin_mask') & 1) === 1 ? 0 : ((b as number[])[0] as number);
    const shrink = (mask('shrink_axis_mask') & 1) === 1;
    const to = shrink ? from + 1 : (mask('end_mask') & 1) === 1 ? Number.MAX_SAFE_INTEGER : ((e as number[])[0] as number);
    const step = (s as number[])[0] as number;
    if (input.constant) {
      const vals = toInts(input.constant).slice(from, to === Number.MAX_SAFE_INTEGER ? undefined : to).filter((_, i) => i % step === 0);
      return { name: '', layout: 'plain', dtype: 'int', constant: { dtype: DT.INT64, dims: shrink ? [] : [vals.length], values: vals } };
    }
    const sliced = g.op('Slice', [input.name, g.int64s('b', [from]), g.int64s('e', [to]), g.int64s('a', [0]), g.int64s('s', [step])]);
    return { name: shrink ? g.op('Squeeze', [sliced, g.int64s('axes', [0])]) : sliced, layout: 'plain', dtype: input.dtype };
  }
  return fail('only 1-D slices of shape vectors, and image[0], are supported');
}

// ---- constants and attributes ------------------------------------------------------------------

function materialize(g: GraphBuilder, v: Value, as?: 'int' | 'float'): string {
  if (!v.constant) return v.name;
  return (as ?? v.dtype) === 'int' ? g.int64s('c', toInts(v.constant)) : g.tensor('c', toFloats(v.constant), v.constant.dims);
}

function toFloats(t: TfTensor): Float32Array {
  return t.values instanceof Float32Array ? t.values : Float32Array.from(t.values);
}

function toInts(t: TfTensor): number[] {
  return Array.from(t.values, (v) => Math.trunc(v));
}

function scalarOf(v: Value | undefined, what: string): number {
  const t = v?.constant;
  if (!t) throw new ConversionError(`${what} must be constant`);
  return Number(t.values[0]);
}

/** TensorFlow's convolution weights [kh, kw, in, out] as ONNX's [out, in, kh, kw]. */
function hwioToOihw(t: TfTensor): Float32Array {
  return transpose4(t, [3, 2, 0, 1]);
}

/** [kh, kw, C, m] -> [C·m, 1, kh, kw]: output channel c·m + j reads input channel c. */
function depthwiseToOihw(t: TfTensor): Float32Array {
  return transpose4(t, [2, 3, 0, 1]);
}

function nhwcToNchw(t: TfTensor): Float32Array {
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
  for (let a = 0; a < n0; a += 1)
    for (let b = 0; b < n1; b += 1)
      for (let c = 0; c < n2; c += 1)
        for (let d = 0; d < n3; d += 1) out[o++] = src[a * s0 + b * s1 + c * s2 + d * s3] as number;
  return out;
}

function insertDim(dims: number[], axis: number): number[] {
  const at = axis < 0 ? dims.length + 1 + axis : axis;
  return [...dims.slice(0, at), 1, ...dims.slice(at)];
}

function attrOf(n: TfNode, key: string): TfAttr | undefined {
  return n.attr[key];
}
function typeAttr(n: TfNode, key: string): number {
  const a = attrOf(n, key);
  return a?.kind === 'type' ? a.value : 0;
}
function intAttr(n: TfNode, key: string, fallback: number): number {
  const a = attrOf(n, key);
  return a?.kind === 'i' ? a.value : fallback;
}
function floatAttr(n: TfNode, key: string, fallback: number): number {
  const a = attrOf(n, key);
  return a?.kind === 'f' ? a.value : fallback;
}
function boolAttr(n: TfNode, key: string): boolean {
  const a = attrOf(n, key);
  return a?.kind === 'b' ? a.value : false;
}
function stringAttr(n: TfNode, key: string, fallback: string): string {
  const a = attrOf(n, key);
  return a?.kind === 's' ? a.value : fallback;
}
function listInts(n: TfNode, key: string, fallback: number[]): number[] {
  const a = attrOf(n, key);
  return a?.kind === 'list' && a.i.length > 0 ? a.i : fallback;
}

function baseName(input: string): string {
  return input.replace(/:\d+$/, '');
}

function sanitize(name: string): string {
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

/** Nodes the outputs depend on, dependencies first. */
function topoOrder(outputs: string[], byName: Map<string, TfNode>): TfNode[] {
  const order: TfNode[] = [];
  const state = new Map<string, 1 | 2>();
  const visit = (root: string) => {
    const stack: [string, boolean][] = [[root, false]];
    while (stack.length > 0) {
      const [name, done] = stack.pop() as [string, boolean];
      const node = byName.get(name);
      if (!node) throw new ConversionError(`graph refers to a missing node ${name}`);
      if (done) {
        if (state.get(name) !== 2) {
          state.set(name, 2);
          order.push(node);
        }
        continue;
      }
      if (state.has(name)) continue;
      state.set(name, 1);
      stack.push([name, true]);
      for (const input of [...node.inputs].reverse()) if (!state.has(baseName(input))) stack.push([baseName(input), false]);
    }
  };
  for (const o of outputs) visit(o);
  return order;
}
