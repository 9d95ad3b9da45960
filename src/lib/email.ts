// The one rule for an email address, for every way one enters the service: TRUSTID registration and login, Moodle
// sync, manual approval, and the partner API's student sessions. Two rules let the partner API create invited
// accounts (zoë@..., a..b@..., "q"@..., a@bücher.de) that registration then refused, so their students could never
// claim them. zod's email format: ASCII, no quoted local parts, no consecutive dots, a dotted domain.
import { z } from "zod";

export const MAX_EMAIL_LENGTH = 254;

/**
 * The domain of the service's own accounts (the partner API's, services/partner/exams.ts): `.invalid` receives no
 * mail (RFC 2606). No person's address may be there, however it enters (a probe registered the partner API's
 * address first; another created it as a student through a course sync).
 */
export const SERVICE_EMAIL_DOMAIN = "trustid.invalid";

/** The email format as a zod schema (the routes' `Email` adds trimming and lower-casing). */
export const emailFormat = (message?: string) =>
  z
    .email(message)
    .max(MAX_EMAIL_LENGTH)
    .refine((e) => !e.toLowerCase().endsWith(`@${SERVICE_EMAIL_DOMAIN}`), `Addresses at ${SERVICE_EMAIL_DOMAIN} are reserved for the service's own accounts.`);

const valid = emailFormat();
export const isEmail = (email: string) => valid.safeParse(email).success;
