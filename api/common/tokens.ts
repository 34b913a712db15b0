/** Nest injection tokens shared by the API's modules. */
export const SETTINGS = Symbol('SETTINGS');
export const STORE = Symbol('STORE');
export const TEMPORAL_CONNECTION = Symbol('TEMPORAL_CONNECTION');
export const TEMPORAL_CLIENT = Symbol('TEMPORAL_CLIENT');
export const AWS_DEPS = Symbol('AWS_DEPS');
export const STS_VERIFIER = Symbol('STS_VERIFIER');
