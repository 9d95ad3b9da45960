// Texts shaped to make a regular expression backtrack (an audit of every pattern run on client input, 2026-12-07):
// each is answered at once, with the same answer as an ordinary text. Before, each of these took seconds to minutes
// of one isolate's CPU, stalling every other request on it.
import { describe, expect, it } from "vitest";
import { finiteNumber } from "../../src/biometrics/input-error";
import { imageBytesFromField } from "../../src/services/biometrics/face";
import { standardBase64, unpaddedBase64 } from "../../src/services/biometrics/samples";
import { looksLikeImage } from "../../src/services/monitoring/face";

describe("hostile texts", () => {
  it("a data: URI whose parameters are all '=' is refused (7 s at 95 characters, 85 s at 103)", () => {
    expect(() => imageBytesFromField("image", "data:image/png" + ";===".repeat(40) + "!")).toThrow();
    expect(imageBytesFromField("image", "data:image/png;name=a=b;base64,QUJD")).toEqual(new Uint8Array([65, 66, 67]));
  });

  it("a long run of digits that is no number is refused (25 s at 100,000 digits)", () => {
    expect(() => finiteNumber("f", "1".repeat(200_000) + "x", "cell")).toThrow(/not a finite number/);
    for (const ok of ["12", "-1.5", ".5", "3.", "1e-3", "+2E4"]) expect(finiteNumber("f", ok, "cell")).toBe(Number(ok));
    for (const bad of ["0x10", "1..2", "e5", "1e", "."]) expect(() => finiteNumber("f", bad, "cell")).toThrow();
  });

  it("a 9-million-character picture is a picture (the pattern overflowed its stack at 6 million)", () => {
    expect(looksLikeImage("A".repeat(9_000_000))).toBe(true);
    expect(looksLikeImage("A".repeat(300) + "==")).toBe(true);
    expect(looksLikeImage("A".repeat(199))).toBe(false);
    expect(looksLikeImage("A".repeat(300) + "!")).toBe(false);
  });

  it("base64 made standard in one pass: URL-safe characters, white space, unescaped '+' signs", () => {
    expect(standardBase64("ab-_ c\nd")).toBe("ab+/+cd");
    expect(standardBase64("ab+ c")).toBe("ab+c");
    expect(standardBase64("a\u00a0b\u2028c")).toBe("abc");
    expect(unpaddedBase64(standardBase64("QUJ\u00e9"))).toBeNull();
    expect(standardBase64("-_".repeat(4 * 1024 * 1024))).toHaveLength(8 * 1024 * 1024);
  });
});
