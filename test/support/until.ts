/**
 * Polls `probe` every 100 ms until `ok` holds (at most 30 s) and answers that value; otherwise
 * fails naming `what` and the last value seen. Tests wait for a state this way, never for a time.
 */
export async function until<T>(probe: () => Promise<T>, ok: (value: T) => boolean, what: string): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const value = await probe();
    if (ok(value)) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never saw ${what}; last: ${JSON.stringify(await probe())}`);
}
