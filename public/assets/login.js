// The sign-in form both pages share (POST /backend/login). The form is plain HTML in each page; this wires
// it up: field errors are tied to their inputs with aria-describedby/aria-invalid, and a user of the
// wrong role is told which page is theirs instead of being signed in to a page they cannot use.
import { ApiError, signIn, signOut } from "./api.js";
import { busy, clearMessages, requireFilled, say } from "./ui.js";

/**
 * @param {HTMLFormElement} form  has inputs named email, password, organization and a submit button
 * @param {{role: "STUDENT" | "INSTRUCTOR", otherPage: string, onSignedIn: (user: any) => void}} options
 */
export function wireLogin(form, { role, otherPage, onSignedIn }) {
  const fields = ["email", "password", "organization"].map((n) => form.elements.namedItem(n));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearMessages();
    if (!requireFilled(fields)) return;
    // The password exactly as typed: the API and the claim form keep its spaces (a probe's account with a trailing
    // space could be set up but never signed in to here).
    const [email, password, organization] = fields.map((i, n) => (n === 1 ? i.value : i.value.trim()));
    const button = form.querySelector('button[type="submit"]');
    try {
      const user = await busy(button, "Signing in…", () => signIn(email, password, organization));
      if (!user || user.role !== role) {
        signOut();
        const which = role === "STUDENT" ? "students" : "instructors";
        say(`This page is for ${which}. You signed in with another kind of account; use ${otherPage} instead.`, "error");
        return;
      }
      fields[1].value = "";
      onSignedIn(user);
    } catch (e) {
      const text = e instanceof ApiError && e.status === 401 ? "The email, password or institution is not right." : e.message;
      say(text, "error");
      fields[1].focus();
    }
  });
}
