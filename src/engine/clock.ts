// ISO times for events, made cheaply. Every task run records three of them, and `Date#toISOString` costs
// about as much as the rest of a no-op task run's bookkeeping. The text is written into a buffer (one
// flat string comes out, cheap to write into journal lines), and only what changed is rewritten: the
// milliseconds, or the whole date when the second differs (a submitted run's creation time can be from a
// second before its other states', so the date is worked out by arithmetic, not cached once).

const text = Buffer.from("0000-00-00T00:00:00.000Z", "latin1");
let second = NaN;
let lastMs = NaN;
let last = "";

/** `new Date(ms).toISOString()`, for the times the engine records. */
export function isoTime(ms: number = Date.now()): string {
  if (ms === lastMs) return last;
  const s = Math.floor(ms / 1000);
  if (s !== second) {
    if (!Number.isInteger(ms) || !writeSecond(s)) return new Date(ms).toISOString();
    second = s;
  }
  const milli = ms - s * 1000;
  digits(20, 3, milli);
  lastMs = ms;
  last = text.toString("latin1");
  return last;
}

/** Writes the date and time of the second `s` (since 1970) into `text`; false outside years 0–9999. */
function writeSecond(s: number): boolean {
  const days = Math.floor(s / 86_400);
  const inDay = s - days * 86_400;
  // Days to a civil date (proleptic Gregorian), after Howard Hinnant's `civil_from_days`.
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  if (year < 0 || year > 9999) return false;
  digits(0, 4, year);
  digits(5, 2, month);
  digits(8, 2, day);
  digits(11, 2, Math.floor(inDay / 3600));
  digits(14, 2, Math.floor(inDay / 60) % 60);
  digits(17, 2, inDay % 60);
  return true;
}

function digits(at: number, count: number, value: number): void {
  for (let i = at + count - 1; i >= at; i--) {
    text[i] = 0x30 + (value % 10);
    value = Math.floor(value / 10);
  }
}
