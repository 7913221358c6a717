import * as tf from '@tensorflow/tfjs-core';

// Backends whose Identity kernel only shares the data (incRef): a clone can skip the kernel.
const SHARING_BACKENDS = new Set(['cpu', 'wasm']);

interface EngineInternals {
  clone(x: tf.Tensor): tf.Tensor;
  makeTensorFromTensorInfo(info: { dataId: object; shape: number[]; dtype: tf.DataType }): tf.Tensor;
  addTapeNode(scopeName: string, inputs: tf.NamedTensorMap, outputs: tf.Tensor[], gradientsFunc: (dy: tf.Tensor) => Record<string, () => tf.Tensor>, saved: tf.Tensor[], attrs: object): void;
  backend: { incRef(dataId: object): void };
  state: { activeScope: { name: string } };
  [LEAN]?: true;
}

const LEAN = Symbol('dmgan.leanClone');

/**
 * Makes the engine's internal clone (what it runs on every tensor it saves for a backward pass)
 * skip the Identity kernel on cpu and wasm: it shares the data directly, as the Identity kernel
 * would, and records the same tape node, so gradients of any order are unchanged. Under a
 * gradient tape that removes one kernel launch per saved tensor (about a quarter of the kernels
 * of a training step on small networks). Other backends keep tfjs' own clone. Idempotent.
 */
export function installLeanClone(): void {
  const engine = tf.engine() as unknown as EngineInternals;
  if (engine[LEAN]) return;
  const original = engine.clone.bind(engine);
  engine.clone = function leanClone(this: EngineInternals, x: tf.Tensor): tf.Tensor {
    if (!SHARING_BACKENDS.has(tf.getBackend())) return original(x);
    const y = this.makeTensorFromTensorInfo({ dataId: x.dataId, shape: x.shape, dtype: x.dtype });
    this.backend.incRef(x.dataId);
    // d clone / d x = identity (a single-output node's gradient function gets dy itself);
    // dy is float32 already, where tfjs' own clone casts it to float32.
    this.addTapeNode(this.state.activeScope.name, { x }, [y], (dy) => ({ x: () => dy }), [], {});
    return y;
  };
  engine[LEAN] = true;
}
