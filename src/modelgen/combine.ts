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
import { createHash } from 'node:crypto';
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

type Graph = onnxProto.onnx.IGraphProto;
type Node = onnxProto.onnx.INodeProto;
type Tensor = onnxProto.onnx.ITensorProto;

/**
 * What every graph computes alike, moved out of the branches: a node whose op, attributes and
 * inputs (outer inputs by name, weights by content, other nodes' outputs by what computes them)
 * are the same in every graph runs once, in the outer graph, and the branches read its output.
 * onnxruntime keeps a kernel and plan entries per node, so each node held once instead of once per
 * look makes a session smaller to open (the face pass's four looks share 368 of ~630 nodes each).
 * Only the look picked runs either way: a hoisted node is one its branch would have run.
 */
function hoistCommon(graphs: Graph[]): { hoisted: Node[]; weights: Tensor[]; branches: Graph[] } {
  const digest = (text: string) => createHash('sha1').update(text).digest('hex').slice(0, 16);
  // Per graph: each value's key (what computes it) and each node's key.
  const keyed = graphs.map((g) => {
    const valueKey = new Map<string, string>();
    for (const input of g.input ?? []) valueKey.set(input.name ?? '', `in:${input.name ?? ''}`);
    for (const t of g.initializer ?? []) valueKey.set(t.name ?? '', `w:${digest(Buffer.from(onnx.TensorProto.encode({ ...t, name: '' }).finish()).toString('base64'))}`);
    const nodeKeys = (g.node ?? []).map((n) => {
      const attributes = (n.attribute ?? []).map((a) => Buffer.from(onnx.AttributeProto.encode(a).finish()).toString('base64'));
      const key = digest(`${n.opType ?? ''}|${n.domain ?? ''}|${attributes.join(',')}|${(n.input ?? []).map((i) => (i === '' ? '' : (valueKey.get(i) ?? `?${i}`))).join(',')}`);
      (n.output ?? []).forEach((o, j) => valueKey.set(o, `${key}#${j}`));
      return key;
    });
    return { valueKey, nodeKeys };
  });
  const everywhere = new Set((keyed[0]?.nodeKeys ?? []).filter((k) => keyed.every((g) => g.nodeKeys.includes(k))));
  // The hoisted nodes, in the first graph's order (a topological one), with names of their own.
  const first = graphs[0] as Graph;
  const firstKeys = keyed[0] as (typeof keyed)[number];
  const nameOf = new Map<string, string>();
  const weights = new Map<string, Tensor>();
  const hoisted: Node[] = [];
  (first.node ?? []).forEach((n, index) => {
    const key = firstKeys.nodeKeys[index] as string;
    if (!everywhere.has(key) || nameOf.has(`${key}#0`)) return;
    const input = (n.input ?? []).map((i) => {
      const k = firstKeys.valueKey.get(i) ?? '';
      if (i === '' || k.startsWith('in:')) return i;
      if (k.startsWith('w:')) {
        const name = `h_${k.slice(2)}`;
        const t = (first.initializer ?? []).find((w) => w.name === i) as Tensor;
        weights.set(name, { ...t, name });
        return name;
      }
      return nameOf.get(k) as string;
    });
    const output = (n.output ?? []).map((_, j) => {
      const name = `h_${key}_${j}`;
      nameOf.set(`${key}#${j}`, name);
      return name;
    });
    hoisted.push({ ...n, name: `h_${key}`, input, output });
  });
  const branches = graphs.map((g, gi) => {
    const { valueKey, nodeKeys } = keyed[gi] as (typeof keyed)[number];
    const outer = (name: string) => nameOf.get(valueKey.get(name) ?? '') ?? name;
    const node = (g.node ?? []).filter((_, i) => !everywhere.has(nodeKeys[i] as string)).map((n) => ({ ...n, input: (n.input ?? []).map(outer) }));
    const used = new Set(node.flatMap((n) => n.input ?? []));
    // A graph output computed alike everywhere is passed through.
    const output = (g.output ?? []).map((o) => {
      const name = o.name ?? '';
      if (outer(name) === name) return o;
      node.push({ opType: 'Identity', name: `pass_${name}`, input: [outer(name)], output: [name] });
      return o;
    });
    return { ...g, node, initializer: (g.initializer ?? []).filter((t) => used.has(t.name ?? '')), output };
  });
  return { hoisted, weights: [...weights.values()], branches };
}

/**
 * One model whose input `select` (int64 scalar) runs `graphs[select]`. Every graph must have the
 * output `output` of the same type; their inputs are the union of all (a look that does not read
 * one is fed it and ignores it).
 */
export function combineGraphs(graphs: readonly Uint8Array[], select: string, output: string, docString: string, options: { hoist?: boolean } = {}): Uint8Array {
  const models = graphs.map((bytes) => onnx.ModelProto.decode(bytes));
  const first = models[0];
  if (!first?.graph) throw new RangeError('combineGraphs needs at least one graph');
  const inputs: onnxProto.onnx.IValueInfoProto[] = [];
  for (const m of models) for (const input of m.graph?.input ?? []) if (!inputs.some((x) => x.name === input.name)) inputs.push(input);
  const common = options.hoist ? hoistCommon(models.map((m) => m.graph as Graph)) : { hoisted: [], weights: [], branches: models.map((m) => m.graph as Graph) };
  const outer = new Set([...inputs.map((x) => x.name ?? ''), ...common.hoisted.flatMap((n) => n.output ?? []), ...common.weights.map((w) => w.name ?? '')]);
  const outputType = first.graph.output?.find((o) => o.name === output)?.type;
  if (!outputType) throw new RangeError(`combineGraphs: the first graph has no output ${output}`);

  // Branch i: graph i's nodes and weights, every inner name prefixed (names must be unique
  // across the model, subgraphs included); the outer inputs keep their names.
  const branch = (i: number): onnxProto.onnx.IGraphProto => {
    const g = common.branches[i] as Graph;
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
    if (i === models.length - 1) return branch(i);
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
            { name: 'then_branch', type: GRAPH, g: branch(i) },
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
      node: [...common.hoisted, ...(top.node ?? []), { opType: 'Identity', name: 'result', input: [top.output?.[0]?.name ?? ''], output: [output] }],
      initializer: [...common.weights, ...(top.initializer ?? [])],
      input: [...inputs, { name: select, type: { tensorType: { elemType: onnx.TensorProto.DataType.INT64, shape: { dim: [] } } } }],
      output: [{ name: output, type: outputType }],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
