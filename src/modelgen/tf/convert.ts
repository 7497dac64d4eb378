/**
 * TensorFlow frozen graph -> ONNX, in TypeScript, for DCT-Net's head and background graphs.
 *
 * Layout is converted once, at the boundary: an NHWC image tensor becomes NCHW when it enters and
 * stays NCHW inside; a rank-3 HWC image (DCT-Net's `input_image`) is held as [1, C, H, W]. Shape
 * arithmetic (Shape, StridedSlice, Pack, Fill) keeps TensorFlow's NHWC order and is permuted only
 * where it meets an image tensor. An op this converter does not know fails the conversion, with
 * every unknown op listed; nothing is guessed.
 *
 * The ops, by family (ops/): graph (inputs, constants, casts), shape, nn (convolutions,
 * activations, resize), arithmetic; values.ts holds what they share.
 */
import { GraphBuilder } from '../GraphBuilder.ts';
import { readGraphDef, type TfNode } from './graphdef.ts';
import { ARITHMETIC_OPS } from './ops/arithmetic.ts';
import { GRAPH_OPS } from './ops/graph.ts';
import { NN_OPS } from './ops/nn.ts';
import { SHAPE_OPS } from './ops/shape.ts';
import { ConversionError, sanitize, type ConvertedGraph, type Converter, type Value } from './values.ts';

export { ConversionError } from './values.ts';

const CONVERTERS: Record<string, Converter> = { ...GRAPH_OPS, ...SHAPE_OPS, ...NN_OPS, ...ARITHMETIC_OPS };
const SUPPORTED_OPS = Object.keys(CONVERTERS);

export function convertFrozenGraph(bytes: Uint8Array, name = 'converted'): ConvertedGraph {
  return convertNodes(readGraphDef(bytes), name);
}

function convertNodes(nodes: TfNode[], name = 'converted'): ConvertedGraph {
  const byName = new Map(nodes.map((n) => [n.name, n]));
  const consumed = new Set(nodes.flatMap((n) => n.inputs.map((i) => baseName(i))));
  const outputs = nodes.filter((n) => !consumed.has(n.name) && n.op !== 'Const' && n.op !== 'NoOp');
  const order = topoOrder(
    outputs.map((n) => n.name),
    byName,
  );

  const ops: Record<string, number> = {};
  const unknown: { node: string; op: string }[] = [];
  for (const n of order) {
    ops[n.op] = (ops[n.op] ?? 0) + 1;
    if (!Object.hasOwn(CONVERTERS, n.op)) unknown.push({ node: n.name, op: n.op });
  }
  if (unknown.length > 0) {
    const kinds = [...new Set(unknown.map((u) => u.op))].sort();
    throw new ConversionError(`Unsupported TensorFlow ops: ${kinds.join(', ')} (in ${unknown.map((u) => `${u.node} [${u.op}]`).join(', ')}). Supported: ${SUPPORTED_OPS.join(', ')}.`, unknown);
  }

  const g = new GraphBuilder(name);
  const values = new Map<string, Value>();
  const result: ConvertedGraph = { bytes: new Uint8Array(), inputs: [], outputs: [], ops };
  const get = (input: string): Value => {
    const v = values.get(baseName(input)) ?? values.get(input);
    if (!v) throw new ConversionError(`input ${input} was not converted`);
    return v;
  };
  for (const n of order) {
    const fail = (why: string): never => {
      throw new ConversionError(`${n.name} [${n.op}]: ${why}`);
    };
    values.set(n.name, (CONVERTERS[n.op] as Converter)(g, n, n.inputs.map(get), { result, fail }));
  }
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

function baseName(input: string): string {
  return input.replace(/:\d+$/, '');
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
