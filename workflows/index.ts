// The workflow bundle's entry point: every workflow the worker registers.
export * from './discover-region';
export * from './cluster-entity';
export * from './create-cluster';
export * from './delete-cluster';
// Each operation's child workflow, exported by the operations table's index.
export * from './operations';
export * from './spot-watcher';
