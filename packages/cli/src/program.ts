import { Command, Option } from '@commander-js/extra-typings';

/*
 * The command tree. This module is on the `berth --help` path, so it imports commander only:
 * every action loads its handler (and through it @berth/core and the target) on first use.
 */

declare const __BERTH_CLI_VERSION__: string;

const TARGET_HELP =
  'deployment target URI, e.g. local, sagemaker:/us-east-1 or http://host:5000 (default: $BERTH_TARGET, then $MLFLOW_DEPLOYMENTS_TARGET)';
const MODEL_URI_HELP =
  'model URI: a path, file:, runs:/<run>/<path>, models:/<name>/<version>, models:/<name>@<alias>, s3://, http(s)://';
const CONFIG_HELP =
  "target-specific config as key=value, repeatable (see 'berth help -t <target>' for the keys the target takes)";
const INPUT_HELP =
  'input: a JSON or CSV file, \'-\' for stdin, or a dataset source URI (file:, http(s):). JSON is a scoring-protocol body ({"dataframe_split": …}, {"inputs": …}) or a list of records / dict of columns';

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

const targetOption = () => new Option('-t, --target <uri>', TARGET_HELP);
const jsonOption = () => new Option('--json', 'print machine-readable JSON to stdout');
const configOption = () => new Option('-C, --config <key=value>', CONFIG_HELP).argParser(collect).default<string[]>([]);
const contentTypeOption = () =>
  new Option('--content-type <type>', 'input format (default: by file extension, json unless .csv)').choices([
    'json',
    'csv',
  ] as const);

const deploymentCommands = () => import('./commands/deployment-commands.js');
const endpointCommands = () => import('./commands/endpoint-commands.js');
const predictionCommands = () => import('./commands/prediction-commands.js');
const helpCommand = () => import('./commands/help-command.js');
const runLocalCommand = () => import('./commands/run-local-command.js');
const targetsListCommand = () => import('./commands/targets-list-command.js');
const targetsInstallCommands = () => import('./commands/targets-install-commands.js');
const serveCommand = () => import('./commands/serve-command.js');

/** Help is wrapped at 80 columns at most (narrower only on a narrower terminal). */
export const HELP_WIDTH = 80;

export interface ProgramOptions {
  /**
   * commander prints nothing for a usage error, so the caller can report it as the one JSON
   * document `--json` promises on stderr (subcommands copy these settings when created).
   */
  jsonErrors?: boolean;
  /** Where help and --version go (default stdout); the build captures the top-level help with it. */
  writeOut?: (text: string) => void;
}

/**
 * The help width: 80, or the terminal's width when that is narrower. Pinned rather than the full
 * terminal width so the top-level help that `bin/berth.cjs` prints from `dist/help.json` (written
 * at build time, see tsup.config.ts) is byte for byte what commander would print here.
 */
function helpWidth(stream: NodeJS.WriteStream): number {
  return stream.isTTY && stream.columns > 0 ? Math.min(stream.columns, HELP_WIDTH) : HELP_WIDTH;
}

export function createProgram(options: ProgramOptions = {}): Command {
  const program = new Command('berth')
    .description('Deploy ML models to any installed target (MLflow-compatible deployments CLI).')
    .version(__BERTH_CLI_VERSION__, '-V, --version')
    .helpCommand(false)
    .exitOverride()
    .configureOutput({
      ...(options.writeOut && { writeOut: options.writeOut, getOutHelpWidth: () => HELP_WIDTH }),
      ...(!options.writeOut && { getOutHelpWidth: () => helpWidth(process.stdout) }),
      getErrHelpWidth: () => helpWidth(process.stderr),
      outputError: (text, write) => {
        if (!options.jsonErrors) write(text.replace(/^error: /, 'Error: '));
      },
    })
    .showHelpAfterError(options.jsonErrors ? false : "(add --help for usage, or run 'berth help <command>')");
  // MLflow lists the installed targets here; discovery (reading package.json files) would cost
  // more than the start-up budget of --help allows, so the help points to `berth targets`.
  program.addHelpText(
    'after',
    "\nRun 'berth targets' to list the installed deployment targets, 'berth help -t <target>' for a target's URI and config keys.",
  );

  addDeploymentCommands(program);
  addTargetCommands(program);
  addPredictionCommands(program);
  addEndpointCommands(program);
  addTargetsCommand(program);
  addServeCommand(program);
  return program as unknown as Command;
}

function addDeploymentCommands(program: Command): void {
  program
    .command('create')
    .description('Deploy the model at --model-uri to the target under --name.')
    .addOption(targetOption())
    .requiredOption('--name <name>', 'name of the deployment')
    .requiredOption('-m, --model-uri <uri>', MODEL_URI_HELP)
    .option('-f, --flavor <flavor>', 'which flavor to deploy (inferred by the target if not given)')
    .addOption(configOption())
    .option('--endpoint <endpoint>', 'endpoint to create the deployment in')
    .addOption(jsonOption())
    .action(async (options) => (await deploymentCommands()).createDeployment(options));

  program
    .command('update')
    .description('Update the deployment --name: a new model, flavor or config.')
    .addOption(targetOption())
    .requiredOption('--name <name>', 'name of the deployment')
    .option('-m, --model-uri <uri>', MODEL_URI_HELP)
    .option('-f, --flavor <flavor>', 'which flavor to deploy (inferred by the target if not given)')
    .addOption(configOption())
    .option('--endpoint <endpoint>', 'endpoint of the deployment')
    .addOption(jsonOption())
    .action(async (options) => (await deploymentCommands()).updateDeployment(options));

  program
    .command('delete')
    .description('Delete the deployment --name (succeeds if it does not exist).')
    .addOption(targetOption())
    .requiredOption('--name <name>', 'name of the deployment')
    .addOption(configOption())
    .option('--endpoint <endpoint>', 'endpoint of the deployment')
    .addOption(jsonOption())
    .action(async (options) => (await deploymentCommands()).deleteDeployment(options));

  program
    .command('list')
    .description('List the deployments of the target.')
    .addOption(targetOption())
    .option('--endpoint <endpoint>', 'list only the deployments of this endpoint')
    .addOption(jsonOption())
    .action(async (options) => (await deploymentCommands()).listDeployments(options));

  program
    .command('get')
    .description('Print the details of the deployment --name.')
    .addOption(targetOption())
    .requiredOption('--name <name>', 'name of the deployment')
    .option('--endpoint <endpoint>', 'endpoint of the deployment')
    .addOption(jsonOption())
    .action(async (options) => (await deploymentCommands()).getDeployment(options));
}

function addTargetCommands(program: Command): void {
  program
    .command('help')
    .description(
      "Print a target's help: its URI format and config keys. 'berth help <command>' prints a command's help.",
    )
    .argument('[command]', 'a berth command to describe instead')
    .addOption(targetOption())
    .addOption(jsonOption())
    .action(async (commandName, options) => {
      if (commandName !== undefined) return showCommandHelp(program, commandName);
      return (await helpCommand()).showTargetHelp(options, () => program.outputHelp());
    });

  program
    .command('run-local')
    .description('Serve the model locally with the target, in the foreground; not managed afterwards.')
    .addOption(targetOption())
    .requiredOption('--name <name>', 'name of the local deployment')
    .requiredOption('-m, --model-uri <uri>', MODEL_URI_HELP)
    .option('-f, --flavor <flavor>', 'which flavor to serve (inferred by the target if not given)')
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options) => (await runLocalCommand()).runLocal(options));
}

function addPredictionCommands(program: Command): void {
  const commands = [
    ['predict', 'Predict on the input with the deployment --name or the endpoint --endpoint.'],
    ['explain', 'Explain the predictions on the input of the deployment --name or the endpoint --endpoint.'],
    [
      'predict-stream',
      'Stream predictions (one JSON line per chunk) from the deployment --name or the endpoint --endpoint.',
    ],
  ] as const;
  for (const [name, description] of commands) {
    program
      .command(name)
      .description(description)
      .addOption(targetOption())
      .option('--name <name>', 'name of the deployment (exactly one of --name or --endpoint)')
      .option('--endpoint <endpoint>', 'name of the endpoint (exactly one of --name or --endpoint)')
      .requiredOption('-I, --input-path <path>', INPUT_HELP)
      .option('-O, --output-path <path>', 'write the result to this file instead of stdout')
      .addOption(contentTypeOption())
      .addOption(jsonOption())
      .action(async (options) => (await predictionCommands()).runPrediction(name, options));
  }
}

function addEndpointCommands(program: Command): void {
  program
    .command('create-endpoint')
    .description('Create the endpoint --endpoint.')
    .addOption(targetOption())
    .requiredOption('--endpoint <endpoint>', 'name of the endpoint')
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options) => (await endpointCommands()).createEndpoint(options));

  program
    .command('update-endpoint')
    .description('Update the endpoint --endpoint with new config.')
    .addOption(targetOption())
    .requiredOption('--endpoint <endpoint>', 'name of the endpoint')
    .addOption(configOption())
    .addOption(jsonOption())
    .action(async (options) => (await endpointCommands()).updateEndpoint(options));

  program
    .command('delete-endpoint')
    .description('Delete the endpoint --endpoint.')
    .addOption(targetOption())
    .requiredOption('--endpoint <endpoint>', 'name of the endpoint')
    .addOption(jsonOption())
    .action(async (options) => (await endpointCommands()).deleteEndpoint(options));

  program
    .command('list-endpoints')
    .description('List the endpoints of the target.')
    .addOption(targetOption())
    .addOption(jsonOption())
    .action(async (options) => (await endpointCommands()).listEndpoints(options));

  program
    .command('get-endpoint')
    .description('Print the details of the endpoint --endpoint.')
    .addOption(targetOption())
    .requiredOption('--endpoint <endpoint>', 'name of the endpoint')
    .addOption(jsonOption())
    .action(async (options) => (await endpointCommands()).getEndpoint(options));
}

function addTargetsCommand(program: Command): void {
  const targets = program
    .command('targets')
    .description('List installed deployment targets; add or remove target packages in the plugin folder.');

  targets
    .command('list', { isDefault: true })
    .description('List installed targets: name, package, version, where found, URI syntax, summary (the default).')
    .addOption(jsonOption())
    .action(async (options) => (await targetsListCommand()).listTargets(options));

  targets
    .command('add')
    .description('Install target packages (npm specs, tarballs or folders) into the plugin folder under BERTH_HOME.')
    .argument('<packages...>', 'what npm install takes: a name, name@version, a tarball or a folder')
    .addOption(jsonOption())
    .action(async (specs, options) => (await targetsInstallCommands()).addTargets(specs, options));

  targets
    .command('remove')
    .description('Uninstall target packages from the plugin folder under BERTH_HOME.')
    .argument('<packages...>', 'package names')
    .addOption(jsonOption())
    .action(async (names, options) => (await targetsInstallCommands()).removeTargets(names, options));
}

function addServeCommand(program: Command): void {
  program
    .command('serve')
    .description('Serve the target over HTTP (Berth API, MLflow routes, OpenAPI), in the foreground, with token auth.')
    .addOption(targetOption())
    .option('--host <host>', 'interface to bind; anything but loopback needs a token you supplied', '127.0.0.1')
    .option('--port <port>', 'TCP port; 0 picks a free one', '5000')
    .option('--token-file <path>', 'read-write tokens, one per line (default: $BERTH_SERVER_TOKEN, else generated)')
    .option('--read-only-token-file <path>', 'read-only tokens, one per line (default: $BERTH_SERVER_READ_ONLY_TOKEN)')
    .option('--body-limit <bytes>', 'largest prediction request body', '67108864')
    .option(
      '--log-level <level>',
      'fatal, error, warn, info, debug, trace or silent (default: $BERTH_LOG_LEVEL, else info)',
    )
    .addOption(jsonOption())
    .action(async (options) => (await serveCommand()).serve(options));
}

function showCommandHelp(program: Command, name: string): void {
  const command = program.commands.find((candidate) => candidate.name() === name);
  if (!command) {
    program.error(`Error: unknown command '${name}'`, { code: 'commander.unknownCommand', exitCode: 2 });
  }
  command.outputHelp();
}

/**
 * `berth --help` as commander prints it (also for `berth` alone), at the pinned width. The build
 * writes it to `dist/help.json` for `bin/berth.cjs`, so the two cannot drift apart.
 */
export function topLevelHelp(): string {
  let text = '';
  createProgram({
    writeOut: (chunk) => {
      text += chunk;
    },
  }).outputHelp();
  return text;
}
