// A minimal ustar writer: what the Docker Engine API takes for image imports and container uploads.
// Entries carry their own mode and owner, so an image's data folder can belong to its user.

export interface TarEntry {
  /** Path inside the archive, without a leading slash (`etc/passwd`). */
  path: string;
  type: "file" | "dir" | "symlink";
  /** File content (files). */
  content?: Buffer | string;
  /** Symlink target (symlinks). */
  target?: string;
  mode?: number;
  uid?: number;
  gid?: number;
}

function octal(n: number, width: number): string {
  return n.toString(8).padStart(width - 1, "0") + "\0";
}

function header(e: TarEntry, size: number): Buffer {
  const h = Buffer.alloc(512);
  let name = e.type === "dir" && !e.path.endsWith("/") ? `${e.path}/` : e.path;
  let prefix = "";
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf("/", name.length - 2);
    prefix = name.slice(0, cut);
    name = name.slice(cut + 1);
    if (Buffer.byteLength(name) > 100 || Buffer.byteLength(prefix) > 155) throw new Error(`path too long for ustar: ${e.path}`);
  }
  h.write(name, 0, 100);
  h.write(octal(e.mode ?? (e.type === "dir" ? 0o755 : e.type === "symlink" ? 0o777 : 0o644), 8), 100);
  h.write(octal(e.uid ?? 0, 8), 108);
  h.write(octal(e.gid ?? 0, 8), 116);
  h.write(octal(size, 12), 124);
  h.write(octal(0, 12), 136); // mtime: the epoch, so equal inputs give equal archives
  h.write("        ", 148); // checksum placeholder
  h.write(e.type === "dir" ? "5" : e.type === "symlink" ? "2" : "0", 156);
  if (e.target) h.write(e.target, 157, 100);
  h.write("ustar\0", 257);
  h.write("00", 263);
  h.write(prefix, 345, 155);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(octal(sum, 7) + " ", 148);
  return h;
}

export function tar(entries: readonly TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const body = e.type === "file" ? Buffer.from(e.content ?? "") : Buffer.alloc(0);
    parts.push(header(e, body.length), body);
    const pad = (512 - (body.length % 512)) % 512;
    if (pad) parts.push(Buffer.alloc(pad));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}
