import type { ModelInput } from '@berth/model';

/** A short description of the input for "Failed to predict data '…'" (never the data itself). */
export function describeInput(input: ModelInput): string {
  if (input.kind === 'columns') {
    return `${input.rowCount} rows x ${input.columns.length} columns [${input.columns.map((column) => column.name).join(', ')}]`;
  }
  return Object.entries(input.tensors)
    .map(([name, tensor]) => `${name || '<unnamed>'}: ${tensor.dtype}[${tensor.shape.join(', ')}]`)
    .join('; ');
}
