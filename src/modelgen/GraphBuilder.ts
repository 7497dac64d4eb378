/**
 * A small, deterministic ONNX graph writer: enough operators and attribute kinds to express the
 * project's own models (the built-in style, the DCT-Net-topology benchmark model) as code.
 *
 * The same inputs always give byte-identical output, so a generated model can be committed and
 * checked against its manifest's SHA-256.
 */
import onnxProto from 'onnx-proto';

const { onnx } = onnxProto;

/** ONNX opset the generated graphs target; every operator used exists unchanged in it. */
const OPSET = 17;

/** An integer-valued number is written as INT; use `{ f }` for a FLOAT attribute that is whole. */
export type AttrValue = number | string | readonly number[] | { floats: readonly number[] } | { f: number };
export type Dim = number | string;

export class GraphBuilder {
  readonly #nodes: onnxProto.onnx.INodeProto[] = [];
  readonly #initializers: onnxProto.onnx.ITensorProto[] = [];
  readonly #inputs: onnxProto.onnx.IValueInfoProto[] = [];
  readonly #outputs: onnxProto.onnx.IValueInfoProto[] = [];
  readonly #scalars = new Map<string, string>();
  readonly #int64s = new Map<string, string>();
  #counter = 0;

  constructor(readonly name: string) {}

  /** A fresh, unique value name with a readable prefix. */
  fresh(prefix: string): string {
    this.#counter += 1;
    return `${prefix}_${this.#counter}`;
  }

  input(name: string, dims: readonly Dim[], elem: Elem = 'float'): string {
    this.#inputs.push(valueInfo(name, dims, elem));
    return name;
  }

  output(value: string, name: string, dims: readonly Dim[], elem: Elem = 'float'): void {
    this.op('Identity', [value], {}, name);
    this.#outputs.push(valueInfo(name, dims, elem));
  }

  /** A float32 initializer. */
  tensor(prefix: string, data: Float32Array | readonly number[], dims: readonly number[]): string {
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    const expected = dims.reduce((a, b) => a * b, 1);
    if (values.length !== expected) {
      throw new RangeError(`tensor ${prefix}: expected ${expected} values for dims [${dims.join(', ')}], got ${values.length}`);
    }
    const name = this.fresh(prefix);
    this.#initializers.push({
      name,
      dims: [...dims],
      dataType: onnx.TensorProto.DataType.FLOAT,
      rawData: new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength)),
    });
    return name;
  }

  /** An int64 initializer (shapes, pads, axes), shared between all uses of the same values. */
  int64s(prefix: string, values: readonly number[]): string {
    const key = values.join(',');
    const known = this.#int64s.get(key);
    if (known !== undefined) return known;
    const name = this.fresh(prefix);
    this.#int64s.set(key, name);
    const raw = new BigInt64Array(values.map((v) => BigInt(v)));
    this.#initializers.push({
      name,
      dims: [values.length],
      dataType: onnx.TensorProto.DataType.INT64,
      rawData: new Uint8Array(raw.buffer),
    });
    return name;
  }

  /** A float32 scalar, shared between all uses of the same value. */
  scalar(value: number): string {
    const key = Object.is(value, -0) ? '0' : String(value);
    let name = this.#scalars.get(key);
    if (name === undefined) {
      name = this.tensor('c', [value], []);
      this.#scalars.set(key, name);
    }
    return name;
  }

  /** Appends a node and returns the name of its (first) output. */
  op(type: string, inputs: readonly string[], attrs: Record<string, AttrValue> = {}, outName?: string): string {
    const out = outName ?? this.fresh(type.toLowerCase());
    this.#node(type, inputs, [out], attrs);
    return out;
  }

  /** A node with `count` outputs (Split), their names in order. */
  ops(type: string, inputs: readonly string[], count: number, attrs: Record<string, AttrValue> = {}): string[] {
    const outs = Array.from({ length: count }, () => this.fresh(type.toLowerCase()));
    this.#node(type, inputs, outs, attrs);
    return outs;
  }

  #node(type: string, inputs: readonly string[], outputs: string[], attrs: Record<string, AttrValue>): void {
    this.#nodes.push({
      opType: type,
      name: `${type}_${this.#nodes.length}`,
      input: [...inputs],
      output: outputs,
      attribute: Object.entries(attrs).map(([name, value]) => attribute(name, value)),
    });
  }

  /** Serialises the model (ModelProto, IR version 8). */
  toBytes(docString = ''): Uint8Array {
    const model = onnx.ModelProto.create({
      irVersion: 8,
      producerName: 'toonbot-modelgen',
      producerVersion: '1',
      docString,
      opsetImport: [{ domain: '', version: OPSET }],
      graph: {
        name: this.name,
        node: this.#nodes,
        initializer: this.#initializers,
        input: this.#inputs,
        output: this.#outputs,
      },
    });
    return onnx.ModelProto.encode(model).finish();
  }
}

/** Element types of graph inputs and outputs. */
type Elem = 'float' | 'float16' | 'uint8';
const ELEM_TYPES: Record<Elem, number> = { float: onnx.TensorProto.DataType.FLOAT, float16: onnx.TensorProto.DataType.FLOAT16, uint8: onnx.TensorProto.DataType.UINT8 };

function valueInfo(name: string, dims: readonly Dim[], elem: Elem = 'float'): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: ELEM_TYPES[elem],
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, value: AttrValue): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof value === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(value) };
  if (typeof value === 'number') {
    return Number.isInteger(value) ? { name, type: T.INT, i: value } : { name, type: T.FLOAT, f: value };
  }
  if ('f' in value) return { name, type: T.FLOAT, f: value.f };
  if ('floats' in value) return { name, type: T.FLOATS, floats: [...value.floats] };
  return { name, type: T.INTS, ints: [...value] };
}
