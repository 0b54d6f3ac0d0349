/** The call log is shared by both simulators (src/simulators/kit); this path is kept for its importers. */
export { CallLog, type CallRecord, type CallStats } from '../kit/call-log.js';
