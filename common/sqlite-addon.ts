/**
 * Options for every better-sqlite3 database a process opens. Under the Node.js that
 * scripts/node-runtime.js fetched (the machine's own being older), node_modules' addon is built
 * for the machine's Node: the bootstrap builds one for the fetched Node and names it to every
 * process it starts.
 */
export function sqliteOptions(): { nativeBinding?: string } {
  const nativeBinding = process.env.CLUSTERFLOW_SQLITE_ADDON;
  return nativeBinding ? { nativeBinding } : {};
}
