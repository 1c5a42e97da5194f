import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const examplesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../examples/models');
export const exampleModel = (name: string): string => path.join(examplesDir, name);
