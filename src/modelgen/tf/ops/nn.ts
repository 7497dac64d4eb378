/** The network's layers: convolutions (plain and depthwise), bias, activations, resize, clip. */
import { boolAttr, depthwiseToOihw, floatAttr, hwioToOihw, listInts, stringAttr, toFloats, toInts, type Converter, type Value } from '../values.ts';

const conv: Converter = (g, n, [a, b], { fail }) => {
  const x = a as Value;
  if (x.layout !== 'nchw') fail('input must be an NHWC image tensor');
  if (stringAttr(n, 'data_format', 'NHWC') !== 'NHWC') fail('only data_format NHWC is supported');
  const w = b?.constant ?? fail('weights must be constant (a frozen graph)');
  const [kh, kw, cin, cout] = w.dims as [number, number, number, number];
  const strides = listInts(n, 'strides', [1, 1, 1, 1]);
  const dilations = listInts(n, 'dilations', [1, 1, 1, 1]);
  const padding = stringAttr(n, 'padding', 'VALID');
  const depthwise = n.op === 'DepthwiseConv2dNative';
  const weight = depthwise ? depthwiseToOihw(w) : hwioToOihw(w);
  const dims = depthwise ? [cin * cout, 1, kh, kw] : [cout, cin, kh, kw];
  return {
    name: g.op('Conv', [x.name, g.tensor('w', weight, dims)], {
      kernel_shape: [kh, kw],
      strides: [strides[1] as number, strides[2] as number],
      dilations: [dilations[1] as number, dilations[2] as number],
      ...(depthwise ? { group: cin } : {}),
      // TensorFlow's SAME puts the odd pixel of padding at the end: ONNX's SAME_UPPER.
      ...(padding === 'SAME' ? { auto_pad: 'SAME_UPPER' } : { pads: [0, 0, 0, 0] }),
    }),
    layout: 'nchw',
    dtype: 'float',
  };
};

export const NN_OPS: Record<string, Converter> = {
  Conv2D: conv,
  DepthwiseConv2dNative: conv,
  BiasAdd: (g, _n, [a, b], { fail }) => {
    const bias = b?.constant ?? fail('bias must be constant');
    return { name: g.op('Add', [(a as Value).name, g.tensor('bias', toFloats(bias), [bias.dims[0] as number, 1, 1])]), layout: 'nchw', dtype: 'float' };
  },
  // Explicit alpha: ONNX's default (0.01) is not TensorFlow's (0.2).
  LeakyRelu: (g, n, [a]) => ({ name: g.op('LeakyRelu', [(a as Value).name], { alpha: { f: floatAttr(n, 'alpha', 0.2) } }), layout: (a as Value).layout, dtype: 'float' }),
  Relu: (g, _n, [a]) => ({ name: g.op('Relu', [(a as Value).name]), layout: (a as Value).layout, dtype: 'float' }),
  ResizeBilinear: (g, n, [a, b], { fail }) => {
    const x = a as Value;
    if (x.layout !== 'nchw') fail('input must be an NHWC image tensor');
    const nc = g.op('Slice', [g.op('Shape', [x.name]), g.int64s('s', [0]), g.int64s('e', [2])]);
    const size = b?.constant ? g.int64s('size', toInts(b.constant)) : g.op('Cast', [(b as Value).name], { to: 7 });
    const sizes = g.op('Concat', [nc, size], { axis: 0 });
    const align = boolAttr(n, 'align_corners');
    const half = boolAttr(n, 'half_pixel_centers');
    return {
      name: g.op('Resize', [x.name, '', '', sizes], { mode: 'linear', coordinate_transformation_mode: align ? 'align_corners' : half ? 'half_pixel' : 'asymmetric' }),
      layout: 'nchw',
      dtype: 'float',
    };
  },
  ClipByValue: (g, _n, [a, b, c]) => {
    const lo = b?.constant ? g.scalar(toFloats(b.constant)[0] as number) : (b as Value).name;
    const hi = c?.constant ? g.scalar(toFloats(c.constant)[0] as number) : (c as Value).name;
    return { name: g.op('Clip', [(a as Value).name, lo, hi]), layout: (a as Value).layout, dtype: 'float' };
  },
};
