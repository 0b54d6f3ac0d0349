export * from './yunxin/index.js';
