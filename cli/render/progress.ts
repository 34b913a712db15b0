import type { ApiClient } from '../http';
import { seg } from '../http';
import { clock, isSettled, OperationView, RetryingCall, summary, TaskView, took } from './operation';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
const ESC = '\x1b[';

export interface FollowOptions {
  out: NodeJS.WriteStream | NodeJS.WritableStream;
  /** A terminal gets the redrawn task list; anything else one line per change (logs, pipes, CI). */
  tty: boolean;
  pollMs?: number;
}

/**
 * Follows an operation until it settles, showing its tasks as the server reports them, and
 * answers its last view. The task list is the server's (it grows as an operation learns its
 * nodes), which is why this redraws a list of its own rather than driving a task-tree library
 * (listr2 drives a task tree it owns; log-update, which only redraws, is ESM-only and needs Node.js 22).
 */
export async function followOperation(client: ApiClient, cluster: string, operationId: string, options: FollowOptions): Promise<OperationView> {
  const view = options.tty ? new TerminalView(options.out as NodeJS.WriteStream) : new LineView(options.out);
  const path = `/v1/clusters/${seg(cluster)}/operations/${seg(operationId)}`;
  let op = await client.get<OperationView>(path);
  view.update(op);
  try {
    while (!isSettled(op)) {
      await new Promise((resolve) => setTimeout(resolve, options.pollMs ?? 500));
      op = await client.get<OperationView>(path);
      view.update(op);
    }
  } finally {
    view.stop();
  }
  options.out.write(`${summary(op)}\n`);
  return op;
}

function icon(task: TaskView, frame: number): string {
  switch (task.state) {
    case 'Succeeded':
      return '✔';
    case 'Failed':
      return '✖';
    case 'Skipped':
      return '↷';
    case 'Running':
      return SPINNER[frame % SPINNER.length];
    default:
      return '○';
  }
}

function retryLine(call: RetryingCall): string {
  const next = call.nextAttemptAt ? `, next try in ${Math.max(0, Math.round((Date.parse(call.nextAttemptAt) - Date.now()) / 1000))}s` : '';
  return `retrying ${call.activity} (attempt ${call.attempt}${next}): ${call.lastError ?? 'no error yet'}`;
}

/** The lines of one frame: a header, a line per task, the calls being retried under their task. */
export function frameLines(op: OperationView, frame: number, now = Date.now()): string[] {
  const started = op.startedAt ? Date.parse(op.startedAt) : now;
  const progress = op.progress ? `  ${op.progress.completed}/${op.progress.total} tasks` : '';
  const lines = [`${op.id}  ${op.state}${progress}  ${clock(now - started)}`];
  const taskLines = (tasks: TaskView[] | undefined, indent: string) => {
    for (const task of tasks ?? []) {
      const time = task.state === 'Pending' || task.state === 'Skipped' ? '' : `  ${took(task, now) ?? ''}`;
      const message = task.message ? `  ${task.message}` : '';
      lines.push(`${indent}${icon(task, frame)} ${task.name}${time}${message}`);
      for (const call of op.retrying ?? []) if (call.task === task.name) lines.push(`${indent}    ↻ ${retryLine(call)}`);
    }
  };
  taskLines(op.tasks, '  ');
  for (const call of op.retrying ?? []) if (!op.tasks?.some((t) => t.name === call.task)) lines.push(`  ↻ ${call.task}: ${retryLine(call)}`);
  if (op.rollback) {
    lines.push(`  rollback${op.rollback.progress ? `  ${op.rollback.progress.completed}/${op.rollback.progress.total} tasks` : ''}`);
    taskLines(op.rollback.tasks, '    ');
  }
  return lines;
}

/** Redraws the frame in place: cursor up over the last frame, each line cleared and rewritten. */
class TerminalView {
  private drawn = 0;
  private frame = 0;
  private op: OperationView | undefined;
  private readonly timer: NodeJS.Timeout;
  /** Ctrl-C must not leave the terminal without a cursor; the operation itself runs on in the server. */
  private readonly onInterrupt = () => {
    this.out.write(`${ESC}?25h\n`);
    process.exit(130);
  };

  constructor(private readonly out: NodeJS.WriteStream) {
    out.write(`${ESC}?25l`); // hide the cursor while redrawing
    this.timer = setInterval(() => this.draw(), 100);
    process.once('SIGINT', this.onInterrupt);
  }

  update(op: OperationView): void {
    this.op = op;
    this.draw();
  }

  stop(): void {
    clearInterval(this.timer);
    process.removeListener('SIGINT', this.onInterrupt);
    this.draw();
    this.out.write(`${ESC}?25h`);
  }

  private draw(): void {
    if (!this.op) return;
    this.frame++;
    const width = Math.max(20, (this.out.columns || 100) - 1);
    const height = Math.max(5, (this.out.rows || 40) - 1);
    let lines = frameLines(this.op, this.frame).map((l) => (l.length > width ? `${l.slice(0, width - 1)}…` : l));
    // Cursor-up cannot reach above the screen: the finished tasks give way first, as a count.
    if (lines.length > height) {
      const extra = lines.length - height + 1;
      const done = lines.filter((l, i) => i > 0 && /^ {2}[✔↷] /.test(l)).slice(0, extra);
      lines = [lines[0], `  ✔ ${done.length} tasks done`, ...lines.slice(1).filter((l) => !done.includes(l))].slice(0, height);
    }
    let text = this.drawn > 0 ? `${ESC}${this.drawn}A\r` : '';
    for (const line of lines) text += `${ESC}2K${line}\n`;
    text += `${ESC}J`;
    this.out.write(text);
    this.drawn = lines.length;
  }
}

/** One line per change, with the time since the watch began: what a log or a pipe can keep. */
class LineView {
  private readonly seen = new Map<string, string>();
  private readonly retries = new Set<string>();
  private readonly began = Date.now();
  private headed = false;

  constructor(private readonly out: NodeJS.WritableStream) {}

  update(op: OperationView): void {
    const at = `[${clock(Date.now() - this.began)}]`;
    if (!this.headed) {
      this.out.write(`${at} ${op.id} (${op.type}) ${op.state}\n`);
      this.headed = true;
    }
    const all = [...(op.tasks ?? []), ...(op.rollback?.tasks ?? []).map((t) => ({ ...t, name: `rollback ${t.name}` }))];
    for (const task of all) {
      const key = `${task.state}|${task.message ?? ''}`;
      if (this.seen.get(task.name) === key || (task.state === 'Pending' && !this.seen.has(task.name) && !task.message)) {
        if (!this.seen.has(task.name)) this.seen.set(task.name, key);
        continue;
      }
      this.seen.set(task.name, key);
      const time = task.state === 'Succeeded' || task.state === 'Failed' ? ` in ${took(task) ?? '?'}` : '';
      this.out.write(`${at} ${task.name}: ${task.state.toLowerCase()}${time}${task.message ? ` — ${task.message}` : ''}\n`);
    }
    for (const call of op.retrying ?? []) {
      const key = `${call.task}|${call.activity}|${call.attempt}`;
      if (this.retries.has(key)) continue;
      this.retries.add(key);
      this.out.write(`${at} ${call.task}: ${retryLine(call)}\n`);
    }
  }

  stop(): void {}
}
