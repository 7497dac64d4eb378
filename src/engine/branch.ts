/**
 * One look out of a graph that holds several (src/modelgen/combine.ts: an int64 input picks the
 * look through a chain of `If` nodes). The branch picked becomes the graph, its nodes and weights
 * inlined, and the picking input goes: what runs is what the combined graph runs for that value,
 * node for node, so the output is the same, and the session holds one look's nodes instead of
 * every look's. onnxruntime opens a session in time that grows with its nodes (each look's branch
 * is planned when the session opens, whether it runs or not): the built-in whole-frame graph at
 * 1024 opens in ~0.3 s alone against ~1 s with its four looks (docs/BENCHMARKS.md). Used where
 * one style serves a whole run (the CLI); a bot keeps the looks together, so that a change of look
 * opens nothing and the looks share one memory arena.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

type Graph = onnxProto.onnx.IGraphProto;
type Node = onnxProto.onnx.INodeProto;

/** The int64 scalar `name` holds, when it is one of `graph`'s weights. */
function int64Scalar(graph: Graph, name: string): number | undefined {
  const t = graph.initializer?.find((w) => w.name === name);
  if (!t || t.dataType !== onnx.TensorProto.DataType.INT64) return undefined;
  if (t.int64Data && t.int64Data.length === 1) return Number(t.int64Data[0]);
  const raw = t.rawData;
  if (!raw || raw.length !== 8) return undefined;
  return Number(new BigInt64Array(new Uint8Array(raw).slice().buffer)[0]);
}

/**
 * The `If` in `graph` that tests `select == value`: an Equal of the input and an int64 weight
 * feeding an If's condition. Undefined when the graph has none (it is a branch itself).
 */
function choice(graph: Graph, select: string): { equal: Node; pick: Node; value: number } | undefined {
  const nodes = graph.node ?? [];
  for (const equal of nodes) {
    if (equal.opType !== 'Equal' || equal.input?.length !== 2 || equal.input[0] !== select) continue;
    const value = int64Scalar(graph, equal.input[1] as string);
    const pick = nodes.find((n) => n.opType === 'If' && n.input?.[0] === equal.output?.[0]);
    if (value !== undefined && pick) return { equal, pick, value };
  }
  return undefined;
}

const branchOf = (node: Node, which: 'then_branch' | 'else_branch'): Graph | undefined => node.attribute?.find((a) => a.name === which)?.g ?? undefined;

/**
 * The model with the look `value` of its `select` input picked for good (a value no branch tests
 * for runs the chain's last graph, as the combined model does).
 * @returns undefined when the model has no such input, or is not shaped as combineGraphs makes it
 */
export function selectBranch(bytes: Uint8Array, select: string, value: number): Uint8Array | undefined {
  const model = onnx.ModelProto.decode(bytes);
  const top = model.graph;
  if (!top || !top.input?.some((i) => i.name === select)) return undefined;
  const first = choice(top, select);
  if (!first) return undefined;
  // Down the chain: a test that holds takes its `then` graph, else the `else` graph's own test.
  let graph: Graph | undefined = first.value === value ? branchOf(first.pick, 'then_branch') : branchOf(first.pick, 'else_branch');
  for (let depth = 0; graph && depth < 64; depth += 1) {
    const next = choice(graph, select);
    if (!next) break;
    graph = next.value === value ? branchOf(next.pick, 'then_branch') : branchOf(next.pick, 'else_branch');
  }
  const picked = graph?.output?.[0]?.name;
  const result = first.pick.output?.[0];
  if (!graph || !picked || !result || choice(graph, select)) return undefined;
  // The outer graph less the chain: the shared (hoisted) nodes, which the branch reads by name,
  // then the branch's nodes and its output passed on under the chain's result's name, then what
  // read that result.
  const outer = (top.node ?? []).filter((n) => n !== first.equal && n !== first.pick);
  const readsResult = (n: Node) => (n.input ?? []).includes(result);
  top.node = [...outer.filter((n) => !readsResult(n)), ...(graph.node ?? []), { opType: 'Identity', name: 'picked_look', input: [picked], output: [result] }, ...outer.filter(readsResult)];
  top.initializer = [...(top.initializer ?? []).filter((w) => w.name !== first.equal.input?.[1]), ...(graph.initializer ?? [])];
  top.input = top.input.filter((i) => i.name !== select);
  return onnx.ModelProto.encode(model).finish();
}
