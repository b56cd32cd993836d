/**
 * Telling binary content (an image, an archive, a PDF) from text, so that text signatures are not run
 * over compressed bytes: random bytes spell `;`, `|`, `$(`, `<?` and `/*` often enough that every
 * second 128 KiB PNG looked like command injection. A value counts as binary only when it is declared
 * binary AND holds a NUL early on (git's test), so declaring `image/png` alone hides no text payload.
 */

/** Media types whose bodies are bytes, not text. */
const BINARY_MEDIA =
  /^(?:image|audio|video|font)\/|^application\/(?:octet-stream|pdf|zip|gzip|x-gzip|x-tar|x-7z-compressed|x-bzip2|x-xz|zstd|wasm|java-archive|msword|x-protobuf|protobuf|grpc(?:\+proto)?|x-msgpack|msgpack|cbor|vnd\.[\w.+-]+)$/;

/** `image/png`, `application/octet-stream`, ... (lower case, without parameters); not `+xml`/`+json`. */
export function isBinaryMedia(mediaType: string): boolean {
  return BINARY_MEDIA.test(mediaType) && !mediaType.endsWith('+xml') && !mediaType.endsWith('+json');
}

/** Bytes scanned for a NUL (git reads 8000). */
const SNIFF_CHARS = 8192;

/** Declared binary and with a NUL in its first 8 KiB. */
export function isBinaryContent(mediaType: string, content: string): boolean {
  if (!isBinaryMedia(mediaType)) return false;
  const nul = content.indexOf('\u0000');
  return nul >= 0 && nul < SNIFF_CHARS;
}
