// "Did you mean …?" for unknown column names.

export function editDistance(a: string, b: string): number {
  const prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diag = prev[0]!;
    prev[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const up = prev[j]!;
      prev[j] = Math.min(up + 1, prev[j - 1]! + 1, diag + (a[i - 1] === b[j - 1] ? 0 : 1));
      diag = up;
    }
  }
  return prev[b.length]!;
}

/**
 * The known name a person most likely meant. A name that is the start or a part of a known
 * one (`agency` → `agency_code`, `name` → `name_uz`), or that holds one (`service_code` →
 * `code`), beats edit distance — a prefix first, then containment, then a shared word: "agency" is 3 edits from "audience" and 5 from
 * "agency_code", yet nobody who typed it meant the audience. Among several such, the one
 * with the fewest edits; without any, the smallest edit distance.
 */
export function closest(name: string, known: readonly string[]): string | undefined {
  const lower = name.toLowerCase().trim();
  const exact = known.find((k) => k.toLowerCase() === lower);
  if (exact !== undefined) return exact;
  const words = (s: string) => s.split(/[^a-z0-9]+/).filter(Boolean);
  const mine = words(lower);
  if (lower.length >= 2) {
    const tiers: Array<(kl: string) => boolean> = [
      (kl) => kl.startsWith(lower) || lower.startsWith(kl),
      (kl) => kl.includes(lower) || lower.includes(kl),
      // whole words in common: "agency" in "agency_code"
      (kl) => mine.some((w) => w.length >= 3 && words(kl).includes(w)),
    ];
    for (const tier of tiers) {
      const related = known.filter((k) => tier(k.toLowerCase()));
      if (related.length) return nearest(lower, related);
    }
  }
  return nearest(lower, known);
}

function nearest(lower: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of candidates) {
    const d = editDistance(lower, k.toLowerCase());
    if (d < bestDistance) {
      best = k;
      bestDistance = d;
    }
  }
  return best;
}
