// A small client of Postmark's documented HTTP JSON mail API ("Send a single email":
// POST {base}/email with the server token in X-Postmark-Server-Token; 200 with ErrorCode 0 when accepted,
// 422 with ErrorCode and Message when refused). Any service speaking that protocol works: the base URL
// is a setting (MAIL_API_URL). Tested against test/support/fake-mail.ts.

export type MailSenderOptions = { baseUrl: string; serverToken: string; from: string; timeoutMs: number };
export type Mail = { to: string; subject: string; text: string };
export type MailResult = { ok: true; messageId: string } | { ok: false; error: string };

export async function sendMail(opts: MailSenderOptions, mail: Mail): Promise<MailResult> {
  let res: Response;
  try {
    res = await fetch(`${opts.baseUrl.replace(/\/+$/, "")}/email`, {
      method: "POST",
      headers: { accept: "application/json", "content-type": "application/json", "x-postmark-server-token": opts.serverToken },
      body: JSON.stringify({ From: opts.from, To: mail.to, Subject: mail.subject, TextBody: mail.text, MessageStream: "outbound" }),
      signal: AbortSignal.timeout(opts.timeoutMs),
    });
  } catch (e) {
    return { ok: false, error: `mail service unreachable: ${e instanceof Error ? e.name : "error"}` };
  }
  let body: { ErrorCode?: unknown; Message?: unknown; MessageID?: unknown } = {};
  try {
    body = (await res.json()) as typeof body;
  } catch {
    // a non-JSON answer is reported below by its status
  }
  if (res.ok && body.ErrorCode === 0 && typeof body.MessageID === "string") return { ok: true, messageId: body.MessageID };
  return { ok: false, error: `mail service answered ${res.status}${typeof body.Message === "string" ? `: ${body.Message.slice(0, 200)}` : ""}` };
}
