/** Training progress display for the CLI (cli-progress bar on a TTY, log lines otherwise). */
export { createTrainingProgress, formatDuration } from './trainingProgress.js';
export type { ProgressLosses, TrainingProgress, TrainingProgressOptions } from './trainingProgress.js';
