/**
 * `@berth/core/internal`: small helpers that Berth's own packages share (first-party targets and
 * the host). Not part of the spec: it may change in any minor release.
 */
// Also in the spec entry (community targets keep their state under it); kept here for Berth's own packages.
export { berthHome } from './berth-home.js';
export { closestMatch } from './closest-match.js';
export { UsageError } from './usage-error.js';
