// The test suite's loopback SageMaker server and moto_server harness, for the bench: they are
// TypeScript test support, bundled here once with esbuild (tsup's) into the target package's
// node_modules/.cache, so their imports resolve from the package as in the tests.
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const packageDir = path.join(root, 'packages/target-sagemaker');

export async function loadLoopbackAws() {
  // The loopback servers run the AWS SDK in this process: without this, its notice about Node 22
  // (nine lines) heads every bench's output.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ||= 'true';
  const require = createRequire(path.join(root, 'package.json'));
  const esbuild = createRequire(require.resolve('tsup')).resolve('esbuild');
  const { build } = await import(pathToFileURL(esbuild).href);
  const outdir = path.join(packageDir, 'node_modules/.cache/berth-bench');
  await mkdir(outdir, { recursive: true });
  await build({
    entryPoints: {
      'loopback-sagemaker-server': path.join(
        packageDir,
        'test/support/loopback-sagemaker/loopback-sagemaker-server.ts',
      ),
      'moto-server': path.join(packageDir, 'test/support/moto-server.ts'),
    },
    outdir,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outExtension: { '.js': '.mjs' },
    logLevel: 'error',
  });
  const [loopback, moto] = await Promise.all([
    import(pathToFileURL(path.join(outdir, 'loopback-sagemaker-server.mjs')).href),
    import(pathToFileURL(path.join(outdir, 'moto-server.mjs')).href),
  ]);
  return { ...loopback, ...moto };
}

/** A project folder that depends on the sagemaker target (linked), as a user's would. */
export async function projectWithTarget(directory, withTarget = true) {
  const { mkdir: mkdirs, symlink, writeFile } = await import('node:fs/promises');
  await mkdirs(path.join(directory, 'node_modules/@berth'), { recursive: true });
  await writeFile(
    path.join(directory, 'package.json'),
    JSON.stringify({
      name: 'bench',
      private: true,
      dependencies: withTarget ? { '@berth/target-sagemaker': '*' } : {},
    }),
  );
  if (withTarget) await symlink(packageDir, path.join(directory, 'node_modules/@berth/target-sagemaker'), 'dir');
  return directory;
}

/** The environment of a CLI run against the loopback servers (dummy credentials, no config files). */
export function awsEnvironment({ sagemaker, moto, home }) {
  const env = { ...process.env };
  // Start-time benches run both sides without it (toolchain.md §6.13).
  delete env.NODE_EXTRA_CA_CERTS;
  for (const key of Object.keys(env)) if (key.startsWith('AWS_')) delete env[key];
  return {
    ...env,
    HOME: home,
    BERTH_HOME: path.join(home, '.berth'),
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-west-2',
    AWS_CONFIG_FILE: path.join(home, 'none'),
    AWS_SHARED_CREDENTIALS_FILE: path.join(home, 'none'),
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    AWS_ENDPOINT_URL_SAGEMAKER: sagemaker,
    AWS_ENDPOINT_URL_SAGEMAKER_RUNTIME: sagemaker,
    AWS_ENDPOINT_URL_S3: moto,
    AWS_ENDPOINT_URL_STS: moto,
    AWS_ENDPOINT_URL_IAM: moto,
    AWS_ENDPOINT_URL_ECR: moto,
    AWS_ENDPOINT_URL_CLOUDWATCH: moto,
    BERTH_SAGEMAKER_POLL_SECONDS: '0.1',
    BERTH_SAGEMAKER_IMAGE_URL: '123456789012.dkr.ecr.us-west-2.amazonaws.com/berth-scoring-server:0.1.0',
  };
}
