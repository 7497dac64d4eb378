/**
 * Shape arithmetic, kept in TensorFlow's NHWC order and permuted only where it meets an image
 * tensor: Shape, StridedSlice, Pack, Fill.
 */
import type { GraphBuilder } from '../../GraphBuilder.ts';
import { DT, type TfNode } from '../graphdef.ts';
import { intAttr, materialize, toFloats, toInts, type Converter, type Value } from '../values.ts';

export const SHAPE_OPS: Record<string, Converter> = {
  StridedSlice: (g, n, inputs, { fail }) => stridedSlice(g, n, inputs, fail),
  Shape: (g, _n, [a]) => {
    const x = a as Value;
    const shape = g.op('Shape', [materialize(g, x)]);
    if (x.layout === 'nchw') return { name: g.op('Gather', [shape, g.int64s('perm', [0, 2, 3, 1])], { axis: 0 }), layout: 'plain', dtype: 'int' };
    if (x.layout === 'hwc') return { name: g.op('Gather', [shape, g.int64s('perm', [2, 3, 1])], { axis: 0 }), layout: 'plain', dtype: 'int' };
    return { name: shape, layout: 'plain', dtype: 'int' };
  },
  Pack: (g, n, inputs, { fail }) => {
    const axis = intAttr(n, 'axis', 0);
    if (axis !== 0) fail('only Pack along axis 0 is supported');
    const parts = inputs.map((v) => (v.constant ? g.int64s('pack', toInts(v.constant)) : g.op('Unsqueeze', [v.name, g.int64s('axes', [0])])));
    return { name: g.op('Concat', parts, { axis: 0 }), layout: 'plain', dtype: 'int' };
  },
  Fill: (g, _n, [a, b]) => {
    // dims is a TF (NHWC) shape; the filled tensor is an image tensor, so it goes NCHW.
    const dims = materialize(g, a as Value, 'int');
    const nchw = g.op('Gather', [dims, g.int64s('perm', [0, 3, 1, 2])], { axis: 0 });
    const value = b?.constant ? g.scalar(toFloats(b.constant)[0] ?? 0) : (b as Value).name;
    return { name: g.op('Expand', [value, nchw]), layout: 'nchw', dtype: 'float' };
  },
};

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
      const vals = toInts(input.constant)
        .slice(from, to === Number.MAX_SAFE_INTEGER ? undefined : to)
        .filter((_, i) => i % step === 0);
      return { name: '', layout: 'plain', dtype: 'int', constant: { dtype: DT.INT64, dims: shrink ? [] : [vals.length], values: vals } };
    }
    const sliced = g.op('Slice', [input.name, g.int64s('b', [from]), g.int64s('e', [to]), g.int64s('a', [0]), g.int64s('s', [step])]);
    return { name: shrink ? g.op('Squeeze', [sliced, g.int64s('axes', [0])]) : sliced, layout: 'plain', dtype: input.dtype };
  }
  return fail('only 1-D slices of shape vectors, and image[0], are supported');
}
