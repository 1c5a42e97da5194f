import { createRequire } from 'node:module';

type ZodModule = typeof import('zod');
let zod: ZodModule | undefined;

/**
 * zod costs several times a bare `node -e 0` to import, more than the rest of `berth list -t
 * sagemaker`; it is required synchronously (its CJS build) the first time a schema is used.
 */
export function loadZod(): ZodModule {
  zod ??= createRequire(import.meta.url)('zod') as ZodModule;
  return zod;
}

/**
 * A stand-in for a zod object schema that builds it on first use. Loading the target reads only
 * `typeof configSchema.safeParse` and `typeof configSchema.shape`, which answer without building it;
 * any other property (`~standard`, `shape` keys, `parse`) builds it and forwards.
 */
export function lazyObjectSchema<T extends object>(build: () => T): T {
  const shapeOf = () => (build() as unknown as { shape: object }).shape;
  const forward = (source: () => object, get: ProxyHandler<T>['get']): ProxyHandler<T> => ({
    get,
    has: (_target, property) => Reflect.has(source(), property),
    ownKeys: () => Reflect.ownKeys(source()),
    getOwnPropertyDescriptor: (_target, property) => {
      const descriptor = Reflect.getOwnPropertyDescriptor(source(), property);
      return descriptor ? { ...descriptor, configurable: true } : undefined;
    },
    getPrototypeOf: () => Reflect.getPrototypeOf(source()),
  });
  const lazyShape = new Proxy(
    {} as T,
    forward(shapeOf, (_target, property) => Reflect.get(shapeOf(), property)),
  );
  // Core's registry checks `~standard.validate` when it loads the target (every command): answer
  // without building; validating or describing builds it.
  type Standard = {
    vendor: string;
    version: number;
    validate: (value: unknown) => unknown;
    jsonSchema?: { input: (options: unknown) => unknown; output: (options: unknown) => unknown };
  };
  const standardOf = () => (build() as unknown as { '~standard': Standard })['~standard'];
  const lazyStandard: Standard = {
    vendor: 'zod',
    version: 1,
    validate: (value) => standardOf().validate(value),
    jsonSchema: {
      input: (options) => (standardOf().jsonSchema as NonNullable<Standard['jsonSchema']>).input(options),
      output: (options) => (standardOf().jsonSchema as NonNullable<Standard['jsonSchema']>).output(options),
    },
  };
  return new Proxy(
    {} as T,
    forward(build, (_target, property) => {
      if (property === 'shape') return lazyShape;
      if (property === '~standard') return lazyStandard;
      if (property === 'safeParse' || property === 'parse') {
        return (...args: unknown[]) => (build() as Record<string, (...a: unknown[]) => unknown>)[property]?.(...args);
      }
      const value = Reflect.get(build(), property);
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(build()) : value;
    }),
  );
}
