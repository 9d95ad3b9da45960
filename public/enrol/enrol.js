// Student face enrolment: sign in, consent, camera, three pictures checked one by one by the API, then
// face_register and a verification try. Each step is a <section>; moving to a step moves focus to its
// heading so that keyboard and screen-reader users land where the new content starts.
import { api, ApiError, currentUser, signOut } from "../assets/api.js";
import { wireLogin } from "../assets/login.js";
import { cameraOn, grabFrame, preview, resumePreview, startCamera, stopCamera } from "./camera.js";
import { wireClaim } from "./claim.js";
import { busy, byId, clearMessages, focusOn, h, say } from "../assets/ui.js";

const PICTURES_NEEDED = 3;
const STEPS = ["login", "consent", "capture", "verify"];

/** What to tell the student for each quality problem the API names (codes from the face service). */
const ADVICE = {
  no_face: "No face was found. Face the camera in good light, with your whole face in view.",
  multiple_faces: "More than one face is in view. Make sure only you are in front of the camera.",
  face_too_small: "Your face is too small in the picture. Come closer to the camera.",
  liveness_failed: "The liveness check failed. Use your own face in good, even light; do not hold up a photo or a screen.",
  undecodable: "The picture could not be read. Try again.",
  image_too_large: "The picture is too large. Try again.",
  // A verification is refused a picture the template was registered with (a camera that sent no new frame).
  repeated_sample: "The camera sent the same picture as before (one you registered with). Move your head a little and try again.",
};

const state = {
  /** @type {{dataUrl: string}[]} */ shots: [],
  /** Which set of pictures is being taken: Start over begins a new one, and a check of the old one is ignored. */
  shotSet: 0,
  step: "login",
};

const cameraBlock = /** @type {HTMLElement} */ (preview.parentElement);
const captureHome = /** @type {HTMLElement} */ (cameraBlock.parentElement);

function showStep(step, moveFocus = true) {
  state.step = step;
  for (const s of STEPS) byId(`step-${s}`).hidden = s !== step;
  const index = STEPS.indexOf(step);
  for (const li of byId("steps").querySelectorAll("li")) {
    const i = STEPS.indexOf(li.dataset.step);
    li.classList.toggle("done", i < index);
    if (i === index) li.setAttribute("aria-current", "step");
    else li.removeAttribute("aria-current");
  }
  byId("withdraw").hidden = step === "login";
  // The camera preview is shared by the picture and verification steps.
  if (step === "verify") byId("verify-camera-slot").append(cameraBlock);
  else if (step === "capture") captureHome.prepend(cameraBlock);
  byId("take-picture").hidden = step === "verify";
  resumePreview();
  if (moveFocus) focusOn(byId(`step-${step}`).querySelector("h2"));
}

/* ---------- sign in ---------- */

function showSignedIn(user) {
  byId("who").hidden = false;
  byId("who-text").textContent = `Signed in as a student${user.inst ? ` of ${user.inst}` : ""}`;
}

async function afterSignIn(user) {
  showSignedIn(user);
  await describeExistingModel();
  // A session that could not be refreshed has signed out meanwhile and shows the sign-in form: stay there (a probe's
  // signed-out student was left on the consent step with no way to sign in).
  if (!currentUser()) return;
  showStep("consent");
}

/** Tells a returning student that a template exists (and whether it must be renewed). */
async function describeExistingModel() {
  const p = byId("existing-model");
  p.hidden = true;
  try {
    const data = await api("/biometrics/list");
    const face = data.resource_dict?.Face;
    if (face) {
      p.textContent =
        face === "active"
          ? "You already have a face template. Registering again replaces it."
          : "Your face template was made with an older face model and must be registered again.";
      p.hidden = false;
    }
  } catch (e) {
    if (e instanceof ApiError && e.status === 503) say("Face verification is not available on this server right now. Please try again later.", "error");
  }
}

wireLogin(/** @type {HTMLFormElement} */ (byId("login-form")), {
  role: "STUDENT",
  otherPage: "the instructor dashboard (/dashboard/)",
  onSignedIn: (user) => {
    say("Signed in.", "ok");
    afterSignIn(user);
  },
});

const openedFromInvitation = wireClaim(/** @type {HTMLFormElement} */ (byId("claim-form")), {
  onSignedIn: (user) => {
    say("Your account is set up and you are signed in.", "ok");
    afterSignIn(user);
  },
});

byId("sign-out").addEventListener("click", () => signOut());

document.addEventListener("trustid:signed-out", () => {
  stopCamera();
  resetShots();
  byId("who").hidden = true;
  showStep("login");
  say("You are signed out.", "info");
});

/* ---------- consent ---------- */

byId("consent-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const box = /** @type {HTMLInputElement} */ (byId("consent-check"));
  if (!box.checked) {
    byId("consent-error").textContent = "Tick the box to agree, or leave this page if you do not want to use face verification.";
    box.setAttribute("aria-invalid", "true");
    box.focus();
    return;
  }
  byId("consent-error").textContent = "";
  box.removeAttribute("aria-invalid");
  clearMessages();
  showStep("capture");
});

/* ---------- camera (./camera.js) ---------- */

byId("start-camera").addEventListener("click", async (event) => {
  const button = /** @type {HTMLButtonElement} */ (event.currentTarget);
  if (!(await startCamera(button))) return;
  button.hidden = true;
  updateShotControls();
  if (state.step === "verify") {
    byId("verify-button").focus();
    say("The camera is on. Look at the camera and press Verify me now.", "info");
  } else {
    byId("take-picture").focus();
    say("The camera is on. Look at the camera and press Take picture.", "info");
  }
});

/** The problem code at the start of a face-service message ("no_face: No face was found…"). */
function problemCode(err) {
  const details = err?.body?.error_details ?? {};
  for (const msgs of Object.values(details)) {
    const first = Array.isArray(msgs) ? msgs[0] : msgs;
    const m = typeof first === "string" ? /^([a-z_]+):/.exec(first) : null;
    if (m) return m[1];
  }
  return null;
}

/**
 * Asks the API whether a picture is good enough (/biometrics/face_check: the quality checks of registration,
 * compared with nothing, recorded nowhere; the page used /biometrics/verify before, whose every check was a decision
 * record in the institution's error report).
 * @returns {Promise<string | null>} the problem code, or null when the picture is usable
 */
async function checkPicture(dataUrl) {
  try {
    await api("/biometrics/face_check", { method: "POST", json: { image: dataUrl } });
    return null;
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    const code = problemCode(e);
    if (e.status === 400 && code && ADVICE[code]) return code;
    throw e;
  }
}

function resetShots() {
  state.shots = [];
  state.shotSet += 1;
  byId("shots").replaceChildren();
  updateShotControls();
}

function updateShotControls() {
  const n = state.shots.length;
  byId("shot-count").textContent = `${n} of ${PICTURES_NEEDED} pictures accepted.`;
  const take = /** @type {HTMLButtonElement} */ (byId("take-picture"));
  take.textContent = n < PICTURES_NEEDED ? `Take picture ${n + 1} of ${PICTURES_NEEDED}` : "All pictures taken";
  take.disabled = !cameraOn() || n >= PICTURES_NEEDED;
  /** @type {HTMLButtonElement} */ (byId("register")).disabled = n < PICTURES_NEEDED;
  /** @type {HTMLButtonElement} */ (byId("restart")).disabled = n === 0;
}

function thumbnail(source, n) {
  const c = document.createElement("canvas");
  c.width = 160;
  c.height = Math.round((160 * source.height) / source.width);
  c.getContext("2d").drawImage(source, 0, 0, c.width, c.height);
  c.setAttribute("role", "img");
  c.setAttribute("aria-label", `Picture ${n}`);
  return h("li", {}, c, `Picture ${n} accepted`);
}

byId("take-picture").addEventListener("click", async (event) => {
  const button = /** @type {HTMLButtonElement} */ (event.currentTarget);
  let frame;
  try {
    frame = grabFrame();
  } catch (e) {
    say(e.message, "error");
    return;
  }
  const n = state.shots.length + 1;
  // The same frame twice (a camera that delivers few frames, in low light): the service would count it once.
  const same = state.shots.findIndex((s) => s.dataUrl === frame.dataUrl);
  if (same >= 0) {
    say(`That is the same picture as picture ${same + 1}: the camera has not sent a new one yet. Move your head a little and take it again.`, "warn");
    button.focus();
    return;
  }
  say(`Checking picture ${n}…`, "info");
  let problem;
  // Start over while the picture is being checked discards it too (a probe's discarded picture came back when its
  // check answered): the answer is used only if the set it was taken for is still the current one.
  const set = state.shotSet;
  try {
    problem = await busy(button, `Checking picture ${n}…`, () => checkPicture(frame.dataUrl));
  } catch (e) {
    if (set !== state.shotSet) return;
    say(`Picture ${n} could not be checked: ${e.message}`, "error");
    updateShotControls();
    return;
  }
  if (set !== state.shotSet) return;
  if (problem) {
    say(`Picture ${n} was not accepted. ${ADVICE[problem]}`, "warn");
    updateShotControls();
    button.focus();
    return;
  }
  state.shots.push({ dataUrl: frame.dataUrl });
  byId("shots").append(thumbnail(frame.canvas, n));
  updateShotControls();
  if (state.shots.length < PICTURES_NEEDED) {
    say(`Picture ${n} accepted. Move your head a little and take picture ${n + 1}.`, "ok");
    button.focus();
  } else {
    say(`All ${PICTURES_NEEDED} pictures accepted. Press Register my face.`, "ok");
    byId("register").focus(); // the picture button is now disabled and would drop focus
  }
});

byId("restart").addEventListener("click", () => {
  resetShots();
  say("The pictures were discarded. Take them again.", "info");
  const take = byId("take-picture");
  (take.disabled ? byId("start-camera") : take).focus();
});

/* ---------- registration ---------- */

byId("register").addEventListener("click", async (event) => {
  const button = /** @type {HTMLButtonElement} */ (event.currentTarget);
  say("Registering your face…", "info");
  let data;
  try {
    data = await busy(button, "Registering…", () =>
      api("/biometrics/face_register", { method: "POST", json: { images: state.shots.map((s) => s.dataUrl) } }),
    );
  } catch (e) {
    const inconsistent = e instanceof ApiError && /inconsistent_set/.test(JSON.stringify(e.body ?? {}));
    say(
      inconsistent
        ? "The pictures do not all seem to show the same person. They were discarded; please take them again."
        : `Your face could not be registered: ${e.message}`,
      "error",
    );
    if (inconsistent) resetShots();
    updateShotControls();
    return;
  }
  resetShots();
  await loadExams();
  showStep("verify");
  // Fewer pictures kept than sent: the service's message says to register again with good ones; show it (a probe
  // saw only "registered").
  const fewer = /only/.test(data.message ?? "");
  say(fewer ? `${data.message} (${data.extra_details}).` : `Your face is registered (${data.extra_details}).`, fewer ? "warn" : "ok");
});

/* ---------- verification try ---------- */

async function loadExams() {
  const select = /** @type {HTMLSelectElement} */ (byId("verify-exam"));
  select.replaceChildren(h("option", { value: "" }, "No exam: just a practice check"));
  try {
    const data = await api("/student/list_exam");
    for (const exam of data.resource_array ?? []) {
      if (exam.status === "Completed") continue;
      const when = new Date(exam.scheduled_date).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
      select.append(h("option", { value: exam.exam_id, "data-name": exam.name }, `${exam.name} (${when}, ${exam.verification_status})`));
    }
    if (select.options.length > 1) select.selectedIndex = 1;
  } catch (e) {
    say(`Your exams could not be loaded: ${e.message}`, "error");
  }
}

byId("verify-form").addEventListener("submit", async (event) => {
  event.preventDefault();
  const button = /** @type {HTMLButtonElement} */ (byId("verify-button"));
  const select = /** @type {HTMLSelectElement} */ (byId("verify-exam"));
  let frame;
  try {
    frame = grabFrame();
  } catch (e) {
    say(e.message, "error");
    return;
  }
  const examId = select.value;
  // The exam's own name, kept apart from the option's text (a name with " (" in it was cut there: a probe's "Algebra (group B)").
  const examName = examId ? (select.selectedOptions[0].dataset.name ?? "") : "";
  say("Comparing your picture with your template…", "info");
  try {
    const data = await busy(button, "Verifying…", () =>
      examId
        ? api("/biometrics/face_verify", { method: "POST", json: { image: frame.dataUrl, exam_id: Number(examId) } })
        : api("/biometrics/verify", { method: "POST", form: { biometric_type: "Face", src: frame.dataUrl } }),
    );
    if (data.is_match) {
      say(examId ? `It matches: you are verified for ${examName}.` : "It matches: your face template works.", "ok");
      if (examId) await loadExams();
    } else {
      say("It does not match. Try again facing the camera in good light; if it keeps failing, register again.", "warn");
    }
  } catch (e) {
    const code = e instanceof ApiError ? problemCode(e) : null;
    say(code && ADVICE[code] ? `The picture could not be used. ${ADVICE[code]}` : `Verification failed: ${e.message}`, code ? "warn" : "error");
  }
  button.focus();
});

byId("finish").addEventListener("click", () => {
  stopCamera();
  say("The camera is off. You are done; you can close this page.", "ok");
});

/* ---------- withdrawal ---------- */

byId("delete-template").addEventListener("click", async (event) => {
  const button = /** @type {HTMLButtonElement} */ (event.currentTarget);
  if (!window.confirm("Delete your face template now? Face verification will not work for you until you register again.")) return;
  try {
    await busy(button, "Deleting…", () => api("/biometrics/unregister", { method: "POST", json: { biometric_type: "Face" } }));
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) say("You have no face template stored; there is nothing to delete.", "info");
    else say(`Your face template could not be deleted: ${e.message}`, "error");
    return;
  }
  stopCamera();
  resetShots();
  await describeExistingModel();
  const box = /** @type {HTMLInputElement} */ (byId("consent-check"));
  box.checked = false;
  showStep("consent");
  say("Your face template has been deleted.", "ok");
});

/* ---------- start ---------- */

const user = currentUser();
if (user && user.role === "STUDENT") {
  afterSignIn(user);
} else {
  if (user) signOut();
  showStep("login", false); // a fresh page keeps the browser's own initial focus...
  if (openedFromInvitation) focusOn(byId("claim-title")); // ...unless it came from an invitation mail's link
}
