// How the rest of the API Worker reaches a student's template object: one object per student of an
// institution, named "<institutionId>:<studentId>" from the verified caller. Every caller builds its stub here.
import { type Bindings, loadConfig, logConfigurationProblem } from "../env";
import { AppError } from "../lib/errors";
import type { Caller } from "../types";

export type TemplateOwner = { institutionId: number; studentId: number };

export const templateObjectName = (o: TemplateOwner) => `${o.institutionId}:${o.studentId}`;

export const ownerOf = (caller: Caller): TemplateOwner => ({ institutionId: caller.institutionId, studentId: caller.userId });

/** Whether templates can be stored here: the binding exists and the sealing secret is set. */
export const templateStoreAvailable = (env: Bindings) => Boolean(env.STUDENT_TEMPLATES && loadConfig(env).templateEncryptionKey);

/** The student's template object for biometric work; a 503 when this server cannot store templates. */
export function templatesOf(env: Bindings, owner: TemplateOwner) {
  if (!env.STUDENT_TEMPLATES || !templateStoreAvailable(env)) {
    // README: a Worker that lacks a required secret says which one in its log.
    logConfigurationProblem([env.STUDENT_TEMPLATES ? { setting: "TEMPLATE_ENCRYPTION_KEY", problem: "missing" } : { setting: "STUDENT_TEMPLATES", problem: "the Durable Object binding is missing" }]);
    throw new AppError(503, "Biometric templates are not available on this server");
  }
  return templateObject(env.STUDENT_TEMPLATES, owner);
}

/** The stub itself, for work that needs no sealing secret (rate limits, erasure). */
export function templateObject(ns: NonNullable<Bindings["STUDENT_TEMPLATES"]>, owner: TemplateOwner) {
  return ns.get(ns.idFromName(templateObjectName(owner)));
}
