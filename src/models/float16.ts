/**
 * float16 graphs, as many community exports are (half the download, and what GPU runtimes like):
 * the image input and output are made float32 at install by a Cast at each edge of the graph
 * (float32 in, cast to float16; float16 out, cast to float32). Inside, the graph computes in
 * float16 as its author made it (onnxruntime's CPU provider runs float16 nodes it has no kernel
 * for in float32, and GPUs run them natively), and the engine, the import's checks and the tiler
 * see a float32 image graph like any other. A graph that is float32 at an edge keeps that edge.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;
const DT = onnx.TensorProto.DataType;

export interface EdgeCasts {
  bytes: Uint8Array;
  /** Which edges were float16 and now cast. */
  input: boolean;
  output: boolean;
  /** The graph holds float16 weights (it computes in float16 inside). */
  halfInside: boolean;
}

/** The graph with float32 image edges (unchanged bytes when they are float32 already). */
export function castEdgesToFloat32(bytes: Uint8Array): EdgeCasts {
  const model = onnx.ModelProto.decode(bytes);
  // Decoded messages have every repeated field, empty or not.
  const graph = model.graph as onnxProto.onnx.GraphProto;
  const [input] = graph.input.filter((i) => !graph.initializer.some((t) => t.name === i.name));
  const [output] = graph.output;
  const isHalf = (v: onnxProto.onnx.IValueInfoProto | undefined) => v?.type?.tensorType?.elemType === DT.FLOAT16;
  const halfInside = graph.initializer.some((t) => t.dataType === DT.FLOAT16);
  const castIn = isHalf(input);
  const castOut = isHalf(output);
  if (!castIn && !castOut) return { bytes, input: false, output: false, halfInside };
  const nodes = graph.node;
  const rename = (from: string, to: string, where: 'inputs' | 'outputs') => {
    for (const node of nodes) {
      const list = where === 'inputs' ? node.input : node.output;
      if (list) for (let i = 0; i < list.length; i += 1) if (list[i] === from) list[i] = to;
    }
    for (const info of graph.valueInfo) if (info.name === from) info.name = to;
  };
  const cast = (from: string, to: string, type: number): onnxProto.onnx.INodeProto => ({
    opType: 'Cast',
    name: `toonbot_cast_${to}`,
    input: [from],
    output: [to],
    attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: type }],
  });
  if (castIn && input?.name && input.type?.tensorType) {
    const inner = `${input.name}__float16`;
    rename(input.name, inner, 'inputs');
    input.type.tensorType.elemType = DT.FLOAT;
    nodes.unshift(cast(input.name, inner, DT.FLOAT16));
  }
  if (castOut && output?.name && output.type?.tensorType) {
    const inner = `${output.name}__float16`;
    // The value the graph computes gets an inner name (its producer and any reader), and the
    // graph's output is that value cast to float32.
    rename(output.name, inner, 'outputs');
    rename(output.name, inner, 'inputs');
    output.type.tensorType.elemType = DT.FLOAT;
    nodes.push(cast(inner, output.name, DT.FLOAT));
  }
  return { bytes: onnx.ModelProto.encode(model).finish(), input: castIn, output: castOut, halfInside };
}
