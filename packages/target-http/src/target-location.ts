import { BerthError } from '@berth/core';

/** Which kind of server answers at the URI: Berth's (`berth serve`) or an MLflow AI Gateway. */
export type ServerKind = 'berth' | 'mlflow';
/** A kind, or `auto`: find out from the server's answers. */
export type ServerKindSetting = ServerKind | 'auto';

export const SERVER_KIND_SETTINGS: readonly ServerKindSetting[] = ['auto', 'berth', 'mlflow'];

/** Where the server is, read from the target URI. */
export interface TargetLocation {
  /** `http(s)://host:port[/base-path]`, without a trailing slash, query or fragment. */
  baseUrl: string;
  /** `?server=` of the URI, when given. */
  serverKind?: ServerKindSetting;
}

/**
 * Reads `http://host[:port][/base-path][?server=berth|mlflow]`. The URI is the server's base URL, as
 * MLflow's `http` target takes it; `?server=` is Berth's addition, because list, get and predict
 * receive no `-C` config and a URI must be able to say it is an MLflow gateway on its own.
 */
export function parseTargetLocation(targetUri: string): TargetLocation {
  let url: URL;
  try {
    url = new URL(targetUri);
  } catch {
    throw invalidUri(targetUri, 'it is not a URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalidUri(targetUri, `its scheme is '${url.protocol.slice(0, -1)}', not http or https`);
  }
  if (url.hostname === '') throw invalidUri(targetUri, 'it names no host');
  if (url.username !== '' || url.password !== '') {
    // fetch refuses such URLs, and a target URI is printed in progress lines and errors.
    throw BerthError.invalidParameterValue(
      `The target URI ${url.protocol}//…@${url.host} carries credentials; Berth does not read them from the URI, because target URIs appear in output and logs.`,
      {
        suggestions: [
          'Remove the user:password@ part and set BERTH_TOKEN (or MLFLOW_TRACKING_TOKEN, or MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD) instead.',
        ],
      },
    );
  }
  const location: TargetLocation = { baseUrl: baseUrlOf(url) };
  for (const [key, value] of url.searchParams) {
    if (key !== 'server') {
      throw invalidUri(
        targetUri,
        `it has the query parameter '${key}'; the only one Berth reads is server=berth|mlflow`,
      );
    }
    location.serverKind = parseServerKindSetting(value, `the target URI's server=`);
  }
  return location;
}

/** `auto` | `berth` | `mlflow` (any case); anything else is INVALID_PARAMETER_VALUE naming where it came from. */
export function parseServerKindSetting(value: string, source: string): ServerKindSetting {
  const normalised = value.trim().toLowerCase();
  if ((SERVER_KIND_SETTINGS as readonly string[]).includes(normalised)) return normalised as ServerKindSetting;
  throw BerthError.invalidParameterValue(
    `Invalid ${source}${JSON.stringify(value)}: it must be one of ${SERVER_KIND_SETTINGS.join(', ')}.`,
    {
      suggestions: [
        "Use 'berth' for a server started with 'berth serve', 'mlflow' for an MLflow AI Gateway, or 'auto' (the default) to tell from its answers.",
      ],
    },
  );
}

function baseUrlOf(url: URL): string {
  const path = url.pathname.replace(/\/+$/, '');
  return `${url.protocol}//${url.host}${path}`;
}

function invalidUri(targetUri: string, why: string): BerthError {
  return BerthError.invalidParameterValue(`Invalid target URI '${targetUri}': ${why}.`, {
    suggestions: [
      "Give the server's base URL, e.g. -t http://127.0.0.1:5000 (add ?server=mlflow for an MLflow AI Gateway).",
    ],
  });
}
