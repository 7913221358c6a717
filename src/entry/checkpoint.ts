/**
 * `dmgan/checkpoint` — checkpoints on disk, below `DMGAN.save` / `DMGAN.load`.
 *
 * {@link saveCheckpoint} / {@link loadCheckpoint} / {@link restoreCheckpoint} write and read one
 * checkpoint directory (weights and every plugin's state, atomic and checksummed);
 * {@link saveRotatingCheckpoint} / {@link loadNewestCheckpoint} keep the newest few under a run
 * directory and resume from the newest intact one, as the CLI does. See docs/reliability.md.
 * @packageDocumentation
 */

export { saveCheckpoint, loadCheckpoint, restoreCheckpoint, CheckpointError, CHECKPOINT_FORMAT, MANIFEST_FILE } from '../../plugins/checkpoint/index.js';
export type { CheckpointErrorCode, CheckpointFile, CheckpointManifest, CheckpointVariable, LoadedCheckpoint } from '../../plugins/checkpoint/index.js';
export { saveRotatingCheckpoint, loadNewestCheckpoint, CHECKPOINTS_DIR, LATEST_FILE, DEFAULT_KEEP_CHECKPOINTS } from '../../plugins/checkpoint/index.js';
export type { NewestCheckpoint, RotatingSaveOptions, SavedCheckpoint, SkippedCheckpoint } from '../../plugins/checkpoint/index.js';
