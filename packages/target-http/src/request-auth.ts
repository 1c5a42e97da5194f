import { readFile } from 'node:fs/promises';
import { BerthError } from '@berth/core';
import { readFirst } from './environment-variable.js';

/**
 * What the client sends in `Authorization`, and where it came from. Only the variable's name is
 * ever shown (in errors); the value never leaves the header.
 */
export interface Credentials {
  authorization?: string;
  /** `BERTH_TOKEN`, `BERTH_TOKEN_FILE`, `MLFLOW_TRACKING_USERNAME/PASSWORD` or `MLFLOW_TRACKING_TOKEN`. */
  source?: string;
}

/**
 * Berth's token first (`BERTH_TOKEN`, else the file `BERTH_TOKEN_FILE` names), then MLflow's rules:
 * Basic auth when both `MLFLOW_TRACKING_USERNAME` and `MLFLOW_TRACKING_PASSWORD` are set, else
 * `Bearer $MLFLOW_TRACKING_TOKEN`. MLflow ignores a username without a password (and the reverse);
 * Berth says so, since the request would then go out without the credentials the user meant.
 */
export async function credentialsFromEnvironment(environment: NodeJS.ProcessEnv = process.env): Promise<Credentials> {
  const token = readFirst(environment, ['BERTH_TOKEN']);
  if (token) return bearer(token.value, token.variable);
  const tokenFile = readFirst(environment, ['BERTH_TOKEN_FILE']);
  if (tokenFile) return bearer(await readTokenFile(tokenFile.value), 'BERTH_TOKEN_FILE');

  const username = readFirst(environment, ['MLFLOW_TRACKING_USERNAME']);
  const password = readFirst(environment, ['MLFLOW_TRACKING_PASSWORD']);
  if (username && password) {
    const pair = Buffer.from(`${username.value}:${password.value}`, 'utf8').toString('base64');
    return { authorization: `Basic ${pair}`, source: 'MLFLOW_TRACKING_USERNAME/MLFLOW_TRACKING_PASSWORD' };
  }
  const mlflowToken = readFirst(environment, ['MLFLOW_TRACKING_TOKEN']);
  if (mlflowToken) return bearer(mlflowToken.value, mlflowToken.variable);
  if (username || password) {
    const [set, unset] = username
      ? ['MLFLOW_TRACKING_USERNAME', 'MLFLOW_TRACKING_PASSWORD']
      : ['MLFLOW_TRACKING_PASSWORD', 'MLFLOW_TRACKING_USERNAME'];
    throw BerthError.invalidParameterValue(
      `${set} is set but ${unset} is not, so no credentials would be sent (Basic auth needs both).`,
      {
        suggestions: [`Set ${unset} as well, or unset ${set} (a token goes in BERTH_TOKEN or MLFLOW_TRACKING_TOKEN).`],
      },
    );
  }
  return {};
}

function bearer(token: string, source: string): Credentials {
  const trimmed = token.trim();
  // A header value cannot hold a line break; fetch would throw a TypeError that quotes nothing useful.
  if (trimmed === '' || /[\r\n\0]/.test(trimmed)) {
    throw BerthError.invalidParameterValue(
      `The token in ${source} is ${trimmed === '' ? 'empty' : 'not one line of text'}; it cannot be sent as a bearer token.`,
      {
        suggestions: [
          `Put only the token in ${source} (berth serve prints it once on start, or reads it from --token-file).`,
        ],
      },
    );
  }
  return { authorization: `Bearer ${trimmed}`, source };
}

async function readTokenFile(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    const reason = (cause as NodeJS.ErrnoException).code ?? (cause as Error).message;
    throw BerthError.invalidParameterValue(`BERTH_TOKEN_FILE names ${path}, which cannot be read (${reason}).`, {
      cause,
      suggestions: [
        'Point BERTH_TOKEN_FILE at the file that holds the token (the file given to berth serve --token-file).',
      ],
    });
  }
}
