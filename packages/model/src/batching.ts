/**
 * Row-wise merging of requests for dynamic batching, and splitting the merged answer back.
 * Inputs merge only when they have the same kind and the same columns/tensor names and inner shapes.
 */
import { BerthError } from '@berth/core';
import {
  allocate,
  type Column,
  columnDType,
  type ModelInput,
  type ModelOutput,
  namedRecord,
  type Tensor,
  type TypedArray,
} from './model-data.js';

function concatValues(
  parts: Array<TypedArray | unknown[]>,
  dtype: Parameters<typeof allocate>[0],
): TypedArray | unknown[] {
  const total = parts.reduce((sum, part) => sum + part.length, 0);
  if (parts.every((part) => Array.isArray(part))) return ([] as unknown[]).concat(...(parts as unknown[][]));
  const target = allocate(dtype, total);
  let offset = 0;
  for (const part of parts) {
    if (Array.isArray(target)) for (let index = 0; index < part.length; index++) target[offset + index] = part[index];
    else
      (target as TypedArray & { set(source: ArrayLike<number | bigint>, offset: number): void }).set(
        part as ArrayLike<number>,
        offset,
      );
    offset += part.length;
  }
  return target;
}

function incompatible(reason: string): BerthError {
  return new BerthError(`Cannot batch these inputs together: ${reason}`, { code: 'INVALID_PARAMETER_VALUE' });
}

/** Rows per input, as `splitOutput` needs them. */
export function inputRowCount(input: ModelInput): number {
  if (input.kind === 'columns') return input.rowCount;
  const first = Object.values(input.tensors)[0];
  return first?.shape[0] ?? 1;
}

export function concatInputs(inputs: ModelInput[]): ModelInput {
  const first = inputs[0];
  if (first === undefined) throw incompatible('no inputs');
  if (inputs.length === 1) return first;
  if (first.kind === 'columns') {
    const frames = inputs.map((input) => {
      if (input.kind !== 'columns') throw incompatible('mixed frame and tensor inputs');
      if (
        input.columns.length !== first.columns.length ||
        input.columns.some((column, position) => column.name !== first.columns[position]?.name)
      ) {
        throw incompatible('different columns');
      }
      return input;
    });
    const columns: Column[] = first.columns.map((column, position) => {
      const dtype = columnDType(column);
      const parts = frames.map((frame) => {
        const part = frame.columns[position] as Column;
        if (columnDType(part) !== dtype) throw incompatible(`column ${column.name} has different types`);
        return part.values;
      });
      return { name: column.name, dtype, values: concatValues(parts, dtype) };
    });
    return { kind: 'columns', rowCount: frames.reduce((sum, frame) => sum + frame.rowCount, 0), columns };
  }
  const feeds = inputs.map((input) => {
    if (input.kind !== 'tensors') throw incompatible('mixed frame and tensor inputs');
    return input.tensors;
  });
  const tensors: Record<string, Tensor> = namedRecord();
  for (const [name, tensor] of Object.entries(first.tensors)) {
    const inner = tensor.shape.slice(1).join(',');
    const parts = feeds.map((feed) => {
      const part = feed[name];
      if (
        part === undefined ||
        part.dtype !== tensor.dtype ||
        part.shape.slice(1).join(',') !== inner ||
        part.shape.length === 0
      ) {
        throw incompatible(`tensor '${name}' differs in dtype or shape`);
      }
      return part;
    });
    const rows = parts.reduce((sum, part) => sum + (part.shape[0] ?? 0), 0);
    tensors[name] = {
      dtype: tensor.dtype,
      shape: [rows, ...tensor.shape.slice(1)],
      data: concatValues(
        parts.map((part) => part.data),
        tensor.dtype,
      ),
    };
  }
  if (feeds.some((feed) => Object.keys(feed).length !== Object.keys(first.tensors).length))
    throw incompatible('different tensor names');
  return { kind: 'tensors', tensors };
}

function sliceRows(tensor: Tensor, start: number, count: number): Tensor {
  let perRow = 1;
  for (const dimension of tensor.shape.slice(1)) perRow *= dimension;
  return {
    dtype: tensor.dtype,
    shape: [count, ...tensor.shape.slice(1)],
    data: tensor.data.slice(start * perRow, (start + count) * perRow),
  };
}

export function splitOutput(output: ModelOutput, rowCounts: number[]): ModelOutput[] {
  const total = rowCounts.reduce((sum, count) => sum + count, 0);
  if (output.kind === 'json') {
    if (!Array.isArray(output.value) || output.value.length !== total) {
      throw new BerthError(`Cannot split a batched prediction: expected a list of ${total} rows from the model.`, {
        code: 'INTERNAL_ERROR',
      });
    }
    let offset = 0;
    return rowCounts.map((count) => {
      const value = (output.value as unknown[]).slice(offset, offset + count);
      offset += count;
      return { kind: 'json', value };
    });
  }
  for (const [name, tensor] of Object.entries(output.tensors)) {
    if (tensor.shape[0] !== total) {
      throw new BerthError(
        `Cannot split a batched prediction: output '${name}' has ${tensor.shape[0]} rows, expected ${total}.`,
        {
          code: 'INTERNAL_ERROR',
        },
      );
    }
  }
  let offset = 0;
  return rowCounts.map((count) => {
    const tensors: Record<string, Tensor> = namedRecord();
    for (const [name, tensor] of Object.entries(output.tensors)) tensors[name] = sliceRows(tensor, offset, count);
    offset += count;
    return { kind: 'tensors', orientation: output.orientation, tensors };
  });
}
