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

/**
 * Why `text` is not an IPv4 network in CIDR notation, in words; undefined when it is one.
 * Stricter than parseCidr in one way: leading zeros (`010.0.0.0/16`) are refused here, at
 * admission, because tools disagree on whether they are octal; parseCidr keeps accepting
 * them so that specs admitted before this check still plan the same way.
 */
export function cidrProblem(text: string): string | undefined {
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
  if (!match) return `${text} is not in CIDR notation a.b.c.d/n (e.g. 10.0.0.0/16)`;
  const parts = match.slice(1, 6);
  const padded = parts.find((part) => part.length > 1 && part.startsWith('0'));
  if (padded) return `${text} writes ${padded} with a leading zero, which some tools read as octal: write each number without one`;
  const bigOctet = parts.slice(0, 4).find((part) => Number(part) > 255);
  if (bigOctet) return `${text} has ${bigOctet} as an address byte; each of the four is 0–255`;
  const prefix = Number(parts[4]);
  if (prefix > 32) return `${text} has the prefix length /${prefix}; an IPv4 prefix is /0–/32`;
  const base = parts.slice(0, 4).reduce((acc, o) => acc * 256 + Number(o), 0);
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) {
    const network = formatCidr({ base: base - (base % size), prefix });
    return `${text} is an address inside the network ${network}, not a network: write ${network} for the network or ${parts.slice(0, 4).join('.')}/32 for the one address`;
  }
  return undefined;
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
