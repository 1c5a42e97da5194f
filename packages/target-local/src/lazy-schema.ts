import { createRequire } from 'node:module';

type ZodModule = typeof import('zod');
let zod: ZodModule | undefined;

/**
 * zod costs 100-250 ms to import, more than all of `berth list -t local`; it is required
 * synchronously (its CJS build) the first time a schema is actually used.
 */
export function loadZod(): ZodModule {
  zod ??= createRequire(import.meta.url)('zod') as ZodModule;
  return zod;
}

const PARSE_METHODS = new Set(['parse', 'safeParse', 'parseAsync', 'safeParseAsync']);

/** Traps that answer from the built object; `get` is the only one the two proxies below differ in. */
function forwardingTraps<T extends object>(build: () => T, get: ProxyHandler<T>['get']): ProxyHandler<T> {
  return {
    get,
    has: (_target, property) => Reflect.has(build(), property),
    ownKeys: () => Reflect.ownKeys(build()),
    getOwnPropertyDescriptor: (_target, property) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(build(), property);
      return descriptor ? { ...descriptor, configurable: true } : undefined;
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(build()),
  };
}

function lazyObject<T extends object>(build: () => T): T {
  return new Proxy(
    {} as T,
    forwardingTraps(build, (_target, property) => Reflect.get(build(), property)),
  );
}

/**
 * A stand-in for a zod object schema that builds it on first use. Core's contract check reads
 * `typeof safeParse` and `typeof shape` when a target loads; both answer without building.
 */
export function lazyObjectSchema<T extends object>(build: () => T): T {
  return new Proxy(
    {} as T,
    forwardingTraps(build, (_target, property) => {
      if (property === 'shape') return lazyObject(() => (build() as { shape: object }).shape);
      if (typeof property === 'string' && PARSE_METHODS.has(property)) {
        return (...args: unknown[]) => (build() as Record<string, (...a: unknown[]) => unknown>)[property]?.(...args);
      }
      const value = Reflect.get(build(), property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(build()) : value;
    }),
  );
}
