// The one rule for an email address, for every way one enters the service: TRUSTID registration and login, Moodle
// sync, manual approval, and the partner API's student sessions. Two rules let the partner API create invited
// accounts (zoë@..., a..b@..., "q"@..., a@bücher.de) that registration then refused, so their students could never
// claim them. zod's email format: ASCII, no quoted local parts, no consecutive dots, a dotted domain.
import { z } from "zod";

export const MAX_EMAIL_LENGTH = 254;

/** The email format as a zod schema (the routes' `Email` adds trimming and lower-casing). */
export const emailFormat = (message?: string) => z.email(message).max(MAX_EMAIL_LENGTH);

const valid = emailFormat();
export const isEmail = (email: string) => valid.safeParse(email).success;
