// An invited student's first visit: claim the account that an instructor's course sync or an institution's
// system created for their email (POST /backend/register_user with the invitation token), then sign in.
// The invitation mail links here with the email, institution code and token in the URL's fragment
// (`/enrol/#claim?email=...&organization=...&token=...`): browsers never send a fragment to a server, so
// the token stays out of server and proxy logs, and it is removed from the address bar once read so that
// it does not stay in the browser's history.
import { ApiError, claimInvitedAccount, signIn } from "../assets/api.js";
import { busy, byId, clearMessages, requireFilled, say, showFieldError } from "../assets/ui.js";

const MIN_PASSWORD = 8; // the API's own minimum (register_user)

/** The claim link's values, or null when the page was not opened from one. */
function readClaimLink() {
  if (!location.hash.startsWith("#claim")) return null;
  const params = new URLSearchParams(location.hash.slice("#claim".length).replace(/^\?/, ""));
  history.replaceState(null, "", location.pathname + location.search);
  return { email: params.get("email") ?? "", organization: params.get("organization") ?? "", token: params.get("token") ?? "" };
}

/**
 * Wires the claim form (inputs named email, organization, token, name, surname, password). When the page
 * was opened from an invitation link, fills in what the link carries and returns true (the caller moves
 * focus to the form once the sign-in step is shown).
 * @param {HTMLFormElement} form
 * @param {{onSignedIn: (user: any) => void}} options
 * @returns {boolean}
 */
export function wireClaim(form, { onSignedIn }) {
  const input = (name) => /** @type {HTMLInputElement} */ (form.elements.namedItem(name));
  const fields = ["email", "organization", "token", "name", "surname", "password"].map(input);

  const link = readClaimLink();
  if (link) {
    input("email").value = link.email;
    input("organization").value = link.organization;
    input("token").value = link.token;
  }

  // A field's error goes as soon as the student changes that field.
  form.addEventListener("input", (event) => showFieldError(/** @type {HTMLInputElement} */ (event.target), ""));

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearMessages();
    if (!requireFilled(fields)) return;
    const password = input("password");
    if (password.value.length < MIN_PASSWORD) {
      showFieldError(password, `Use at least ${MIN_PASSWORD} characters.`);
      password.focus();
      return;
    }
    const [email, organization, token, name, surname] = fields.slice(0, 5).map((i) => i.value.trim());
    const button = form.querySelector('button[type="submit"]');
    try {
      const user = await busy(button, "Setting up…", async () => {
        await claimInvitedAccount({ email, organization, token, name, surname, password: password.value });
        return signIn(email, password.value, organization);
      });
      password.value = "";
      input("token").value = "";
      onSignedIn(user);
    } catch (e) {
      const fieldsInError = e instanceof ApiError ? [...(e.body?.bad_formatted_fields ?? []), ...(e.body?.missing_required_fields ?? [])] : [];
      if (fieldsInError.includes("invitation_token")) {
        showFieldError(input("token"), "This token is not right for this email, was already used, or has expired. Ask your instructor for a new invitation.");
        input("token").focus();
      } else if (e instanceof ApiError && (e.body?.already_exists_fields ?? []).includes("email")) {
        say("This account is already set up. Sign in above with its password.", "error");
        byId("login-email").focus();
      } else {
        say(e instanceof Error ? e.message : String(e), "error");
      }
    }
  });
  return link !== null;
}
