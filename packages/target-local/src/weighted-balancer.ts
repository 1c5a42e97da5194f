/**
 * Smooth weighted round-robin (nginx's algorithm): over any window of `sum(weights)` picks each
 * member is chosen exactly in proportion to its weight, interleaved rather than in runs.
 */
export interface BalancedMember {
  name: string;
  weight: number;
  current: number;
}

export function pickSmoothWeighted<T extends BalancedMember>(members: readonly T[]): T | undefined {
  let total = 0;
  let best: T | undefined;
  for (const member of members) {
    if (member.weight <= 0) continue;
    member.current += member.weight;
    total += member.weight;
    if (best === undefined || member.current > best.current) best = member;
  }
  if (best) best.current -= total;
  return best;
}
