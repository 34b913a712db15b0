import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * Where `npm run build` puts the console (vite, `console/vite.config.mjs`): `dist/console` of
 * the checkout. Found from the repository root, so the compiled API (dist/api/…) and the
 * sources run by the tests (api/…) serve the same files.
 */
export function consoleAssetsDir(from = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return path.join(dir, 'dist', 'console');
    if (path.dirname(dir) === dir) return path.join(from, 'console');
  }
}

/** Vite names each built file by its content hash, so this is all a safe asset name may be (no `/`, no `..`). */
const ASSET_NAME = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*\.(js|css|svg|png|woff2)$/;

const CONTENT_TYPES: Record<string, string> = {
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  png: 'image/png',
  woff2: 'font/woff2',
};

/** A built asset's bytes and type, or undefined for a name that is not one. */
export function readAsset(dir: string, name: string): { body: Buffer; contentType: string } | undefined {
  if (!ASSET_NAME.test(name)) return undefined;
  const file = path.join(dir, 'assets', name);
  if (!fs.existsSync(file)) return undefined;
  return { body: fs.readFileSync(file), contentType: CONTENT_TYPES[name.slice(name.lastIndexOf('.') + 1)] };
}

/**
 * The console's only sources are its own files; it talks to this API alone (`connect-src
 * 'self'`), and nothing may frame it (the token is typed into it).
 */
export const CONSOLE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
