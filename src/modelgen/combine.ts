/**
 * Several looks' graphs as one: an int64 scalar input picks the look, through a chain of `If`
 * nodes whose branches are the looks' own graphs (their nodes and weights, names prefixed per
 * look; the image, strength and tile corner read from the outer graph).
 *
 * Why: onnxruntime keeps one memory arena per session and a session's arena never shrinks (the
 * Node binding passes no run options that would), so each look open at 1024 held ~140-230 MiB of
 * its own; with every look in one session the branches share one arena, sized by the largest,
 * and switching looks opens nothing. Measured (docs/BENCHMARKS.md, "Switching looks"): four looks
 * run in turn at 1024 hold 226 MiB in one session against 607 MiB in four, at the same speed,
 * with outputs identical to the looks' own graphs.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/**
 * One model whose input `select` (int64 scalar) runs `graphs[select]`. Every graph must have the
 * output `output` of the same type; their inputs are the union of all (a look that does not read
 * one is fed it and ignores it).
 */
export function combineGraphs(graphs: readonly Uint8Array[], select: string, output: string, docString: string): Uint8Array {
  const models = graphs.map((bytes) => onnx.ModelProto.decode(bytes));
  const first = models[0];
  if (!first?.graph) throw new RangeError('combineGraphs needs at least one graph');
  const inputs: onnxProto.onnx.IValueInfoProto[] = [];
  for (const m of models) for (const input of m.graph?.input ?? []) if (!inputs.some((x) => x.name === input.name)) inputs.push(input);
  const outer = new Set(inputs.map((x) => x.name ?? ''));
  const outputType = first.graph.output?.find((o) => o.name === output)?.type;
  if (!outputType) throw new RangeError(`combineGraphs: the first graph has no output ${output}`);

  // Branch i: graph i's nodes and weights, every inner name prefixed (names must be unique
  // across the model, subgraphs included); the outer inputs keep their names.
  const branch = (m: onnxProto.onnx.ModelProto, i: number): onnxProto.onnx.IGraphProto => {
    const g = m.graph as onnxProto.onnx.IGraphProto;
    const rename = (name: string): string => (name === '' || outer.has(name) ? name : `l${i}_${name}`);
    return {
      name: `look_${i}`,
      node: (g.node ?? []).map((n) => ({ ...n, name: `l${i}_${n.name ?? ''}`, input: (n.input ?? []).map(rename), output: (n.output ?? []).map(rename) })),
      initializer: (g.initializer ?? []).map((t) => ({ ...t, name: rename(t.name ?? '') })),
      output: [{ name: rename(output), type: outputType }],
    };
  };
  const int64 = (name: string, value: number): onnxProto.onnx.ITensorProto => ({
    name,
    dims: [],
    dataType: onnx.TensorProto.DataType.INT64,
    rawData: new Uint8Array(BigInt64Array.of(BigInt(value)).buffer),
  });
  const GRAPH = onnx.AttributeProto.AttributeType.GRAPH;
  // select == i ? graph i : (the chain of the rest); the last graph is the chain's end (and what
  // an out-of-range value runs).
  const chain = (i: number): onnxProto.onnx.IGraphProto => {
    const m = models[i] as onnxProto.onnx.ModelProto;
    if (i === models.length - 1) return branch(m, i);
    return {
      name: `select_${i}`,
      node: [
        { opType: 'Equal', name: `is_${i}`, input: [select, `look_${i}_id`], output: [`is_${i}`] },
        {
          opType: 'If',
          name: `if_${i}`,
          input: [`is_${i}`],
          output: [`picked_${i}`],
          attribute: [
            { name: 'then_branch', type: GRAPH, g: branch(m, i) },
            { name: 'else_branch', type: GRAPH, g: chain(i + 1) },
          ],
        },
      ],
      initializer: [int64(`look_${i}_id`, i)],
      output: [{ name: `picked_${i}`, type: outputType }],
    };
  };
  const top = chain(0);
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'toonbot-modelgen',
    producerVersion: '1',
    docString,
    opsetImport: first.opsetImport,
    graph: {
      name: 'looks',
      node: [...(top.node ?? []), { opType: 'Identity', name: 'result', input: [top.output?.[0]?.name ?? ''], output: [output] }],
      initializer: top.initializer ?? [],
      input: [...inputs, { name: select, type: { tensorType: { elemType: onnx.TensorProto.DataType.INT64, shape: { dim: [] } } } }],
      output: [{ name: output, type: outputType }],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
