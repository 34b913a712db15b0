import { Batcher } from '../../cloud/batcher';

/** cloud/batcher.ts: the waits of a window share one read, and each gets its own answer. */

interface Read {
  keys: string[];
}

function recordingBatcher(answer: (keys: string[]) => Promise<Map<string, string>>, windowMs = 20) {
  const reads: Read[] = [];
  const batcher = new Batcher<string, string>(async (keys) => {
    reads.push({ keys: [...keys] });
    return answer(keys);
  }, windowMs);
  return { batcher, reads };
}

const upper = async (keys: string[]) => new Map(keys.map((k) => [k, k.toUpperCase()]));

it('N askers within a window cost one read, each handed its own value', async () => {
  const { batcher, reads } = recordingBatcher(upper);
  const ids = Array.from({ length: 25 }, (_, i) => `i-${i}`);
  const answers = await Promise.all(ids.map((id) => batcher.get(id)));
  expect(reads).toHaveLength(1);
  expect(reads[0].keys.sort()).toEqual([...ids].sort());
  expect(answers).toEqual(ids.map((id) => id.toUpperCase()));
});

it('asks a key once however many wait for it', async () => {
  const { batcher, reads } = recordingBatcher(upper);
  const answers = await Promise.all([batcher.get('a'), batcher.get('a'), batcher.get('b')]);
  expect(answers).toEqual(['A', 'A', 'B']);
  expect(reads).toEqual([{ keys: ['a', 'b'] }]);
});

it('an id missing from the answer is undefined for its asker only', async () => {
  const { batcher } = recordingBatcher(async (keys) => new Map(keys.filter((k) => k !== 'gone').map((k) => [k, k])));
  await expect(Promise.all([batcher.get('here'), batcher.get('gone')])).resolves.toEqual(['here', undefined]);
});

it("the read's error reaches every asker of the batch", async () => {
  const { batcher } = recordingBatcher(async () => {
    throw new Error('RequestLimitExceeded: slow down');
  });
  const results = await Promise.allSettled([batcher.get('a'), batcher.get('b'), batcher.get('c')]);
  expect(results.map((r) => (r.status === 'rejected' ? (r.reason as Error).message : 'resolved'))).toEqual([
    'RequestLimitExceeded: slow down',
    'RequestLimitExceeded: slow down',
    'RequestLimitExceeded: slow down',
  ]);
});

it('askers after a read form the next batch', async () => {
  const { batcher, reads } = recordingBatcher(upper);
  await batcher.get('a');
  await batcher.get('b');
  expect(reads).toEqual([{ keys: ['a'] }, { keys: ['b'] }]);
});

it("an asker whose attempt ends stops waiting; the others still get the read's answer", async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const { batcher } = recordingBatcher(async (keys) => {
    await gate;
    return upper(keys);
  }, 5);
  const ended = new AbortController();
  const leaving = batcher.get('a', { signal: ended.signal });
  const staying = batcher.get('b');
  await new Promise((r) => setTimeout(r, 20));
  ended.abort(new Error('attempt over'));
  await expect(leaving).rejects.toThrow('attempt over');
  release();
  await expect(staying).resolves.toBe('B');
});

it("the read is bounded by the longest-lived asker's attempt", async () => {
  let seen: { endsAtMs?: number; signal?: AbortSignal } = {};
  const batcher = new Batcher<string, string>(async (keys, deadline) => {
    seen = deadline;
    return upper(keys);
  }, 5);
  const now = Date.now();
  await Promise.all([batcher.get('a', { endsAtMs: now + 10_000 }), batcher.get('b', { endsAtMs: now + 30_000 })]);
  expect(seen.endsAtMs).toBe(now + 30_000);
  expect(seen.signal).toBeDefined();
});
