// Reads single entries out of a .zip (a .nupkg is one) without loading the archive into memory: the central
// directory gives each entry's offset, the entry is streamed through zlib's raw inflate to a file. The CUDA
// provider package is ~300 MB with a ~300 MB entry, so libraries that read the whole archive into memory
// (adm-zip) would hold both. Stored and deflated entries; no ZIP64 (the packages stay far below 4 GB).
import { createReadStream, createWriteStream } from 'node:fs';
import { open, writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createInflateRaw } from 'node:zlib';

export interface ZipEntry {
  name: string;
  method: number;
  compressedSize: number;
  size: number;
  localHeaderOffset: number;
}

export async function listZip(file: string): Promise<ZipEntry[]> {
  const fh = await open(file, 'r');
  try {
    const { size } = await fh.stat();
    const tailLen = Math.min(size, 65_557); // EOCD (22 bytes) + the longest comment
    const tailBytes = new Uint8Array(tailLen);
    await fh.read(tailBytes, 0, tailLen, size - tailLen);
    const tail = new DataView(tailBytes.buffer);
    let eocd = -1;
    for (let i = tailLen - 22; i >= 0; i--) if (tail.getUint32(i, true) === 0x06054b50) { eocd = i; break; }
    if (eocd < 0) throw new Error(`${file} is not a zip archive (no end-of-central-directory record)`);
    const count = tail.getUint16(eocd + 10, true);
    const cdSize = tail.getUint32(eocd + 12, true);
    const cdOffset = tail.getUint32(eocd + 16, true);
    if (cdOffset === 0xffffffff || count === 0xffff) throw new Error(`${file} is a ZIP64 archive, which is not supported`);
    const cdBytes = new Uint8Array(cdSize);
    await fh.read(cdBytes, 0, cdSize, cdOffset);
    const cd = new DataView(cdBytes.buffer);
    const utf8 = new TextDecoder();
    const entries: ZipEntry[] = [];
    let p = 0;
    for (let i = 0; i < count; i++) {
      if (p + 46 > cdSize || cd.getUint32(p, true) !== 0x02014b50) throw new Error(`${file}: broken central directory at entry ${i}`);
      const nameLen = cd.getUint16(p + 28, true);
      const extraLen = cd.getUint16(p + 30, true);
      const commentLen = cd.getUint16(p + 32, true);
      entries.push({
        name: utf8.decode(cdBytes.subarray(p + 46, p + 46 + nameLen)),
        method: cd.getUint16(p + 10, true),
        compressedSize: cd.getUint32(p + 20, true),
        size: cd.getUint32(p + 24, true),
        localHeaderOffset: cd.getUint32(p + 42, true),
      });
      p += 46 + nameLen + extraLen + commentLen;
    }
    return entries;
  } finally {
    await fh.close();
  }
}

/** Writes one entry's bytes to `dest`. */
export async function extractZipEntry(file: string, entry: ZipEntry, dest: string): Promise<void> {
  const fh = await open(file, 'r');
  const headerBytes = new Uint8Array(30);
  try {
    await fh.read(headerBytes, 0, 30, entry.localHeaderOffset);
  } finally {
    await fh.close();
  }
  const header = new DataView(headerBytes.buffer);
  if (header.getUint32(0, true) !== 0x04034b50) throw new Error(`${file}: broken local header for ${entry.name}`);
  const start = entry.localHeaderOffset + 30 + header.getUint16(26, true) + header.getUint16(28, true);
  if (entry.method !== 0 && entry.method !== 8) throw new Error(`${file}: ${entry.name} uses compression method ${entry.method} (only stored and deflated are supported)`);
  if (entry.compressedSize === 0) return writeFile(dest, new Uint8Array(0));
  const src = createReadStream(file, { start, end: start + entry.compressedSize - 1 });
  if (entry.method === 8) await pipeline(src, createInflateRaw(), createWriteStream(dest));
  else await pipeline(src, createWriteStream(dest));
}
