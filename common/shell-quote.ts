/**
 * One word for a POSIX shell, whatever it holds: a value in single quotes is never expanded,
 * and a single quote inside it is written as `'\''` (close, escaped quote, reopen). Words made
 * only of characters no shell treats specially stay bare, as Python's shlex.quote leaves them,
 * so `NODE_ROLE=worker` still reads as it always did. Pure.
 */
const BARE = /^[A-Za-z0-9@%+=:,./_-]+$/;

export function shellQuote(value: string): string {
  if (BARE.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `NAME=value` lines a POSIX shell can source, each value exactly as given. */
export function shellAssignments(variables: ReadonlyArray<readonly [name: string, value: string]>): string {
  return variables
    .map(([name, value]) => {
      if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) throw new Error(`shellAssignments: "${name}" is not a shell variable name`);
      return `${name}=${shellQuote(value)}\n`;
    })
    .join('');
}
