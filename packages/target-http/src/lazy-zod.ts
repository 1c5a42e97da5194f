import { createRequire } from 'node:module';

type ZodModule = typeof import('zod');
let zod: ZodModule | undefined;

/**
 * zod takes 100-250 ms to import on these machines, more than a whole `berth predict -t http://…`;
 * it is required (its CJS build, synchronously) the first time a schema is used, never on import.
 */
export function loadZod(): ZodModule {
  zod ??= createRequire(import.meta.url)('zod') as ZodModule;
  return zod;
}

/**
 * A stand-in for a zod schema that builds it on first real use. Loading a target reads
 * `configSchema` to check its type (`shape`/`safeParse`, or Standard Schema's `~standard`); those
 * reads answer without building, so a command that never validates config never loads zod.
 */
export function lazySchema<T extends object>(build: () => T): T {
  let built: T | undefined;
  const schema = () => {
    built ??= build();
    return built;
  };
  const standard = {
    version: 1,
    vendor: 'zod',
    validate: (value: unknown) => standardOf(schema()).validate(value),
    get jsonSchema() {
      return standardOf(schema()).jsonSchema;
    },
  };
  return new Proxy({} as T, {
    get(_target, property) {
      if (property === '~standard') return standard;
      if (property === 'shape') return lazyShape(schema);
      const value = Reflect.get(schema(), property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(schema()) : value;
    },
    has: (_target, property) => property === '~standard' || Reflect.has(schema(), property),
    ownKeys: () => Reflect.ownKeys(schema()),
    getOwnPropertyDescriptor: (_target, property) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(schema(), property);
      return descriptor ? { ...descriptor, configurable: true } : undefined;
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(schema()),
  });
}

interface StandardProps {
  validate(value: unknown): unknown;
  jsonSchema?: unknown;
}

function standardOf(schema: object): StandardProps {
  return (schema as { '~standard': StandardProps })['~standard'];
}

/** `shape` as an object whose keys are read only when someone looks at them. */
function lazyShape(schema: () => object): object {
  const shape = () => (schema() as { shape: object }).shape;
  return new Proxy(
    {},
    {
      get: (_target, property) => Reflect.get(shape(), property),
      has: (_target, property) => Reflect.has(shape(), property),
      ownKeys: () => Reflect.ownKeys(shape()),
      getOwnPropertyDescriptor: (_target, property) => {
        const descriptor = Reflect.getOwnPropertyDescriptor(shape(), property);
        return descriptor ? { ...descriptor, configurable: true } : undefined;
      },
    },
  );
}
