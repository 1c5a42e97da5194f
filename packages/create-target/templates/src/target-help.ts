import { formatConfigHelp } from '@berth/core';
import { configSchema } from './__id__-config.js';

/** The text of `berth help -t __id__`: URI format, every config key (generated from the schema), details. */
export function targetHelp(): string {
  return `Target '__id__': __summary__

URIs
  __id__               state in $BERTH_HOME/__id__ (default ~/.berth/__id__)
  __id__:/path/to/dir  state in that folder

A model is a folder with model.json: {"columns": [...], "weights": [...], "bias": 0} (flavor 'linear').
Predictions are the dot product of each row with the weights, plus the bias.

Config keys (-C key=value)
${formatConfigHelp(configSchema)}
`;
}
