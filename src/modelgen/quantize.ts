/**
 * Post-training int8 quantisation of a convolutional ONNX model, as QDQ (QuantizeLinear /
 * DequantizeLinear pairs around each convolution) that onnxruntime's CPU provider fuses into
 * integer convolutions (u8 activations x s8 weights: the VNNI path on CPUs that have it).
 *
 * - Weights: int8, symmetric, one scale per output channel, in 7 bits (±63, onnxruntime's
 *   `reduce_range`): without VNNI (AVX2, AVX-512 without VNNI) the u8 x s8 kernels add pairs of
 *   products in 16 bits, and 255 x 127 x 2 overflows it. On an AVX2-only CPU, full-range weights
 *   gave the DCT-Net graphs a mean error of 9-17 grey levels (p99 112-120) where VNNI gives under
 *   one; 7 bits keep the sums in range on every x86 CPU, at a 2x coarser weight step.
 * - Activations: uint8, asymmetric, the scale and zero point of each convolution's input and
 *   output from a calibration run of the fp32 model on real photos (min and max seen).
 * - Bias: int32 at the scale input x weight, as the fusion requires.
 * - Convolutions named in `keepFloat` stay fp32 (the first one reads the photo itself; its 3 input
 *   channels gain nothing from int8). A convolution with few output channels (the last, 3) can be
 *   padded to `padOutputsTo` channels with zero weights and sliced back: integer kernels work in
 *   blocks of 16 channels, and a 3-channel one falls off the fast path.
 */
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';

const { onnx } = onnxProto;

/** The largest quantised weight: 7 bits (see the header). */
const WEIGHT_MAX = 63;
type Node = onnxProto.onnx.INodeProto;
type Tensor = onnxProto.onnx.ITensorProto;
const DT = onnx.TensorProto.DataType;

interface QuantizeOptions {
  /** Photos as the model's input tensors (NCHW float, in the model's range). */
  calibration: { data: Float32Array; dims: number[] }[];
  /** Indexes (in graph order) of convolutions to keep in fp32. @default [0] */
  keepFloat?: number[];
  /** Pad convolutions with fewer output channels than this to this many (then slice). @default 16 */
  padOutputsTo?: number;
}

interface QuantizeReport {
  convolutions: number;
  quantised: number;
  padded: number;
}

export async function quantizeQdq(modelBytes: Uint8Array, options: QuantizeOptions): Promise<{ bytes: Uint8Array; report: QuantizeReport }> {
  const model = onnx.ModelProto.decode(modelBytes);
  const graph = model.graph as onnxProto.onnx.GraphProto;
  const initializers = new Map(graph.initializer.map((t) => [t.name as string, t]));
  const convs = graph.node.filter((n) => n.opType === 'Conv' && (n.input?.length ?? 0) >= 2 && initializers.has(n.input?.[1] as string) && groupOf(n) === 1);
  const keep = new Set(options.keepFloat ?? [0]);
  const chosen = convs.filter((_, i) => !keep.has(i));
  const ranges = await calibrate(
    modelBytes,
    chosen.flatMap((n) => [n.input?.[0] as string, n.output?.[0] as string]),
    options.calibration,
  );

  const nodes: Node[] = [];
  const quantisedInputs = new Map<string, string>();
  let counter = 0;
  const fresh = (prefix: string) => `${prefix}_q${(counter += 1)}`;
  const addInit = (t: Tensor) => {
    graph.initializer.push(t);
    return t.name as string;
  };
  /** `x` through Quantize/Dequantize at its calibrated range; returns the dequantised name. */
  const qdq = (x: string, into: Node[], outName?: string): string => {
    const range = ranges.get(x) ?? [0, 1];
    const { scale, zeroPoint } = uint8Params(range[0], range[1]);
    const s = addInit(floatTensor(fresh(`${x}_scale`), [scale], []));
    const z = addInit({ name: fresh(`${x}_zp`), dataType: DT.UINT8, dims: [], rawData: Uint8Array.of(zeroPoint) });
    const q = fresh(`${x}_quant`);
    const dq = outName ?? fresh(`${x}_dq`);
    into.push({ opType: 'QuantizeLinear', name: fresh('Q'), input: [x, s, z], output: [q] });
    into.push({ opType: 'DequantizeLinear', name: fresh('DQ'), input: [q, s, z], output: [dq] });
    return dq;
  };

  let padded = 0;
  const pad = options.padOutputsTo ?? 16;
  for (const node of graph.node) {
    if (!chosen.includes(node)) {
      nodes.push(node);
      continue;
    }
    const [x, wName, bName] = node.input as string[];
    const y = (node.output as string[])[0] as string;
    let xdq = quantisedInputs.get(x as string);
    if (!xdq) {
      xdq = qdq(x as string, nodes);
      quantisedInputs.set(x as string, xdq);
    }
    const w = initializers.get(wName as string) as Tensor;
    const dims = (w.dims as number[]).map(Number);
    let weights = floatsOf(w);
    let bias = bName ? floatsOf(initializers.get(bName) as Tensor) : new Float32Array(dims[0] as number);
    const cout = dims[0] as number;
    const perOut = weights.length / cout;
    const outs = cout < pad ? pad : cout;
    if (outs !== cout) {
      padded += 1;
      const grown = new Float32Array(outs * perOut);
      grown.set(weights);
      weights = grown;
      const grownBias = new Float32Array(outs);
      grownBias.set(bias);
      bias = grownBias;
    }
    const xScale = uint8Params(...(ranges.get(x as string) ?? [0, 1])).scale;
    const wScales = new Float32Array(outs);
    const wq = new Int8Array(outs * perOut);
    const bq = new Int32Array(outs);
    for (let o = 0; o < outs; o += 1) {
      let max = 0;
      for (let i = 0; i < perOut; i += 1) max = Math.max(max, Math.abs(weights[o * perOut + i] as number));
      const s = max > 0 ? max / WEIGHT_MAX : 1;
      wScales[o] = s;
      for (let i = 0; i < perOut; i += 1) wq[o * perOut + i] = Math.max(-WEIGHT_MAX, Math.min(WEIGHT_MAX, Math.round((weights[o * perOut + i] as number) / s)));
      bq[o] = Math.round((bias[o] as number) / (xScale * s));
    }
    const wDims = [outs, ...dims.slice(1)];
    const wqName = addInit({ name: fresh(`${wName}_int8`), dataType: DT.INT8, dims: wDims, rawData: new Uint8Array(wq.buffer) });
    const wsName = addInit(floatTensor(fresh(`${wName}_scale`), wScales, [outs]));
    const wzName = addInit({ name: fresh(`${wName}_zp`), dataType: DT.INT8, dims: [outs], rawData: new Uint8Array(outs) });
    const wdq = fresh(`${wName}_dq`);
    nodes.push({ opType: 'DequantizeLinear', name: fresh('DQw'), input: [wqName, wsName, wzName], output: [wdq], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] });
    const bqName = addInit({ name: fresh('bias_int32'), dataType: DT.INT32, dims: [outs], rawData: new Uint8Array(bq.buffer) });
    const bsName = addInit(
      floatTensor(
        fresh('bias_scale'),
        wScales.map((s) => s * xScale),
        [outs],
      ),
    );
    const bzName = addInit({ name: fresh('bias_zp'), dataType: DT.INT32, dims: [outs], rawData: new Uint8Array(outs * 4) });
    const bdq = fresh('bias_dq');
    nodes.push({ opType: 'DequantizeLinear', name: fresh('DQb'), input: [bqName, bsName, bzName], output: [bdq], attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }] });
    const convOut = fresh(`${y}_float`);
    nodes.push({ ...node, input: [xdq, wdq, bdq], output: [convOut] });
    // The output quantised too (so that the fusion makes an integer convolution), then back to
    // float under the original name for whatever reads it.
    const yq = outs === cout ? y : fresh(`${y}_padded`);
    ranges.set(convOut, ranges.get(y) ?? [0, 1]);
    qdq(convOut, nodes, yq);
    if (outs !== cout) {
      const starts = addInit(int64Tensor(fresh('starts'), [0]));
      const ends = addInit(int64Tensor(fresh('ends'), [cout]));
      const axes = addInit(int64Tensor(fresh('axes'), [1]));
      nodes.push({ opType: 'Slice', name: fresh('Slice'), input: [yq, starts, ends, axes], output: [y] });
    }
  }
  // The float weights and biases replaced by their integer forms.
  const replaced = new Set(
    chosen.flatMap((conv) =>
      (conv.input ?? [])
        .slice(1)
        .map((name) => initializers.get(name))
        .filter((t): t is Tensor => t !== undefined),
    ),
  );
  const stillRead = new Set(nodes.flatMap((n) => n.input ?? []));
  graph.initializer = graph.initializer.filter((t) => !replaced.has(t) || stillRead.has(t.name as string));
  graph.node = nodes;
  model.producerName = 'toonbot-quantize';
  return { bytes: onnx.ModelProto.encode(model).finish(), report: { convolutions: convs.length, quantised: chosen.length, padded } };
}

/** Min and max of each named tensor over the calibration inputs (the fp32 model, those tensors exposed as outputs). */
async function calibrate(modelBytes: Uint8Array, names: string[], inputs: QuantizeOptions['calibration']): Promise<Map<string, [number, number]>> {
  const model = onnx.ModelProto.decode(modelBytes);
  const graph = model.graph as onnxProto.onnx.GraphProto;
  const wanted = [...new Set(names)].filter((n) => !graph.output.some((o) => o.name === n));
  for (const name of wanted) graph.output.push({ name, type: { tensorType: { elemType: DT.FLOAT } } });
  const session = await ort.InferenceSession.create(onnx.ModelProto.encode(model).finish(), { graphOptimizationLevel: 'basic' });
  const ranges = new Map<string, [number, number]>();
  try {
    for (const input of inputs) {
      const feeds: Record<string, ort.Tensor> = { [session.inputNames[0] as string]: new ort.Tensor('float32', input.data, input.dims) };
      if (session.inputNames.includes('strength')) feeds.strength = new ort.Tensor('float32', Float32Array.of(1), [1]);
      const out = await session.run(feeds);
      for (const name of names) {
        const data = out[name]?.data as Float32Array | undefined;
        if (!data) continue;
        let [lo, hi] = ranges.get(name) ?? [0, 0];
        for (let i = 0; i < data.length; i += 1) {
          const v = data[i] as number;
          if (v < lo) lo = v;
          else if (v > hi) hi = v;
        }
        ranges.set(name, [lo, hi]);
      }
    }
  } finally {
    await session.release();
  }
  return ranges;
}

/** uint8 scale and zero point covering [lo, hi] and 0. */
function uint8Params(lo: number, hi: number): { scale: number; zeroPoint: number } {
  const min = Math.min(0, lo);
  const max = Math.max(0, hi);
  const scale = max > min ? (max - min) / 255 : 1;
  return { scale, zeroPoint: Math.max(0, Math.min(255, Math.round(-min / scale))) };
}

function groupOf(node: Node): number {
  const group = node.attribute?.find((a) => a.name === 'group');
  return group ? Number(group.i ?? 1) : 1;
}

function floatsOf(t: Tensor): Float32Array {
  if (t.rawData && t.rawData.length > 0) {
    const raw = t.rawData;
    return new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
  }
  return Float32Array.from(t.floatData ?? []);
}

function floatTensor(name: string, values: Float32Array | number[], dims: number[]): Tensor {
  const data = values instanceof Float32Array ? values : Float32Array.from(values);
  return { name, dataType: DT.FLOAT, dims, rawData: new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)) };
}

function int64Tensor(name: string, values: number[]): Tensor {
  return { name, dataType: DT.INT64, dims: [values.length], rawData: new Uint8Array(new BigInt64Array(values.map(BigInt)).buffer) };
}
