/**
 * BlazeFace at any input size. The barracuda exports are fully convolutional but for three fixed
 * shapes: the input (1×256×256×3), two channel paddings built from constant zeros of a fixed
 * shape (ConstantOfShape + Concat), and the reshapes of the four heads to (1, anchors, n). With
 * those made shape-free (a Pad on the channel axis, reshapes to (1, -1, n)), one run over a
 * whole scaled photo gives the same anchors, cell for cell, as the 256² tiles that used to cover
 * it, without the tiles' overlap, their seams and a run each. The weights are not touched.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;

/** Input sides must be multiples of this: the coarsest head's stride. */
export const ANY_SIZE_STEP = 32;

const int64s = (name: string, values: readonly number[]): onnxProto.onnx.ITensorProto => ({
  name,
  dataType: DT.INT64,
  dims: [values.length],
  rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer),
});

const int64Values = (t: onnxProto.onnx.ITensorProto): number[] =>
  t.int64Data && t.int64Data.length > 0 ? t.int64Data.map(Number) : Array.from(new BigInt64Array(new Uint8Array(t.rawData as Uint8Array).slice().buffer), Number);

/**
 * The graph with a (1, height, width, 3) input of any size (multiples of ANY_SIZE_STEP) and
 * outputs of (1, anchors, n).
 * @throws when the graph is not shaped like the barracuda BlazeFace exports
 */
export function anySizeBlazeFace(bytes: Uint8Array): Uint8Array {
  const model = onnx.ModelProto.decode(bytes);
  const graph = model.graph as onnxProto.onnx.GraphProto;
  const inits = new Map(graph.initializer.map((t) => [t.name, t]));
  const [input] = graph.input;
  const dims = input?.type?.tensorType?.shape?.dim;
  if (!dims || dims.length !== 4) throw new Error('BlazeFace: expected one NHWC input');
  dims[1] = { dimParam: 'height' };
  dims[2] = { dimParam: 'width' };
  for (const output of graph.output) {
    const d = output.type?.tensorType?.shape?.dim;
    if (d?.[1]) d[1] = { dimParam: 'anchors' };
  }
  // Shapes inferred for the fixed size would contradict the new ones.
  graph.valueInfo = [];

  const zeros = new Map<string, number>();
  const keep: onnxProto.onnx.INodeProto[] = [];
  for (const node of graph.node) {
    if (node.opType === 'ConstantOfShape') {
      const shape = int64Values(inits.get(node.input?.[0] ?? '') ?? {});
      if (shape.length !== 4) throw new Error('BlazeFace: unexpected ConstantOfShape');
      zeros.set(node.output?.[0] ?? '', shape[1] as number);
      continue;
    }
    keep.push(node);
  }
  let pads = 0;
  for (const node of keep) {
    if (node.opType === 'Concat' && node.input?.length === 2 && zeros.has(node.input[1] as string)) {
      // Concat(x, zeros of c channels) on axis 1 = x padded by c channels at the end of axis 1.
      const channels = zeros.get(node.input[1] as string) as number;
      const name = `toonbot_channel_pad_${pads++}`;
      graph.initializer.push(int64s(name, [0, 0, 0, 0, 0, channels, 0, 0]));
      node.opType = 'Pad';
      node.input = [node.input[0] as string, name];
      node.attribute = [{ name: 'mode', type: onnx.AttributeProto.AttributeType.STRING, s: new TextEncoder().encode('constant') }];
    } else if (node.opType === 'Reshape') {
      const target = inits.get(node.input?.[1] ?? '');
      const shape = target ? int64Values(target) : [];
      if (shape.length !== 3) throw new Error('BlazeFace: unexpected Reshape');
      const name = `${node.input?.[1]}_any`;
      graph.initializer.push(int64s(name, [1, -1, shape[2] as number]));
      (node.input as string[])[1] = name;
    }
  }
  if (pads !== zeros.size) throw new Error('BlazeFace: a channel padding was not recognised');
  graph.node = keep;
  // The fixed shapes no node reads any more.
  const used = new Set(keep.flatMap((n) => n.input ?? []));
  graph.initializer = graph.initializer.filter((t) => used.has(t.name as string));
  return onnx.ModelProto.encode(model).finish();
}
