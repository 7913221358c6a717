export { saveCheckpoint, loadCheckpoint, restoreCheckpoint, CheckpointError, CHECKPOINT_FORMAT, MANIFEST_FILE } from './checkpoint.js';
export type { CheckpointErrorCode, CheckpointFile, CheckpointManifest, CheckpointVariable, LoadedCheckpoint } from './checkpoint.js';
export {
  saveRotatingCheckpoint,
  loadNewestCheckpoint,
  CHECKPOINTS_DIR,
  LATEST_FILE,
  LEGACY_CHECKPOINT_DIR,
  DEFAULT_KEEP_CHECKPOINTS,
} from './store.js';
export type { NewestCheckpoint, RotatingSaveOptions, SavedCheckpoint, SkippedCheckpoint } from './store.js';
