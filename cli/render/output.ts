import Table from 'cli-table3';
import { stringify } from 'yaml';
import { usageError } from '../exit-codes';

export const FORMATS = ['table', 'json', 'yaml'] as const;
export type Format = (typeof FORMATS)[number];

export function parseFormat(value: string): Format {
  if (!(FORMATS as readonly string[]).includes(value)) throw usageError(`-o must be one of ${FORMATS.join(', ')} (got ${value})`);
  return value as Format;
}

/** A table with the given header; cells are stringified, absent ones print as `-`. */
export function table(head: string[], rows: unknown[][]): string {
  const t = new Table({ head, style: { head: [], border: [] } });
  for (const row of rows) t.push(row.map((cell) => (cell === undefined || cell === null || cell === '' ? '-' : String(cell))));
  return t.toString();
}

/** Prints what the API answered: as it is for json/yaml (scripts read those), through `asTable` for people. */
export function print(data: unknown, format: Format, asTable: () => string): void {
  if (format === 'json') process.stdout.write(`${JSON.stringify(data, null, 2)}\n`);
  else if (format === 'yaml') process.stdout.write(stringify(data));
  else process.stdout.write(`${asTable()}\n`);
}
