// Client-side checks that spare a round trip; the backend checks again and has the last word.

export const CONNECTION_NAME_MAX = 64;

/** The message to show under the Name field, or null when the name may be sent. */
export function validateConnectionName(raw: string): string | null {
  const name = raw.trim();
  if (!name) return "Enter a name for this connection.";
  if ([...name].length > CONNECTION_NAME_MAX)
    return `Use at most ${CONNECTION_NAME_MAX} characters (this one has ${[...name].length}).`;
  return null;
}

/** A loopback port the endpoint may move to: 1024–65535. */
export function validatePort(raw: string): string | null {
  const t = raw.trim();
  if (!/^\d+$/.test(t)) return "Enter a port number between 1024 and 65535.";
  const n = Number(t);
  if (n < 1024 || n > 65535) return "Enter a port number between 1024 and 65535.";
  return null;
}

/** A whole number within [min, max] for a retention field, or the message to show under it. */
export function validateWholeNumber(raw: string, min: number, max: number, what: string): string | null {
  const t = raw.trim().replace(/[,_\s]/g, "");
  const message = `Enter a number of ${what} from ${min.toLocaleString("en-US")} to ${max.toLocaleString("en-US")}.`;
  if (!/^\d+$/.test(t)) return message;
  const n = Number(t);
  return n < min || n > max ? message : null;
}

/** The number typed into a field checked by validateWholeNumber. */
export function wholeNumber(raw: string): number {
  return Number(raw.trim().replace(/[,_\s]/g, ""));
}

/** The port of a listen address such as "127.0.0.1:8742" or "[::1]:8742". */
export function portOf(listen: string | null | undefined): string {
  const m = /:(\d+)$/.exec(listen ?? "");
  return m ? m[1] : "";
}
