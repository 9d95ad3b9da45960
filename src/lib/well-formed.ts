// Whether a string is Unicode text: JSON can escape half of a surrogate pair alone ("\ud800"), which no encoding
// of text can hold (the database stores it as U+FFFD). String.prototype.isWellFormed does this, but ES2023's
// types (tsconfig's lib) lack it.
const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export const isWellFormed = (s: string) => !UNPAIRED_SURROGATE.test(s);

/** The message for a value that is not: the same words on the TRUSTID and partner APIs. */
export const NOT_WELL_FORMED = "Contains half of a UTF-16 surrogate pair (a lone \\uD800-\\uDFFF escape): not valid text.";
