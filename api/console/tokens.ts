/** Where the built console is served from (tests may point it elsewhere). */
export const CONSOLE_ASSETS_DIR = Symbol('CONSOLE_ASSETS_DIR');
