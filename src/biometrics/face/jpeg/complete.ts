// Whether a JPEG file holds all of its image data. mozjpeg (the codec for pictures up to 8 MP) decodes a file
// that stops early without complaint, painting the missing part grey: an upload cut short on a student's flaky
// connection would be judged as a face that does not match. Every JPEG writer ends the file with the EOI
// marker after the last scan, so a file whose last scan runs to its end, or with no EOI after it, is refused.
import { entropyEnd, JpegError } from "./bits";

/** Throws JpegError when the file ends before its end-of-image marker. A few ms for 8 MP (one byte search). */
export function checkJpegComplete(d: Uint8Array): void {
  let p = 2;
  let scans = 0;
  while (p + 1 < d.length) {
    if (d[p] !== 0xff) {
      // Stray bytes between segments, which libjpeg skips with a warning: so do we.
      p = d.indexOf(0xff, p);
      if (p < 0) break;
      continue;
    }
    const m = d[p + 1]!;
    if (m === 0xff) {
      p++; // fill byte
      continue;
    }
    if (m === 0xd9) {
      if (scans === 0) throw new JpegError("the file has no image data");
      return;
    }
    if (m === 0xd8 || m === 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      p += 2;
      continue;
    }
    if (p + 4 > d.length) break;
    const end = p + 2 + ((d[p + 2]! << 8) | d[p + 3]!);
    if (end > d.length) break;
    if (m === 0xda) {
      scans++;
      p = entropyEnd(d, end);
    } else p = end;
  }
  throw new JpegError("the file ends before its image data does (the upload may have been cut short)");
}
