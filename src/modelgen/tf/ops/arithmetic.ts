/** Elementwise arithmetic, with constants shaped to broadcast against image tensors. */
import type { GraphBuilder } from '../../GraphBuilder.ts';
import { ConversionError, nhwcToNchw, toFloats, toInts, type Converter, type Layout, type Value } from '../values.ts';

const ELEMENTWISE: Record<string, string> = { Add: 'Add', AddV2: 'Add', Sub: 'Sub', Mul: 'Mul', RealDiv: 'Div', Maximum: 'Max', Minimum: 'Min' };

export const ARITHMETIC_OPS: Record<string, Converter> = Object.fromEntries(
  Object.entries(ELEMENTWISE).map(([tf, onnx]): [string, Converter] => [tf, (g, _n, [a, b]) => elementwise(g, onnx, a as Value, b as Value)]),
);

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
