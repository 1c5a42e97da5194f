import type { Protocol } from './answers.js';
import type { Exchange } from './exchange.js';

/** What a route is: its metrics label (the path template), its error protocol, and its handler. */
export interface Route {
  /** The path template, e.g. `/v2/models/:name/infer`: the `route` label of the request metrics. */
  readonly label: string;
  readonly protocol: Protocol;
  /** The pipeline reads the body (under the body limit) before the handler runs. */
  readonly readsBody: boolean;
  handle(exchange: Exchange): void | Promise<void>;
}

/** Path parameters, percent-decoded (`name`, `version`). */
export type RouteParams = Readonly<Record<string, string>>;

export type RouteMatch =
  | { kind: 'route'; route: Route; params: RouteParams }
  /** The path exists with other methods. */
  | { kind: 'method'; allowed: string }
  | { kind: 'none' };

const NO_PARAMS: RouteParams = Object.freeze({});
const NONE: RouteMatch = { kind: 'none' };

interface Pattern {
  segments: readonly string[];
  methods: Map<string, Route>;
}

/**
 * Every route of the server, looked up by method and path: static paths in one map (the hot ones,
 * `/invocations` first, cost one lookup), templated ones (`:name`) segment by segment. A GET route
 * answers HEAD too. Query strings are the caller's to strip.
 */
export class RouteTable {
  private readonly exact = new Map<string, Map<string, Route>>();
  private readonly patterns: Pattern[] = [];
  private readonly matches = new Map<Route, RouteMatch>();

  add(method: 'GET' | 'POST', path: string, route: Route): this {
    const methods = method === 'GET' ? ['GET', 'HEAD'] : [method];
    let table: Map<string, Route>;
    if (path.includes('/:')) {
      const segments = path.split('/');
      let pattern = this.patterns.find((entry) => entry.segments.join('/') === path);
      if (pattern === undefined) {
        pattern = { segments, methods: new Map() };
        this.patterns.push(pattern);
      }
      table = pattern.methods;
    } else {
      table = this.exact.get(path) ?? new Map();
      this.exact.set(path, table);
    }
    for (const name of methods) table.set(name, route);
    this.matches.set(route, { kind: 'route', route, params: NO_PARAMS });
    return this;
  }

  match(method: string, path: string): RouteMatch {
    const exact = this.exact.get(path);
    if (exact !== undefined) return this.pick(exact, method, NO_PARAMS);
    const segments = path.split('/');
    for (const pattern of this.patterns) {
      const params = paramsOf(pattern.segments, segments);
      if (params !== undefined) return this.pick(pattern.methods, method, params);
    }
    return NONE;
  }

  private pick(methods: Map<string, Route>, method: string, params: RouteParams): RouteMatch {
    const route = methods.get(method);
    if (route === undefined) return { kind: 'method', allowed: [...methods.keys()].join(', ') };
    return params === NO_PARAMS ? (this.matches.get(route) as RouteMatch) : { kind: 'route', route, params };
  }
}

function paramsOf(pattern: readonly string[], segments: readonly string[]): RouteParams | undefined {
  if (pattern.length !== segments.length) return undefined;
  let params: Record<string, string> | undefined;
  for (let index = 0; index < pattern.length; index++) {
    const expected = pattern[index] as string;
    const actual = segments[index] as string;
    if (expected.startsWith(':')) {
      if (actual === '') return undefined;
      let decoded: string;
      try {
        decoded = decodeURIComponent(actual);
      } catch {
        return undefined;
      }
      params ??= {};
      params[expected.slice(1)] = decoded;
    } else if (expected !== actual) {
      return undefined;
    }
  }
  return params ?? NO_PARAMS;
}
