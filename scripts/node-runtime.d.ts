// Types of scripts/node-runtime.js (plain JavaScript: it runs before anything is compiled).
export interface RunningNode {
  version: string;
  platform: string;
  arch: string;
}
export interface RegistryPackage {
  name: string;
  spec: string;
  integrity: string;
}
export declare const MIN_MAJOR: number;
export declare const PINNED_VERSION: string;
export declare const PINNED_INTEGRITY: Record<string, string>;
export declare const SQLITE_ADDON_VARIABLE: string;
export declare class RuntimeError extends Error {}
export declare function needsPinnedNode(version: string, minMajor?: number): boolean;
export declare function registryPackageFor(platform: string, arch: string, running?: string, version?: string): RegistryPackage;
export declare function checkIntegrity(bytes: Uint8Array, expected: string, what: string): void;
export declare function ensurePinnedNode(cache: string, pkg: RegistryPackage, env?: NodeJS.ProcessEnv): { dir: string; fetched: boolean };
export declare function prepareRuntime(env?: NodeJS.ProcessEnv, running?: RunningNode): { env: NodeJS.ProcessEnv };
export declare function cacheDir(env?: NodeJS.ProcessEnv): string;
