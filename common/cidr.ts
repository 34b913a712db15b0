/** IPv4 CIDR arithmetic the planner needs: parse, validate, carve equal blocks. Pure. */
export interface Cidr {
  base: number;
  prefix: number;
}

export function parseCidr(text: string): Cidr | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!match) return undefined;
  const octets = match.slice(1, 5).map(Number);
  const prefix = Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const base = octets.reduce((acc, o) => acc * 256 + o, 0);
  // The address must be the network's first: 10.0.0.1/16 is a typo, not a network.
  if (base % 2 ** (32 - prefix) !== 0) return undefined;
  return { base, prefix };
}

export function formatCidr({ base, prefix }: Cidr): string {
  const octets = [24, 16, 8, 0].map((shift) => Math.floor(base / 2 ** shift) % 256);
  return `${octets.join('.')}/${prefix}`;
}

/** The `index`-th block of size /`prefix` inside `outer`. */
export function subBlock(outer: Cidr, prefix: number, index: number): Cidr {
  if (prefix < outer.prefix) throw new Error(`/${prefix} does not fit in /${outer.prefix}`);
  const count = 2 ** (prefix - outer.prefix);
  if (index < 0 || index >= count) throw new Error(`block ${index} out of ${count}`);
  return { base: outer.base + index * 2 ** (32 - prefix), prefix };
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  const aEnd = a.base + 2 ** (32 - a.prefix);
  const bEnd = b.base + 2 ** (32 - b.prefix);
  return a.base < bEnd && b.base < aEnd;
}
