// A minimal ONNX (protobuf) writer: just enough of ModelProto to build the small graphs the engine makes at
// load time (adapter MLP, cosine search) with the weights as initializers, so that a GPU execution provider
// keeps them on the device. Hand-written because protobuf's wire format needs ~60 lines for this subset;
// the official onnx.proto field numbers are cited beside each field.

type Chunk = Uint8Array;

class Writer {
  private chunks: Chunk[] = [];
  private varint(v: number): void {
    const bytes: number[] = [];
    let n = BigInt(v);
    if (n < 0n) n += 1n << 64n; // two's complement, as protobuf encodes negative int64
    do {
      let b = Number(n & 0x7fn);
      n >>= 7n;
      if (n) b |= 0x80;
      bytes.push(b);
    } while (n);
    this.chunks.push(Uint8Array.from(bytes));
  }
  private tag(field: number, wire: number): void {
    this.varint((field << 3) | wire);
  }
  int(field: number, v: number): this {
    this.tag(field, 0);
    this.varint(v);
    return this;
  }
  float(field: number, v: number): this {
    this.tag(field, 5);
    const b = new Uint8Array(4);
    new DataView(b.buffer).setFloat32(0, v, true);
    this.chunks.push(b);
    return this;
  }
  bytes(field: number, data: Uint8Array): this {
    this.tag(field, 2);
    this.varint(data.byteLength);
    this.chunks.push(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    return this;
  }
  string(field: number, s: string): this {
    return this.bytes(field, new TextEncoder().encode(s));
  }
  message(field: number, w: Writer): this {
    return this.bytes(field, w.finish());
  }
  finish(): Uint8Array {
    let n = 0;
    for (const c of this.chunks) n += c.byteLength;
    const out = new Uint8Array(n);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.byteLength;
    }
    return out;
  }
}

export const DataType = { FLOAT: 1, INT64: 7, FLOAT16: 10 } as const;

export interface Initializer {
  name: string;
  dims: number[];
  dataType: number;
  data: ArrayBufferView;
}

export interface NodeSpec {
  op: string;
  inputs: string[];
  outputs: string[];
  attrs?: Record<string, number | number[]>;
  /** Integer attributes are written as INT unless listed here as FLOAT. */
  floatAttrs?: string[];
}

export interface ValueSpec {
  name: string;
  elemType: number;
  /** A number for a fixed size, a string for a symbolic one. */
  shape: (number | string)[];
}

export interface GraphSpec {
  name: string;
  nodes: NodeSpec[];
  initializers: Initializer[];
  inputs: ValueSpec[];
  outputs: ValueSpec[];
  opset?: number;
}

function valueInfo(v: ValueSpec): Writer {
  const shape = new Writer();
  for (const d of v.shape) shape.message(1, typeof d === 'number' ? new Writer().int(1, d) : new Writer().string(2, d)); // Dimension
  const tensorType = new Writer().int(1, v.elemType).message(2, shape); // TypeProto.Tensor
  return new Writer().string(1, v.name).message(2, new Writer().message(1, tensorType)); // ValueInfoProto
}

function node(n: NodeSpec, i: number): Writer {
  const w = new Writer();
  for (const x of n.inputs) w.string(1, x);
  for (const x of n.outputs) w.string(2, x);
  w.string(3, `${n.op}_${i}`).string(4, n.op);
  for (const [name, v] of Object.entries(n.attrs ?? {})) {
    const a = new Writer().string(1, name);
    if (Array.isArray(v)) {
      for (const x of v) a.int(8, x); // AttributeProto.ints
      a.int(20, 7); // type = INTS
    } else if (n.floatAttrs?.includes(name)) {
      a.float(2, v).int(20, 1); // f, type = FLOAT
    } else {
      a.int(3, v).int(20, 2); // i, type = INT
    }
    w.message(5, a);
  }
  return w;
}

function tensor(t: Initializer): Writer {
  const w = new Writer();
  for (const d of t.dims) w.int(1, d); // dims
  w.int(2, t.dataType).string(8, t.name); // data_type, name
  return w.bytes(9, new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength)); // raw_data (little-endian)
}

/** Serialises a graph as an ONNX ModelProto (IR version 8, default domain). */
export function buildModel(g: GraphSpec): Uint8Array {
  const graph = new Writer();
  g.nodes.forEach((n, i) => graph.message(1, node(n, i)));
  graph.string(2, g.name);
  for (const t of g.initializers) graph.message(5, tensor(t));
  for (const v of g.inputs) graph.message(11, valueInfo(v));
  for (const v of g.outputs) graph.message(12, valueInfo(v));
  return new Writer()
    .int(1, 8) // ir_version
    .string(2, 'sea-lens') // producer_name
    .message(7, graph)
    .message(8, new Writer().string(1, '').int(2, g.opset ?? 17)) // opset_import
    .finish();
}
