// The workflow bundle's entry point: every workflow the worker registers.
export * from './discover-region';
export * from './cluster-entity';
export * from './create-cluster';
export * from './delete-cluster';
export { addPool, scalePool, reconfigurePool, removePool, repairNodes } from './operations';
export * from './spot-watcher';
