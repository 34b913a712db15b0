import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { shellAssignments, shellQuote } from '../../common/shell-quote';

const HOSTILE = [
  '',
  'plain-1.31.4',
  "it's",
  "''",
  "'\\''",
  '"double" \\"escaped\\"',
  'a\nb\n---\nc',
  '$(touch pwned-subst)',
  '`touch pwned-tick`',
  '${HOME} $HOME $1 $@ $$',
  '; touch pwned-semi && touch pwned-and | tee pwned-pipe > pwned-out',
  '# not a comment',
  '* ? [a] ~ ~root',
  'tab\there\r\n',
  '\\ \\\\ \\n',
  '-n',
  'x=y',
  'ünïcødé ✓',
];

/** Sources the assignments with a real POSIX shell (dash here) and prints each value back, NUL-separated. */
function readBack(assignments: string, count: number): string[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cf-quote-'));
  try {
    const file = path.join(dir, 'vars.env');
    fs.writeFileSync(file, assignments);
    const names = Array.from({ length: count }, (_, i) => `"$V${i}"`).join(' ');
    const result = spawnSync('sh', ['-c', `. "$1" && printf '%s\\0' ${names}`, 'sh', file], { encoding: 'utf8', cwd: dir, env: { PATH: process.env.PATH } });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    // Nothing ran: no command in any value created a file.
    expect(fs.readdirSync(dir)).toEqual(['vars.env']);
    return result.stdout.split('\0').slice(0, count);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('shell quoting', () => {
  it('reads back every value exactly from a sourced file, running nothing', () => {
    expect(readBack(shellAssignments(HOSTILE.map((value, i) => [`V${i}`, value] as const)), HOSTILE.length)).toEqual(HOSTILE);
  });

  it('is one word for `sh -c` too', () => {
    for (const value of HOSTILE) {
      const result = spawnSync('sh', ['-c', `printf '%s' ${shellQuote(value)}`], { encoding: 'utf8', env: { PATH: process.env.PATH } });
      expect(result.stdout).toBe(value);
    }
  });

  it("leaves plain words bare and writes a quote as '\\''", () => {
    expect(shellQuote('clusterflow/default/demo/join')).toBe('clusterflow/default/demo/join');
    expect(shellQuote('')).toBe("''");
    expect(shellQuote("it's")).toBe("'it'\\''s'");
    expect(shellQuote('~root')).toBe("'~root'");
  });

  it('refuses a variable name a shell would not read as one', () => {
    expect(() => shellAssignments([['A;touch x', 'v']])).toThrow(/not a shell variable name/);
  });
});
