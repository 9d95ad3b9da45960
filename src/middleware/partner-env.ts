// The Hono environment of the partner API (/api/v3): the TRUSTID one plus what partner-params and
// partner-auth establish.
import type { Context } from "hono";
import type { Db } from "../db/client";
import { dbOf } from "../db/context";
import type { PendingNonce } from "../services/partner/nonces";
import type { Params } from "../services/partner/signature";
import type { AppEnv } from "../types";

export type PartnerEnv = {
  Bindings: AppEnv["Bindings"];
  Variables: AppEnv["Variables"] & {
    /** Every parameter: query, body (JSON or form) and path, as signed. */
    partnerParams: Params;
    /** The JSON body's numbers as the client wrote them (`60.0`), which is what it signed. */
    partnerNumberTexts: Record<string, string>;
    /** The authenticated caller's institution. */
    partnerInstitutionId: number;
    /** The request's nonce: already used up, unless the route uses it up in the batch of its first reads (partner-auth). */
    partnerNonce: PendingNonce;
  };
};

/** The request's database handle (as db/context's dbOf, for the partner environment). */
export function partnerDb(c: Context<PartnerEnv>): Db {
  return dbOf(c);
}
