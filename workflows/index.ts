// The workflow bundle's entry point: every workflow the worker registers.
export * from './discover-region';
