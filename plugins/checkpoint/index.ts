export { saveCheckpoint, loadCheckpoint, restoreCheckpoint, CHECKPOINT_FORMAT, MANIFEST_FILE } from './checkpoint.js';
export type { CheckpointFile, CheckpointManifest, CheckpointVariable, LoadedCheckpoint } from './checkpoint.js';
