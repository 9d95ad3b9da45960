import { describe, expect, it } from "vitest";
import { summarizeAlerts } from "../../src/routes/exam-views";
import { alertsFor, deviceReportToResult, faceMatchOf } from "../../src/services/monitoring/results";
import { faceOutcomeToResult, looksLikeImage } from "../../src/services/monitoring/face";
import type { FaceMatch } from "../../src/services/biometrics/face";
import { encodeParams } from "../../src/services/moodle";
import { compilePattern, forbiddenAmong, normalizePatterns, parseProcessList, policyOf, splitProcessText } from "../../src/services/process-policy";

describe("process policy", () => {
  it("matches case-insensitive wildcards against the name or its file name", () => {
    expect(compilePattern("team?iewer*").test("teamviewer_service.exe")).toBe(true);
    expect(compilePattern("a.b").test("axb")).toBe(false); // dots are literal
    expect(compilePattern("(x)+[y]").test("(x)+[y]")).toBe(true);
    // Without the default list (policyOf's second argument), only the given patterns.
    const only = (patterns: string[]) => policyOf(patterns, []);
    expect(forbiddenAmong(["C:\\Program Files\\AnyDesk\\AnyDesk.exe", "/usr/bin/obs", "chrome"], only(["anydesk.exe", "obs"]))).toEqual([
      "C:\\Program Files\\AnyDesk\\AnyDesk.exe",
      "/usr/bin/obs",
    ]);
    expect(forbiddenAmong(["X.exe", "x.EXE", " x.exe "], only(["x.exe"]))).toEqual(["X.exe"]);
    expect(forbiddenAmong(["anything"], only([]))).toEqual([]);
  });

  it("matches as the wildcard's regular expression would, in one pass however many stars (a probe's pattern froze the service)", () => {
    // Reference: the RegExp this matcher replaced, on short names where its backtracking is harmless.
    const reference = (p: string) => new RegExp(`^${p.split("").map((ch) => (ch === "*" ? ".*" : ch === "?" ? "." : ch.replace(/[.+^${}()|[\]\\]/g, "\\$&"))).join("")}$`, "s");
    let seed = 7;
    const pick = (alphabet: string) => alphabet[(seed = (seed * 1103515245 + 12345) >>> 0) % alphabet.length]!;
    for (let n = 0; n < 3000; n++) {
      const pattern = Array.from({ length: 1 + (n % 9) }, () => pick("ab*?.")).join("");
      const name = Array.from({ length: n % 13 }, () => pick("ab.\n")).join("");
      expect(compilePattern(pattern).test(name), `${pattern} ~ ${JSON.stringify(name)}`).toBe(reference(pattern).test(name));
    }
    const long = "x".repeat(99) + "*";
    expect(compilePattern(long).test("x".repeat(99) + "yz")).toBe(true);
    expect(compilePattern("*" + "?".repeat(98) + "b").test("a".repeat(200) + "b")).toBe(true);
    // As the RegExp, these never finished in the test's time: 49 stars (a 100-character pattern) against 260 `a`s.
    const stars = "*a".repeat(49) + "b";
    expect(compilePattern(stars).test("a".repeat(260))).toBe(false);
    expect(forbiddenAmong(Array.from({ length: 500 }, (_, i) => "a".repeat(259) + String.fromCharCode(99 + (i % 20))), policyOf(Array(200).fill(stars), []))).toEqual([]);
  });

  it("normalises patterns and refuses useless or oversized ones", () => {
    expect(normalizePatterns([" AnyDesk* ", "anydesk*", "zoom.exe"])).toEqual(["anydesk*", "zoom.exe"]);
    expect(() => normalizePatterns(["**"])).toThrow();
    // Exemptions from the default list: "!pattern", "!*" for all of it; "!" alone or "!!x" mean nothing.
    expect(normalizePatterns(["!*", " !OBS* "])).toEqual(["!*", "!obs*"]);
    expect(() => normalizePatterns(["!"])).toThrow();
    expect(() => normalizePatterns(["!!x"])).toThrow();
    expect(() => normalizePatterns([""])).toThrow();
    expect(() => normalizePatterns(["a\u0000b"])).toThrow();
    expect(() => normalizePatterns(Array.from({ length: 201 }, (_, i) => `p${i}`))).toThrow();
  });

  it("reads process lists given as arrays or separated strings, within bounds", () => {
    expect(parseProcessList("a.exe, b.exe\r\nc.exe,,\n")).toEqual(["a.exe", "b.exe", "c.exe"]);
    expect(parseProcessList(undefined)).toEqual([]);
    expect(parseProcessList("set()")).toEqual([]);
    expect(parseProcessList("frozenset({'a.exe'})")).toEqual(["a.exe"]);
    expect(parseProcessList("('a.exe',)")).toEqual(["a.exe"]);
    expect(parseProcessList("a.exe;b.exe\tc.exe")).toEqual(["a.exe", "b.exe", "c.exe"]);
    expect(parseProcessList("Google Chrome, My App")).toEqual(["Google Chrome", "My App"]);
    expect(parseProcessList(`'it\\'s.exe', "b.exe"`)).toEqual(["it's.exe", "b.exe"]);
    // Read in one pass: 150,000 characters of escaped quotes took the regular expression that read them 32-39 s.
    expect(splitProcessText(`"a` + `\\"a`.repeat(50_000))).toBeNull();
    expect(parseProcessList(`['a\\\\', "b"]`)).toEqual(["a\\", "b"]);
    // Backslashes are literal in a CSV row of Windows paths (a probe's AnyDesk path lost them and escaped the defaults);
    // a text with doubled backslashes was escaped by its encoder (Python's str(), JSON); CSV's doubled quote is one.
    expect(parseProcessList(`"C:\\Program Files\\AnyDesk\\AnyDesk.exe","C:\\Windows\\notepad.exe"`)).toEqual(["C:\\Program Files\\AnyDesk\\AnyDesk.exe", "C:\\Windows\\notepad.exe"]);
    expect(forbiddenAmong(parseProcessList(`"C:\\Program Files\\AnyDesk\\AnyDesk.exe"`), policyOf(["anydesk*"], []))).toHaveLength(1);
    expect(parseProcessList(`['C:\\\\Program Files\\\\AnyDesk\\\\AnyDesk.exe', 'a\\tb.exe', 'caf\\xe9.exe', '\\u00e9.exe']`)).toEqual(["C:\\Program Files\\AnyDesk\\AnyDesk.exe", "a\tb.exe", "café.exe", "é.exe"]);
    expect(parseProcessList(`"say ""hi"".exe", "b.exe"`)).toEqual(['say "hi".exe', "b.exe"]);
    // Characters are counted as characters: an emoji is one.
    expect(() => parseProcessList(["😀".repeat(150)])).not.toThrow();
    expect(() => parseProcessList(["😀".repeat(261)])).toThrow();
    expect(normalizePatterns(["😀".repeat(51)])).toHaveLength(1);
    expect(compilePattern("?.exe").test("😀.exe")).toBe(true);
    expect(compilePattern("x??").test("x😀")).toBe(false);
    expect(() => parseProcessList(Array.from({ length: 501 }, () => "p"))).toThrow();
    expect(() => parseProcessList(["x".repeat(261)])).toThrow();
  });
});

describe("identification_result: a picture or the device's own result", () => {
  it("takes every data: URI a picture field takes as a picture (a probe's octet-stream one was a false face_mismatch)", () => {
    for (const v of ["data:image/jpeg;base64,/9j/", "DATA:IMAGE/PNG;BASE64,iVBO", "data:application/octet-stream;base64,/9j/", "A".repeat(300)]) expect(looksLikeImage(v), v).toBe(true);
    for (const v of ["match", "no_match", "12", "data:text/plain,hello"]) expect(looksLikeImage(v), v).toBe(false);
  });
});

describe("monitoring results -> alerts", () => {
  const student = { userId: 7, email: "ann@example.org" };

  it("reads face_rec_result as strings, never across types", () => {
    expect(faceMatchOf("Match", student)).toBe(true);
    expect(faceMatchOf("ANN@example.org", student)).toBe(true);
    expect(faceMatchOf("7", student)).toBe(true);
    expect(faceMatchOf("8", student)).toBe(false);
    expect(faceMatchOf("unknown", student)).toBe(false);
    expect(faceMatchOf("  ", student)).toBeUndefined();
    // What clients write (a probe's "success" and Python's str(None) both raised face_mismatch).
    for (const yes of ["success", "Passed"]) expect(faceMatchOf(yes, student)).toBe(true);
    for (const none of ["None", "null", "undefined", "NaN"]) expect(faceMatchOf(none, student)).toBeUndefined();
  });

  it("raises one alert per problem; errors replace the checks they broke", () => {
    expect(alertsFor({ faceDetected: true, faceMatch: true, voiceDetected: true, voiceMatch: true }, [])).toEqual([]);
    // A report naming hundreds of forbidden processes raises 20 of them and one "more" alert (a probe's raised 500).
    const many = alertsFor({}, Array.from({ length: 500 }, (_, i) => `anydesk${i}.exe`));
    expect(many).toHaveLength(21);
    expect(many.at(-1)).toEqual({ reason: "forbidden_process", detail: "(more forbidden processes)" });
    // The summary lists at most 10 details per reason, most frequent first.
    const timeline = Array.from({ length: 15 }, (_, i) => ({ reason: "forbidden_process", detail: `p${i}.exe`, occurrences: i + 1 }));
    expect(summarizeAlerts(timeline as never)).toBe(`forbidden_process: ${Array.from({ length: 10 }, (_, i) => `p${14 - i}.exe (${15 - i}x)`).join(", ")}, and 5 more`);
    expect(alertsFor({ faceDetected: false, faceMatch: false }, [])).toEqual([{ reason: "no_face", detail: null }]);
    expect(alertsFor({ multipleFaces: true, faceMatch: false }, [])).toEqual([{ reason: "multiple_faces", detail: null }]);
    expect(alertsFor({ faceError: "", faceDetected: false }, ["AnyDesk.exe"])).toEqual([
      { reason: "client_error", detail: "face: unspecified error" },
      { reason: "forbidden_process", detail: "anydesk.exe" },
    ]);
    expect(alertsFor({ voiceDetected: false, voiceMatch: false }, [])).toEqual([]);
    const r = deviceReportToResult({ is_error_occurred: false, error_type: "ignored", is_voice_detected: true, is_voice_verified: false }, student);
    expect(alertsFor(r, [])).toEqual([{ reason: "voice_mismatch", detail: null }]);
  });

  it("a student with nothing registered to compare with is template_missing, not a device error", () => {
    expect(alertsFor(faceOutcomeToResult({ outcome: "not_enrolled" } as FaceMatch), [])).toEqual([{ reason: "template_missing", detail: "face: not_enrolled" }]);
    expect(alertsFor(faceOutcomeToResult({ outcome: "reenrolment_required" } as FaceMatch), [])).toEqual([
      { reason: "template_missing", detail: "face: reenrolment_required" },
    ]);
    expect(alertsFor({ voiceTemplate: "not_enrolled" }, [])).toEqual([{ reason: "template_missing", detail: "voice: not_enrolled" }]);
    // A device that reports its own error called "not_enrolled" is still the device's error.
    const device = deviceReportToResult({ is_error_occurred: true, error_type: "not_enrolled" }, student);
    expect(alertsFor(device, [])).toEqual([{ reason: "client_error", detail: "face: not_enrolled" }]);
  });

  it("summarises a timeline into a short list of reasons", () => {
    const at = "2030-01-01T00:00:00.000Z";
    const a = (reason: string, detail: string | null, occurrences: number) => ({ reason, detail, occurrences, first_seen_at: at, last_seen_at: at });
    expect(summarizeAlerts([a("no_face", null, 3), a("forbidden_process", "x.exe", 1), a("no_face", null, 2)])).toBe(
      "no_face (5x); forbidden_process: x.exe (1x)",
    );
    expect(summarizeAlerts([])).toBe("");
  });
});

describe("Moodle parameter encoding", () => {
  it("writes nested arrays and objects the way Moodle reads them", () => {
    expect(decodeURIComponent(encodeParams({ options: { ids: [2, 3] }, field: "email", values: ["a@b.c"], flag: true }).toString())).toBe(
      "options[ids][0]=2&options[ids][1]=3&field=email&values[0]=a@b.c&flag=1",
    );
  });
});
