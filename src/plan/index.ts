export { applyCalls } from './apply.js';
export { plan } from './planner.js';
export * from './types.js';
