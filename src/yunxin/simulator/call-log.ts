/** The call log is shared by both simulators (src/simulator-kit); this path is kept for its importers. */
export { CallLog, type CallRecord, type CallStats } from '../../simulator-kit/call-log.js';
