// Local wall-clock times to instants. The original TRUSTID backend (Django, USE_TZ) read a date-time sent
// without a UTC offset in its configured time zone; here that zone is the institution's (institutions.time_zone).

/** A date-time without offset: 2026-06-01T09:00, 2026-06-01 09:00:00, 2026-06-01T09:00:00.250. */
export const LOCAL_DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/;

const formatters = new Map<string, Intl.DateTimeFormat>();
function formatter(timeZone: string) {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isTimeZone(timeZone: string): boolean {
  try {
    formatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** The zone's offset from UTC at an instant, in ms (positive east of Greenwich). */
function offsetAt(timeZone: string, instant: number): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(timeZone).formatToParts(new Date(instant))) if (p.type !== "literal") parts[p.type] = Number(p.value);
  const asUtc = Date.UTC(parts.year!, parts.month! - 1, parts.day!, parts.hour!, parts.minute!, parts.second!);
  return asUtc - Math.floor(instant / 1000) * 1000;
}

/**
 * The instant a local date-time names in a time zone, or null when the text is not one or names no real
 * time (month 13, Feb 30). A time skipped by a daylight-saving change is read with the offset before it; a
 * repeated one as its first occurrence (what Python's zoneinfo does with fold=0).
 */
export function localToInstant(text: string, timeZone: string): number | null {
  const m = LOCAL_DATE_TIME.exec(text.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1, 7).map((v) => Number(v ?? 0)) as [number, number, number, number, number, number];
  const ms = m[7] ? Number(m[7].slice(0, 3).padEnd(3, "0")) : 0;
  const wall = Date.UTC(y, mo - 1, d, h, mi, s, ms);
  const check = new Date(wall);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return null;
  // The offsets a day before and after (a zone changes offset at most once around a given time): a reading
  // is real when the zone has that offset at the instant it gives. Both real: a repeated hour (take the
  // first); neither: a skipped hour (read with the offset before).
  const before = offsetAt(timeZone, wall - 24 * 3600_000);
  const after = offsetAt(timeZone, wall + 24 * 3600_000);
  const real = [wall - before, wall - after].filter((t, i) => offsetAt(timeZone, t) === (i === 0 ? before : after));
  return real.length > 0 ? Math.min(...real) : wall - before;
}
