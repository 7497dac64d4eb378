/**
 * The graph's own ops: inputs (an image placeholder becomes an NCHW input), constants, identities,
 * the batch axis added or taken away, casts.
 */
import { DT } from '../graphdef.ts';
import { insertDim, materialize, sanitize, scalarOf, typeAttr, type Converter, type Value } from '../values.ts';

export const GRAPH_OPS: Record<string, Converter> = {
  Placeholder: (g, n, _inputs, { result, fail }) => {
    const dtype = typeAttr(n, 'dtype');
    if (dtype !== DT.FLOAT) fail(`only float inputs are supported, got dtype ${dtype}`);
    const shape = n.attr.shape?.kind === 'shape' ? n.attr.shape.value : null;
    const name = sanitize(n.name);
    if (shape?.length === 3) {
      // [H, W, C] image: held as [1, C, H, W] from here on.
      const dims: (number | string)[] = [1, shape[2] && shape[2] > 0 ? shape[2] : 'channels', 'height', 'width'];
      g.input(name, dims);
      result.inputs.push({ name, tf: n.name, dims });
      return { name, layout: 'hwc', dtype: 'float' };
    }
    if (shape?.length === 4) {
      const dims: (number | string)[] = [shape[0] && shape[0] > 0 ? shape[0] : 'batch', shape[3] && shape[3] > 0 ? shape[3] : 'channels', 'height', 'width'];
      g.input(name, dims);
      result.inputs.push({ name, tf: n.name, dims });
      return { name, layout: 'nchw', dtype: 'float' };
    }
    return fail(`input shape ${JSON.stringify(shape)} is not an image ([H,W,C] or [N,H,W,C])`);
  },
  Const: (_g, n, _inputs, { fail }) => {
    const t = n.attr.value?.kind === 'tensor' ? n.attr.value.value : fail('Const without a value');
    return { name: '', layout: 'plain', dtype: t.dtype === DT.FLOAT ? 'float' : 'int', constant: t };
  },
  Identity: (_g, _n, [a]) => a as Value,
  NoOp: () => ({ name: '', layout: 'plain', dtype: 'float' }),
  ExpandDims: (_g, _n, [a, b], { fail }) => {
    const x = a as Value;
    const axis = scalarOf(b, 'axis');
    if (x.layout === 'hwc' && axis === 0) return { ...x, layout: 'nchw' };
    if (x.constant) return { ...x, constant: { ...x.constant, dims: insertDim(x.constant.dims, axis) } };
    return fail('only ExpandDims(image [H,W,C], 0) is supported');
  },
  Squeeze: (_g, n, [a], { fail }) => {
    const dims = n.attr.squeeze_dims?.kind === 'list' ? n.attr.squeeze_dims.i : [];
    if ((a as Value).layout === 'nchw' && dims.length === 1 && dims[0] === 0) return { ...(a as Value), layout: 'hwc' };
    return fail('only Squeeze of the batch axis of an image is supported');
  },
  Cast: (g, n, [a], { fail }) => {
    const to = typeAttr(n, 'DstT');
    const x = a as Value;
    if (to === DT.UINT8) return { name: g.op('Cast', [materialize(g, x)], { to: 2 }), layout: x.layout, dtype: 'uint8' };
    if (to === DT.FLOAT) return { name: g.op('Cast', [materialize(g, x)], { to: 1 }), layout: x.layout, dtype: 'float' };
    if (to === DT.INT32 || to === DT.INT64) return { name: g.op('Cast', [materialize(g, x)], { to: 7 }), layout: x.layout, dtype: 'int' };
    return fail(`cast to dtype ${to} is not supported`);
  },
};
