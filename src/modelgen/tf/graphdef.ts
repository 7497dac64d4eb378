/**
 * Reading TensorFlow frozen graphs (GraphDef protobuf) without TensorFlow: the handful of messages
 * a frozen inference graph uses, declared by hand from tensorflow/core/framework/*.proto, decoded
 * with protobufjs. Names and dtypes come from the file; nothing is assumed.
 */
import protobuf from 'protobufjs';

/** An attribute's value kinds (attr_value.proto): one of them in AttrValue, lists of them in ListValue. */
const VALUE_FIELDS = { s: 'bytes', i: 'int64', f: 'float', b: 'bool', type: 'int32', shape: 'TensorShapeProto', tensor: 'TensorProto' } as const;
const valueFields = (rule?: 'repeated') => Object.fromEntries(Object.entries(VALUE_FIELDS).map(([name, type], i) => [name, { ...(rule ? { rule } : {}), type, id: i + 2 }]));

/** Field numbers from graph.proto, node_def.proto, attr_value.proto, tensor.proto, tensor_shape.proto, types.proto. */
const SCHEMA = {
  nested: {
    tensorflow: {
      nested: {
        GraphDef: { fields: { node: { rule: 'repeated', type: 'NodeDef', id: 1 }, versions: { type: 'VersionDef', id: 4 } } },
        VersionDef: { fields: { producer: { type: 'int32', id: 1 }, minConsumer: { type: 'int32', id: 2 } } },
        NodeDef: {
          fields: {
            name: { type: 'string', id: 1 },
            op: { type: 'string', id: 2 },
            input: { rule: 'repeated', type: 'string', id: 3 },
            device: { type: 'string', id: 4 },
            attr: { keyType: 'string', type: 'AttrValue', id: 5 },
          },
        },
        AttrValue: {
          oneofs: { value: { oneof: ['list', 's', 'i', 'f', 'b', 'type', 'shape', 'tensor', 'placeholder'] } },
          fields: { list: { type: 'ListValue', id: 1 }, ...valueFields(), placeholder: { type: 'string', id: 9 } },
        },
        // Field numbers 2..8, as in AttrValue.
        ListValue: { fields: valueFields('repeated') },
        TensorProto: {
          fields: {
            dtype: { type: 'int32', id: 1 },
            tensorShape: { type: 'TensorShapeProto', id: 2 },
            tensorContent: { type: 'bytes', id: 4 },
            floatVal: { rule: 'repeated', type: 'float', id: 5 },
            doubleVal: { rule: 'repeated', type: 'double', id: 6 },
            intVal: { rule: 'repeated', type: 'int32', id: 7 },
            int64Val: { rule: 'repeated', type: 'int64', id: 10 },
            boolVal: { rule: 'repeated', type: 'bool', id: 11 },
          },
        },
        TensorShapeProto: {
          fields: { dim: { rule: 'repeated', type: 'Dim', id: 2 }, unknownRank: { type: 'bool', id: 3 } },
          nested: { Dim: { fields: { size: { type: 'int64', id: 1 }, name: { type: 'string', id: 2 } } } },
        },
      },
    },
  },
};

const root = protobuf.Root.fromJSON(SCHEMA);
export const GraphDefType = root.lookupType('tensorflow.GraphDef');

/** TensorFlow DataType enum values this reader understands. */
export const DT = { FLOAT: 1, DOUBLE: 2, INT32: 3, UINT8: 4, INT64: 9, BOOL: 10 } as const;

export interface TfTensor {
  dtype: number;
  dims: number[];
  /** Float tensors as Float32Array, integer ones as number[]. */
  values: Float32Array | number[];
}

export type TfAttr =
  | { kind: 'list'; i: number[]; f: number[]; s: string[]; type: number[] }
  | { kind: 's'; value: string }
  | { kind: 'i'; value: number }
  | { kind: 'f'; value: number }
  | { kind: 'b'; value: boolean }
  | { kind: 'type'; value: number }
  | { kind: 'shape'; value: number[] | null }
  | { kind: 'tensor'; value: TfTensor };

export interface TfNode {
  name: string;
  op: string;
  /** Data inputs as `node` or `node:k`; control inputs (`^node`) are dropped. */
  inputs: string[];
  attr: Record<string, TfAttr>;
}

interface RawTensor {
  dtype?: number;
  tensorShape?: RawShape;
  tensorContent?: Uint8Array;
  floatVal?: number[];
  doubleVal?: number[];
  intVal?: number[];
  int64Val?: (number | protobuf.Long)[];
  boolVal?: boolean[];
}
interface RawShape {
  dim?: { size?: number | protobuf.Long }[];
  unknownRank?: boolean;
}

/** Decodes a frozen GraphDef into plain nodes. */
export function readGraphDef(bytes: Uint8Array): TfNode[] {
  const graph = GraphDefType.toObject(GraphDefType.decode(bytes), { longs: Number, defaults: false }) as {
    node?: { name?: string; op?: string; input?: string[]; attr?: Record<string, Record<string, unknown>> }[];
  };
  return (graph.node ?? []).map((n) => ({
    name: n.name ?? '',
    op: n.op ?? '',
    inputs: (n.input ?? []).filter((i) => !i.startsWith('^')),
    attr: Object.fromEntries(Object.entries(n.attr ?? {}).map(([k, v]) => [k, toAttr(v)])),
  }));
}

function toAttr(v: Record<string, unknown>): TfAttr {
  const text = (b: unknown) => Buffer.from(b as Uint8Array).toString('utf8');
  if (v.list !== undefined) {
    const l = v.list as { i?: number[]; f?: number[]; s?: Uint8Array[]; type?: number[] };
    return { kind: 'list', i: (l.i ?? []).map(Number), f: l.f ?? [], s: (l.s ?? []).map(text), type: l.type ?? [] };
  }
  if (v.s !== undefined) return { kind: 's', value: text(v.s) };
  if (v.i !== undefined) return { kind: 'i', value: Number(v.i) };
  if (v.f !== undefined) return { kind: 'f', value: v.f as number };
  if (v.b !== undefined) return { kind: 'b', value: v.b as boolean };
  if (v.type !== undefined) return { kind: 'type', value: v.type as number };
  if (v.shape !== undefined) return { kind: 'shape', value: shapeOf(v.shape as RawShape) };
  if (v.tensor !== undefined) return { kind: 'tensor', value: tensorOf(v.tensor as RawTensor) };
  return { kind: 'list', i: [], f: [], s: [], type: [] };
}

function shapeOf(shape: RawShape | undefined): number[] | null {
  if (!shape || shape.unknownRank) return null;
  return (shape.dim ?? []).map((d) => Number(d.size ?? 0));
}

/** tensor_content wins when present; a short *_val list repeats its last value. */
function tensorOf(t: RawTensor): TfTensor {
  const dtype = t.dtype ?? 0;
  const dims = shapeOf(t.tensorShape) ?? [];
  const count = dims.reduce((a, b) => a * b, 1);
  const content = t.tensorContent && t.tensorContent.length > 0 ? Buffer.from(t.tensorContent) : undefined;
  const fill = <T>(vals: T[]): T[] => {
    if (vals.length >= count || vals.length === 0) return vals;
    return [...vals, ...new Array<T>(count - vals.length).fill(vals[vals.length - 1] as T)];
  };
  switch (dtype) {
    case DT.FLOAT: {
      if (content) return { dtype, dims, values: new Float32Array(content.buffer.slice(content.byteOffset, content.byteOffset + content.byteLength)) };
      return { dtype, dims, values: Float32Array.from(fill(t.floatVal ?? [])) };
    }
    case DT.DOUBLE:
      return {
        dtype: DT.FLOAT,
        dims,
        values: content ? Float32Array.from(new Float64Array(content.buffer.slice(content.byteOffset, content.byteOffset + content.byteLength))) : Float32Array.from(fill(t.doubleVal ?? [])),
      };
    case DT.INT32:
      return { dtype, dims, values: content ? Array.from(new Int32Array(content.buffer.slice(content.byteOffset, content.byteOffset + content.byteLength))) : fill(t.intVal ?? []) };
    case DT.INT64:
      return {
        dtype,
        dims,
        values: content ? Array.from(new BigInt64Array(content.buffer.slice(content.byteOffset, content.byteOffset + content.byteLength)), Number) : fill((t.int64Val ?? []).map(Number)),
      };
    case DT.BOOL:
      return { dtype, dims, values: content ? Array.from(content) : fill((t.boolVal ?? []).map((b) => (b ? 1 : 0))) };
    default:
      throw new TypeError(`unsupported tensor dtype ${dtype}`);
  }
}
