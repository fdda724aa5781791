import { isAppError } from "../api";

/** The sentence to show for a failed command. */
export function errorMessage(e: unknown): string {
  if (isAppError(e) && typeof e.message === "string" && e.message) return e.message;
  if (typeof e === "string" && e) return e;
  if (e instanceof Error && e.message) return e.message;
  return "Something went wrong. Try again.";
}

/** The input a failed command blames, if any. */
export function errorField(e: unknown): string | null {
  return isAppError(e) && typeof e.field === "string" && e.field ? e.field : null;
}
