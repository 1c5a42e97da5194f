/**
 * The build context of Berth's SageMaker serving image: a Dockerfile (`node:20-slim`, the
 * first-party packages at the exact versions installed beside this package, a non-root user, the
 * exec-form entrypoint `serve` reaches), its package.json, a .dockerignore, and a `packages/`
 * folder for local tarballs (unpublished builds). Plus the commands that build it and push it to
 * the ECR repository the SageMaker target looks in.
 */
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import {
  firstPartyVersions,
  IMAGE_APP_DIRECTORY,
  IMAGE_ENTRYPOINT,
  ownManifest,
  SCORING_SERVER_PACKAGE,
} from './entry-command.js';

export const DEFAULT_NODE_IMAGE = 'node:20-slim';
export const IMAGE_REPOSITORY = 'berth-scoring-server';
/** SageMaker starts a container on SAGEMAKER_BIND_TO_PORT only when the image declares it can. */
export const BIND_TO_PORT_LABEL = 'com.amazonaws.sagemaker.capabilities.accept-bind-to-port=true';

export interface BuildContextOptions {
  /** Base image (default node:20-slim; pass a digest to pin it). */
  nodeImage?: string;
  /** Local package tarballs (`npm pack` output) installed instead of the registry's versions. */
  tarballs?: string[];
}

export interface BuildContext {
  directory: string;
  files: string[];
  /** The image tag the SageMaker target expects: this package's version. */
  tag: string;
  /** First-party packages and the versions (or tarballs) the image installs. */
  packages: Record<string, string>;
  nodeImage: string;
}

/** `@berth/scoring-server-0.1.0.tgz` style names → package name, for tarballs given by path. */
async function tarballPackageName(file: string): Promise<string> {
  const { list } = await import('tar');
  let name: string | undefined;
  await list({
    file,
    filter: (entry) => entry === 'package/package.json',
    onReadEntry: (entry) => {
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => chunks.push(chunk));
      entry.on('end', () => {
        name = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { name: string }).name;
      });
    },
  });
  if (!name) throw new Error(`${file} is not an npm package tarball (no package/package.json)`);
  return name;
}

export function renderDockerfile(options: {
  nodeImage: string;
  tag: string;
  packages: Record<string, string>;
}): string {
  return `# Berth's SageMaker serving image: @berth/scoring-server in SageMaker mode.
# Written by \`berth-sagemaker image\` (@berth/target-sagemaker ${options.tag}); the SageMaker target
# looks for it as ${IMAGE_REPOSITORY}:${options.tag} in ECR.
#   docker build -t ${IMAGE_REPOSITORY}:${options.tag} .
ARG NODE_IMAGE=${options.nodeImage}
FROM \${NODE_IMAGE}

# SageMaker may pick the port (SAGEMAKER_BIND_TO_PORT) only for images that say they honour it.
LABEL ${BIND_TO_PORT_LABEL}
LABEL org.opencontainers.image.title="${IMAGE_REPOSITORY}" org.opencontainers.image.version="${options.tag}"
ENV NODE_ENV=production

WORKDIR ${IMAGE_APP_DIRECTORY}
COPY package.json ./
COPY packages/ ./packages/
# Exact versions (package.json). Install scripts stay off: onnxruntime-node's would download GPU
# providers, and its CPU binary ships in the package.
RUN npm install --omit=dev --ignore-scripts --no-audit --no-fund \\
 && npm cache clean --force \\
 && node -e "require.resolve('${SCORING_SERVER_PACKAGE}/package.json')"

# The server needs no privileges: it reads /opt/ml/model and listens on 8080 (or SAGEMAKER_BIND_TO_PORT).
USER node
EXPOSE 8080

# Exec form: node is PID 1, so SageMaker's SIGTERM reaches the server, which drains in-flight
# requests before it exits. SageMaker runs \`docker run <image> serve\`; "serve" is the argument.
ENTRYPOINT ${JSON.stringify(IMAGE_ENTRYPOINT)}
`;
}

function renderManifest(tag: string, packages: Record<string, string>): string {
  return `${JSON.stringify(
    {
      name: 'berth-sagemaker-serving-image',
      version: tag,
      private: true,
      description: "Berth's SageMaker serving image (written by berth-sagemaker image)",
      dependencies: { [SCORING_SERVER_PACKAGE]: packages[SCORING_SERVER_PACKAGE] },
      // The first-party packages depend on each other by range; overrides keep the exact ones.
      overrides: Object.fromEntries(Object.entries(packages).filter(([name]) => name !== SCORING_SERVER_PACKAGE)),
    },
    null,
    2,
  )}\n`;
}

const DOCKERIGNORE = `# Only the Dockerfile, package.json and packages/ belong in the image.
*
!Dockerfile
!package.json
!packages/
`;

/** Writes the context into `directory` (created; refused when it holds anything but an earlier context). */
export async function writeBuildContext(directory: string, options: BuildContextOptions = {}): Promise<BuildContext> {
  const target = path.resolve(directory);
  await mkdir(target, { recursive: true });
  const known = new Set(['Dockerfile', 'package.json', '.dockerignore', 'packages']);
  const present = (await readdir(target)).filter((entry) => !known.has(entry));
  if (present.length > 0) {
    throw new Error(
      `${target} is not empty (${present.slice(0, 3).join(', ')}${present.length > 3 ? ', …' : ''}); write the build context into an empty or new folder`,
    );
  }
  const tag = ownManifest().version;
  const nodeImage = options.nodeImage ?? DEFAULT_NODE_IMAGE;
  const packages = firstPartyVersions();
  await mkdir(path.join(target, 'packages'), { recursive: true });
  for (const tarball of options.tarballs ?? []) {
    const name = await tarballPackageName(tarball);
    const file = path.basename(tarball);
    await copyFile(tarball, path.join(target, 'packages', file));
    packages[name] = `file:packages/${file}`;
  }
  await writeFile(
    path.join(target, 'packages/README.md'),
    'Local package tarballs (berth-sagemaker image --tarball) installed instead of the registry versions.\n',
  );
  await writeFile(path.join(target, 'Dockerfile'), renderDockerfile({ nodeImage, tag, packages }));
  await writeFile(path.join(target, 'package.json'), renderManifest(tag, packages));
  await writeFile(path.join(target, '.dockerignore'), DOCKERIGNORE);
  return {
    directory: target,
    files: ['Dockerfile', 'package.json', '.dockerignore', 'packages/'],
    tag,
    packages,
    nodeImage,
  };
}

export interface PushCommands {
  imageUri: string;
  build: string;
  push: string[];
}

/** The docker build and ECR push commands for the context (account `$ACCOUNT_ID` when unknown). */
export function imageCommands(
  context: Pick<BuildContext, 'directory' | 'tag'>,
  region: string,
  account?: string,
): PushCommands {
  const registry = `${account ?? '$ACCOUNT_ID'}.dkr.ecr.${region}.amazonaws.com`;
  const local = `${IMAGE_REPOSITORY}:${context.tag}`;
  const imageUri = `${registry}/${local}`;
  return {
    imageUri,
    build: `docker build -t ${local} ${quote(context.directory)}`,
    push: [
      ...(account ? [] : ['ACCOUNT_ID=$(aws sts get-caller-identity --query Account --output text)']),
      `aws ecr describe-repositories --repository-names ${IMAGE_REPOSITORY} --region ${region} >/dev/null 2>&1 || aws ecr create-repository --repository-name ${IMAGE_REPOSITORY} --region ${region}`,
      `aws ecr get-login-password --region ${region} | docker login --username AWS --password-stdin ${registry}`,
      `docker tag ${local} ${imageUri}`,
      `docker push ${imageUri}`,
    ],
  };
}

function quote(value: string): string {
  return /^[\w@%+=:,./-]+$/.test(value) ? value : `'${value.replace(/'/g, `'\\''`)}'`;
}
