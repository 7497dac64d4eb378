/**
 * int8 quantisation (QDQ) of our own ONNX graphs: what it writes, and that the int8 graph draws
 * what the fp32 one draws. Speed is the benchmark's business (`npm run bench`: the int8 row).
 */
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { buildDctnetTopology } from '../../src/modelgen/dctnetTopology.ts';
import { quantizeQdq } from '../../src/modelgen/quantize.ts';
import { fixture } from '../helpers.ts';

const { onnx } = onnxProto;

async function photo(name: 'astronaut.png' | 'chelsea.png' | 'coffee.png', side: number): Promise<{ data: Float32Array; dims: number[] }> {
  const rgb = await sharp(fixture(name)).resize(side, side, { fit: 'cover' }).removeAlpha().raw().toBuffer();
  const data = new Float32Array(3 * side * side);
  for (let i = 0; i < side * side; i += 1) for (let c = 0; c < 3; c += 1) data[c * side * side + i] = (rgb[i * 3 + c] as number) / 127.5 - 1;
  return { data, dims: [1, 3, side, side] };
}

async function run(bytes: Uint8Array, input: { data: Float32Array; dims: number[] }): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const out = await session.run({ [session.inputNames[0] as string]: new ort.Tensor('float32', input.data, input.dims) });
    return out[session.outputNames[0] as string]?.data as Float32Array;
  } finally {
    await session.release();
  }
}

describe('int8 quantisation (QDQ)', () => {
  it('quantises every convolution but the first, pads the 3-channel one, and draws what fp32 draws', async () => {
    const { bytes } = buildDctnetTopology();
    const calibration = await Promise.all((['astronaut.png', 'chelsea.png'] as const).map((n) => photo(n, 96)));
    const { bytes: int8, report } = await quantizeQdq(bytes, { calibration });
    expect(report).toEqual({ convolutions: 18, quantised: 17, padded: 1 });

    const graph = onnx.ModelProto.decode(int8).graph as onnxProto.onnx.GraphProto;
    const ops = graph.node.map((n) => n.opType);
    expect(ops.filter((o) => o === 'Conv')).toHaveLength(18);
    // Weights as int8 per output channel, activations through uint8 Q/DQ pairs.
    expect(graph.initializer.filter((t) => t.dataType === onnx.TensorProto.DataType.INT8 && (t.dims?.length ?? 0) === 4)).toHaveLength(17);
    expect(ops.filter((o) => o === 'QuantizeLinear').length).toBeGreaterThanOrEqual(17);
    expect(ops).toContain('Slice');
    // The first convolution still reads the float photo.
    const first = graph.node.find((n) => n.opType === 'Conv');
    expect(first?.input?.[0]).toBe('image');
    // A quarter of the size: int8 weights instead of float32.
    expect(int8.length).toBeLessThan(bytes.length / 3);

    // A photo it was not calibrated on, at another size.
    const input = await photo('coffee.png', 128);
    const [a, b] = await Promise.all([run(bytes, input), run(int8, input)]);
    expect(b.length).toBe(a.length);
    let sum = 0;
    for (let i = 0; i < a.length; i += 1) sum += Math.abs((a[i] as number) - (b[i] as number)) * 127.5;
    expect(sum / a.length).toBeLessThan(1);
  });
});
