import type { Command, Option } from 'commander';
import { usageError } from '../exit-codes';

interface Node {
  path: string;
  words: string[];
}

/** Every command path with what may follow it: its subcommands, or its options (and the global ones). */
function walk(command: Command, prefix: string, globals: readonly Option[]): Node[] {
  const subs = command.commands.filter((c) => c.name() !== 'help');
  const flags = (opts: readonly Option[]) => opts.flatMap((o) => [o.long, o.short].filter((f): f is string => !!f));
  const words = subs.length ? subs.map((c) => c.name()) : [...flags(command.options), ...flags(globals)];
  return [{ path: prefix, words }, ...subs.flatMap((c) => walk(c, `${prefix} ${c.name()}`.trim(), globals))];
}

/**
 * A bash completion script made from the command tree itself, so it cannot drift from the
 * commands; zsh loads it through bashcompinit.
 */
export function completionScript(program: Command, shell: string): string {
  if (shell !== 'bash' && shell !== 'zsh') throw usageError(`completion: shell must be bash or zsh (got ${shell})`);
  const name = program.name();
  // Longest paths first: a case arm of `get` must not catch `get cluster`.
  const nodes = walk(program, '', program.options).sort((a, b) => b.path.length - a.path.length);
  const arms = nodes.map((n) => `    ${n.path ? `"${n.path}"|"${n.path} "*` : '*'}) words="${n.words.join(' ')}" ;;`).join('\n');
  const script = `# ${name} completion; load with: source <(${name} completion ${shell})
_${name}() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" w words
  for w in "\${COMP_WORDS[@]:1:COMP_CWORD-1}"; do
    case "$w" in -*) ;; *) path="\${path:+$path }$w" ;; esac
  done
  case "$path" in
${arms}
  esac
  COMPREPLY=( $(compgen -W "$words" -- "$cur") )
}
complete -F _${name} ${name}
`;
  return shell === 'zsh' ? `autoload -U +X bashcompinit && bashcompinit\n${script}` : script;
}

export function registerCompletion(program: Command): void {
  program
    .command('completion <shell>')
    .description('print a completion script for bash or zsh: source <(clusterflow completion bash)')
    .action((shell: string) => {
      process.stdout.write(completionScript(program, shell));
    });
}
