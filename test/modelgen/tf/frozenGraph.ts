/**
 * Test-only: writes TensorFlow frozen graphs (GraphDef protobuf), including one with exactly the
 * DCT-Net head/background structure, in the forms TensorFlow may have used: LeakyRelu as one op
 * or as Mul + Maximum, Add or AddV2, scalars as float_val or tensor_content.
 */
import { DT, GraphDefType } from '../../../src/modelgen/tf/graphdef.ts';
import type { ConvWeights } from '../../../src/modelgen/dctnetTopology.ts';

type Attr = Record<string, unknown>;

export interface Variant {
  /** How the batch axis is added: tf.expand_dims, or input[:, :, :][tf.newaxis] as DCT-Net's exporter writes it. */
  batch?: 'expand-dims' | 'newaxis';
  leaky: 'op' | 'mul-max';
  add: 'Add' | 'AddV2';
  scalars: 'float_val' | 'tensor_content';
}

export class GraphWriter {
  readonly nodes: { name: string; op: string; input: string[]; attr: Record<string, Attr> }[] = [];
  #n = 0;
  constructor(readonly scalars: Variant['scalars'] = 'float_val') {}

  node(op: string, inputs: string[], attr: Record<string, Attr> = {}, name = `${op}_${this.#n++}`): string {
    this.nodes.push({ name, op, input: inputs, attr });
    return name;
  }

  floats(values: ArrayLike<number>, dims: number[], name?: string): string {
    const count = dims.reduce((a, b) => a * b, 1);
    const asContent = this.scalars === 'tensor_content' || count > 1;
    const tensor = asContent
      ? { dtype: DT.FLOAT, tensorShape: shape(dims), tensorContent: new Uint8Array(Float32Array.from(values).buffer) }
      : { dtype: DT.FLOAT, tensorShape: shape(dims), floatVal: Array.from(values) };
    return this.node('Const', [], { dtype: { type: DT.FLOAT }, value: { tensor } }, name);
  }

  ints(values: number[], dims: number[] = [values.length]): string {
    const tensor =
      this.scalars === 'tensor_content'
        ? { dtype: DT.INT32, tensorShape: shape(dims), tensorContent: new Uint8Array(Int32Array.from(values).buffer) }
        : { dtype: DT.INT32, tensorShape: shape(dims), intVal: values };
    return this.node('Const', [], { dtype: { type: DT.INT32 }, value: { tensor } });
  }

  encode(): Uint8Array {
    return GraphDefType.encode(GraphDefType.fromObject({ node: this.nodes, versions: { producer: 27 } })).finish();
  }
}

export function shape(dims: number[]) {
  return { dim: dims.map((size) => ({ size })) };
}

/** A frozen graph with the official DCT-Net model's structure, from input_image to output_image. */
export function dctnetFrozenGraph(weights: readonly ConvWeights[], variant: Variant): Uint8Array {
  const t = new GraphWriter(variant.scalars);
  const f32 = { type: DT.FLOAT };
  const input = t.node('Placeholder', [], { dtype: f32, shape: { shape: shape([-1, -1, 3]) } }, 'input_image');
  const slice = (v: string, masks: Record<string, number>, n: number) =>
    t.node('StridedSlice', [v, t.ints(new Array(n).fill(0)), t.ints(new Array(n).fill(0)), t.ints(new Array(n).fill(1))], {
      T: f32,
      Index: { type: DT.INT32 },
      ...Object.fromEntries(Object.entries(masks).map(([k, v]) => [k, { i: v }])),
    });
  const batched =
    variant.batch === 'newaxis'
      ? slice(slice(input, { begin_mask: 7, end_mask: 7 }, 3), { new_axis_mask: 1, begin_mask: 1, end_mask: 1 }, 1)
      : t.node('ExpandDims', [input, t.ints([0], [])], { T: f32, Tdim: { type: DT.INT32 } });
  const x = t.node('Sub', [t.node('RealDiv', [batched, t.floats([127.5], [])], { T: f32 }), t.floats([1], [])], { T: f32 });
  const add = (a: string, b: string) => t.node(variant.add, [a, b], { T: f32 });
  const lrelu = (v: string) =>
    variant.leaky === 'op' ? t.node('LeakyRelu', [v], { T: f32, alpha: { f: 0.2 } }) : t.node('Maximum', [t.node('Mul', [t.floats([0.2], []), v], { T: f32 }), v], { T: f32 });
  let layer = 0;
  const conv = (v: string): string => {
    const l = weights[layer] as ConvWeights;
    const scope = `generator/Conv${layer === 0 ? '' : `_${layer}`}`;
    layer += 1;
    const w = t.node('Identity', [t.floats(l.w, [l.k, l.k, l.cin, l.cout], `${scope}/weights`)], { T: f32 }, `${scope}/weights/read`);
    const b = t.node('Identity', [t.floats(l.b, [l.cout], `${scope}/biases`)], { T: f32 }, `${scope}/biases/read`);
    const c = t.node('Conv2D', [v, w], {
      T: f32,
      strides: { list: { i: [1, l.stride, l.stride, 1] } },
      padding: { s: Buffer.from('SAME') },
      data_format: { s: Buffer.from('NHWC') },
      dilations: { list: { i: [1, 1, 1, 1] } },
    });
    return t.node('BiasAdd', [c, b], { T: f32, data_format: { s: Buffer.from('NHWC') } });
  };
  const up2 = (v: string): string => {
    const s = t.node('Shape', [v], { T: f32, out_type: { type: DT.INT32 } });
    const hw = t.node('StridedSlice', [s, t.ints([1]), t.ints([3]), t.ints([1])], { T: { type: DT.INT32 }, Index: { type: DT.INT32 }, shrink_axis_mask: { i: 0 } });
    const size = t.node('Mul', [hw, t.ints([2], [])], { T: { type: DT.INT32 } });
    return t.node('ResizeBilinear', [v, size], { T: f32, align_corners: { b: false }, half_pixel_centers: { b: false } });
  };
  const x0 = lrelu(conv(x));
  const x1 = lrelu(conv(lrelu(conv(x0))));
  let x2 = lrelu(conv(lrelu(conv(x1))));
  for (let i = 0; i < 4; i += 1) x2 = add(x2, conv(lrelu(conv(x2))));
  x2 = lrelu(conv(x2));
  const x3 = lrelu(conv(lrelu(conv(add(up2(x2), x1)))));
  const y = conv(lrelu(conv(add(up2(x3), x0))));

  // Guided filter, r = 1, eps = 1e-2, as White-box Cartoonization writes it.
  const boxFilter = (v: string, ch: number) =>
    t.node('DepthwiseConv2dNative', [v, t.floats(new Float32Array(9 * ch).fill(1 / 9), [3, 3, ch, 1])], {
      T: f32,
      strides: { list: { i: [1, 1, 1, 1] } },
      padding: { s: Buffer.from('SAME') },
      data_format: { s: Buffer.from('NHWC') },
    });
  const xs = t.node('Shape', [x], { T: f32, out_type: { type: DT.INT32 } });
  const dim = (i: number) => t.node('StridedSlice', [xs, t.ints([i]), t.ints([i + 1]), t.ints([1])], { T: { type: DT.INT32 }, Index: { type: DT.INT32 }, shrink_axis_mask: { i: 1 } });
  const dims = t.node('Pack', [t.ints([1], []), dim(1), dim(2), t.ints([1], [])], { T: { type: DT.INT32 }, N: { i: 4 }, axis: { i: 0 } });
  const ones = t.node('Fill', [dims, t.floats([1], [])], { T: f32 });
  const n = boxFilter(ones, 1);
  const div = (a: string, b: string) => t.node('RealDiv', [a, b], { T: f32 });
  const mul = (a: string, b: string) => t.node('Mul', [a, b], { T: f32 });
  const sub = (a: string, b: string) => t.node('Sub', [a, b], { T: f32 });
  const mx = div(boxFilter(x, 3), n);
  const my = div(boxFilter(y, 3), n);
  const cov = sub(div(boxFilter(mul(x, y), 3), n), mul(mx, my));
  const variance = sub(div(boxFilter(mul(x, x), 3), n), mul(mx, mx));
  const a = div(cov, add(variance, t.floats([1e-2], [])));
  const b = sub(my, mul(a, mx));
  const out = add(mul(div(boxFilter(a, 3), n), x), div(boxFilter(b, 3), n));

  const first = t.node('StridedSlice', [out, t.ints([0, 0, 0, 0]), t.ints([1, 0, 0, 0]), t.ints([1, 1, 1, 1])], {
    T: f32,
    Index: { type: DT.INT32 },
    shrink_axis_mask: { i: 1 },
    end_mask: { i: 14 },
    begin_mask: { i: 14 },
  });
  const clipped = t.node('ClipByValue', [first, t.floats([-0.999999], []), t.floats([0.999999], [])], { T: f32 });
  const pixels = mul(add(clipped, t.floats([1], [])), t.floats([127.5], []));
  const u8 = t.node('Cast', [pixels], { SrcT: f32, DstT: { type: DT.UINT8 } });
  t.node('Identity', [u8], { T: { type: DT.UINT8 } }, 'output_image');
  return t.encode();
}
