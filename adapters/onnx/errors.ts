/**
 * The one error type the ONNX importer throws for bad, hostile or unsupported input. Messages
 * name the node, input or shape at fault so a user can find it in Netron.
 */
export class OnnxImportError extends Error {
  /** Node name (or `op_type#index` when the node is unnamed) the error concerns, if any. */
  readonly node: string | undefined;

  constructor(message: string, options?: { node?: string; cause?: unknown }) {
    super(options?.node === undefined ? message : `node "${options.node}": ${message}`, { cause: options?.cause });
    this.name = 'OnnxImportError';
    this.node = options?.node;
  }
}

/** Wraps anything thrown by `fn` (protobuf decoding, tfjs asserts) in an `OnnxImportError`. */
export function guard<T>(what: string, fn: () => T, node?: string): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof OnnxImportError) throw e;
    const msg = e instanceof Error ? e.message : String(e);
    throw new OnnxImportError(`${what}: ${msg}`, { node, cause: e });
  }
}
