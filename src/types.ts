// The Hono environment shared by every route and middleware.
import type { Bindings } from "./env";
import type { AccessClaims } from "./lib/jwt";

export type Caller = {
  userId: number;
  role: AccessClaims["role"];
  institutionId: number;
  institutionCode: string;
};

/** The instructor or student a service acts for: the verified caller's user and institution. */
export type Person = Pick<Caller, "userId" | "institutionId">;

export type AppEnv = {
  Bindings: Bindings;
  Variables: {
    requestId: string;
    /** Request time in ms, read once so a request sees one consistent "now". */
    now: number;
    caller: Caller;
  };
};
