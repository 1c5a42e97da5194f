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

interface StandardProps {
  version: 1;
  vendor: string;
  validate(value: unknown): unknown;
  jsonSchema?: unknown;
}

/**
 * A stand-in for a zod object schema that builds it on first use. Loading a target checks
 * `~standard.validate` exists (core does, on every command): that answers without building, and
 * building happens when something is validated or a property of the real schema is read.
 */
export function lazyObjectSchema<T extends object>(build: () => T): T {
  const standard = () => (build() as unknown as { '~standard': StandardProps })['~standard'];
  const lazyStandard: StandardProps = {
    version: 1,
    vendor: 'zod',
    validate: (value) => standard().validate(value),
    get jsonSchema() {
      return standard().jsonSchema;
    },
  };
  return new Proxy({} as T, {
    get: (_target, property) => {
      if (property === '~standard') return lazyStandard;
      const value = Reflect.get(build(), property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(build()) : value;
    },
    has: (_target, property) => property === '~standard' || Reflect.has(build(), property),
    ownKeys: () => Reflect.ownKeys(build()),
    getOwnPropertyDescriptor: (_target, property) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(build(), property);
      return descriptor ? { ...descriptor, configurable: true } : undefined;
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(build()),
  });
}
