import { constraint, validation } from './aws-errors.js';

/**
 * SageMaker's list paging: `MaxResults` (1–100, default 10) and an opaque `NextToken` that only
 * continues the listing it came from (a token from another filter or sort is refused, as AWS does).
 */
export function page<T>(
  items: T[],
  input: { MaxResults?: unknown; NextToken?: unknown },
  listing: string,
): { items: T[]; NextToken?: string } {
  const max = input.MaxResults ?? 10;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > 100) {
    throw constraint('maxResults', max, 'Member must have value less than or equal to 100');
  }
  let offset = 0;
  if (input.NextToken !== undefined) {
    const decoded = decodeToken(input.NextToken);
    if (decoded === undefined || decoded.listing !== listing) throw validation('Invalid pagination token');
    offset = decoded.offset;
  }
  const slice = items.slice(offset, offset + max);
  const next = offset + max < items.length ? encodeToken({ listing, offset: offset + max }) : undefined;
  return next === undefined ? { items: slice } : { items: slice, NextToken: next };
}

function encodeToken(token: { listing: string; offset: number }): string {
  return Buffer.from(JSON.stringify(token)).toString('base64');
}

function decodeToken(token: unknown): { listing: string; offset: number } | undefined {
  if (typeof token !== 'string') return undefined;
  try {
    const value = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as { listing?: unknown; offset?: unknown };
    if (typeof value.listing !== 'string' || typeof value.offset !== 'number') return undefined;
    return { listing: value.listing, offset: value.offset };
  } catch {
    return undefined;
  }
}

/** Name/creation-time sorting and the name filter every SageMaker List* takes. */
export function sortAndFilter<T extends { name: string; creationTime: Date; status?: string }>(
  items: Iterable<T>,
  input: { NameContains?: unknown; SortBy?: unknown; SortOrder?: unknown; StatusEquals?: unknown },
): { items: T[]; listing: string } {
  const contains = typeof input.NameContains === 'string' ? input.NameContains : undefined;
  const sortBy = (input.SortBy as string | undefined) ?? 'CreationTime';
  const order = (input.SortOrder as string | undefined) ?? 'Descending';
  if (!['Name', 'CreationTime', 'Status'].includes(sortBy)) {
    throw constraint('sortBy', sortBy, 'Member must satisfy enum value set: [Name, CreationTime, Status]');
  }
  if (!['Ascending', 'Descending'].includes(order)) {
    throw constraint('sortOrder', order, 'Member must satisfy enum value set: [Ascending, Descending]');
  }
  const status = typeof input.StatusEquals === 'string' ? input.StatusEquals : undefined;
  const selected = [...items].filter(
    (item) =>
      (contains === undefined || item.name.toLowerCase().includes(contains.toLowerCase())) &&
      (status === undefined || item.status === status),
  );
  const key = (item: T) =>
    sortBy === 'Name' ? item.name : sortBy === 'Status' ? (item.status ?? '') : item.creationTime.getTime();
  selected.sort((a, b) => {
    const left = key(a);
    const right = key(b);
    const compared = left < right ? -1 : left > right ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
    return order === 'Ascending' ? compared : -compared;
  });
  return { items: selected, listing: JSON.stringify([contains, sortBy, order, status]) };
}
