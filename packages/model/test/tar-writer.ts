/** Writes raw .tar.gz bytes with arbitrary entry names and link targets (to craft malicious archives). */
import { gzipSync } from 'node:zlib';

export interface RawEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'hardlink';
  content?: string;
  linkname?: string;
}

function header(entry: RawEntry, size: number): Buffer {
  const block = Buffer.alloc(512);
  const write = (text: string, offset: number, length: number) =>
    block.write(text.slice(0, length), offset, length, 'utf8');
  const octal = (value: number, length: number) => value.toString(8).padStart(length - 1, '0');
  write(entry.name, 0, 100);
  write(`${octal(entry.type === 'directory' ? 0o755 : 0o644, 8)}\0`, 100, 8);
  write(`${octal(0, 8)}\0`, 108, 8);
  write(`${octal(0, 8)}\0`, 116, 8);
  write(`${octal(size, 12)}\0`, 124, 12);
  write(`${octal(1_700_000_000, 12)}\0`, 136, 12);
  const flag = { file: '0', directory: '5', symlink: '2', hardlink: '1' }[entry.type ?? 'file'];
  write(flag, 156, 1);
  write(entry.linkname ?? '', 157, 100);
  write('ustar\0', 257, 6);
  write('00', 263, 2);
  block.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  return block;
}

export function makeTarGz(entries: RawEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const content = Buffer.from(entry.content ?? '');
    const size = entry.type === undefined || entry.type === 'file' ? content.length : 0;
    parts.push(header(entry, size));
    if (size > 0) {
      parts.push(content, Buffer.alloc((512 - (size % 512)) % 512));
    }
  }
  parts.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(parts));
}
