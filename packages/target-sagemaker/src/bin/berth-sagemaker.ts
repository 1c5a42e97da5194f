#!/usr/bin/env node
/**
 * `berth-sagemaker image`: writes the build context of Berth's SageMaker serving image and prints
 * the docker build and ECR push commands. Docker is not needed to write it.
 */
import { parseArgs } from 'node:util';
import { UsageError } from '@berth/core/internal';

const HELP = `Usage: berth-sagemaker image [--out <dir>] [options]

Writes the build context of Berth's SageMaker serving image (@berth/scoring-server in SageMaker
mode: Dockerfile, package.json, .dockerignore, packages/) and prints the commands that build it and
push it to the ECR repository berth-scoring-server, where the sagemaker target looks for it.

Options:
  -o, --out <dir>          folder to write (default ./berth-image; must be empty or new)
      --region <region>    ECR region for the push commands (default AWS_REGION, AWS_DEFAULT_REGION, us-west-2)
      --account <id>       AWS account id for the push commands (default: looked up by the printed commands)
      --node-image <ref>   base image (default node:20-slim; a digest pins it)
      --tarball <file>     install this npm package tarball instead of the registry version (repeatable)
      --json               print the result as JSON
  -h, --help               show this help
`;

function parse(argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        out: { type: 'string', short: 'o' },
        region: { type: 'string' },
        account: { type: 'string' },
        'node-image': { type: 'string' },
        tarball: { type: 'string', multiple: true },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\nRun berth-sagemaker --help for the options.`);
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parse(process.argv.slice(2));
  if (values.help || positionals.length === 0) {
    process.stdout.write(HELP);
    if (!values.help) process.exitCode = 2;
    return;
  }
  if (positionals[0] !== 'image' || positionals.length > 1) {
    throw new UsageError(`Unknown command '${positionals.join(' ')}'; the command is: berth-sagemaker image`);
  }
  if (values.account !== undefined && !/^\d{12}$/.test(values.account)) {
    throw new UsageError(`--account must be a 12-digit AWS account id; got '${values.account}'`);
  }
  const region = values.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-west-2';
  if (!/^[a-z]{2}(-[a-z]+)+-\d+$/.test(region))
    throw new UsageError(`--region must be an AWS region such as us-east-1; got '${region}'`);
  const { imageCommands, writeBuildContext } = await import('../image/build-context.js');
  const context = await writeBuildContext(values.out ?? 'berth-image', {
    ...(values['node-image'] ? { nodeImage: values['node-image'] } : {}),
    ...(values.tarball ? { tarballs: values.tarball } : {}),
  });
  const commands = imageCommands(context, region, values.account);
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ ...context, region, ...commands }, null, 2)}\n`);
    return;
  }
  const packages = Object.entries(context.packages)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  process.stdout.write(
    [
      `Wrote the build context of Berth's SageMaker serving image to ${context.directory}`,
      `  ${context.files.join(', ')}`,
      `  ${packages} on ${context.nodeImage}; runs as user node; entry command "serve"`,
      '',
      'Build it:',
      `  ${commands.build}`,
      '',
      `Push it to ECR (${region}):`,
      ...commands.push.map((line) => `  ${line}`),
      '',
      `The sagemaker target then finds ${commands.imageUri.replace(/^\$ACCOUNT_ID/, '<account>')} for onnx and js models`,
      '(or set BERTH_SAGEMAKER_IMAGE_URL / -C image_url=).',
      '',
    ].join('\n'),
  );
}

main().catch((error: unknown) => {
  if (UsageError.isInstance(error)) {
    process.stderr.write(`berth-sagemaker: ${error.message}\n`);
    process.exit(error.exitCode);
  }
  process.stderr.write(`berth-sagemaker: ${(error as Error)?.message ?? String(error)}\n`);
  process.exit(1);
});
