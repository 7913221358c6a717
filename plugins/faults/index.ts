export { NumericalFaultError, firstNonFinite, countNonFinite, checkFiniteLosses } from '../../src/core/faults.js';
export type { FaultKind, NumericalFaultDetails, ParameterGroup } from '../../src/core/faults.js';
export { handleStopSignals, STOP_SIGNALS, EXIT_FORCED } from './signals.js';
export type { StopSignal, StopSignalHandle, StopSignalOptions } from './signals.js';
