/**
 * The Python type name (`type(value).__name__`) of a value decoded from JSON, as MLflow's messages
 * name it: `NoneType`, `list`, `int`, `float`, `str`, `bool`, `dict`. A whole-number float decodes
 * to a JS integer, so `1.0` is named `int` (JSON cannot tell them apart once parsed).
 */
export function pythonTypeName(value: unknown): string {
  if (value === null || value === undefined) return 'NoneType';
  if (Array.isArray(value)) return 'list';
  switch (typeof value) {
    case 'number':
      return Number.isInteger(value) ? 'int' : 'float';
    case 'bigint':
      return 'int';
    case 'string':
      return 'str';
    case 'boolean':
      return 'bool';
    default:
      return 'dict';
  }
}

/** `type(value)` as Python prints it: `<class 'int'>`. */
export function pythonClass(value: unknown): string {
  return `<class '${pythonTypeName(value)}'>`;
}
