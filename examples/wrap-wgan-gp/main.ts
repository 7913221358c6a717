// Run: npx tsx examples/wrap-wgan-gp/main.ts [iterations]
import { pathToFileURL } from 'node:url';
import { initEngine } from 'dmgan';
import { trainPlain } from './plain.js';
import { trainWrapped } from './wrapped.js';

/** Trains the user's WGAN-GP as written, then wrapped with withDMGAN; returns both results. */
export async function main(iterations = 300, log: (line: string) => void = console.log) {
  const { backend, kernels } = await initEngine('auto');
  // On wasm, large convolutions and batched products run on onnxruntime-node when it is installed.
  log(`backend: ${backend}, heavy kernels on ${kernels}`);
  const plain = trainPlain(iterations);
  log(`plain WGAN-GP   critic ${plain.critic.toFixed(4)}  generator ${plain.generator.toFixed(4)}`);
  const wrapped = trainWrapped(iterations);
  log(`with DMGAN      ${Object.entries(wrapped.losses).map(([k, v]) => `${k} ${v.toFixed(4)}`).join('  ')}`);
  log(`learned prior   [${wrapped.prior.map((p) => p.toFixed(3)).join(', ')}]`);
  return { plain, wrapped };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await main(Number(process.argv[2] ?? 300));
}
