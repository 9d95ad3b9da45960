// The enrolment page's camera: one stream shown in the #preview video (moved between the picture and verification
// steps by enrol.js), started only when the student asks, stopped when the page goes away or the student is done.
import { busy, byId, say } from "../assets/ui.js";

export const preview = /** @type {HTMLVideoElement} */ (byId("preview"));
/** @type {MediaStream | null} */
let stream = null;

const CAMERA_ERRORS = {
  NotAllowedError: "The camera was not allowed. Allow it for this site in your browser's settings, then press Start the camera again.",
  NotFoundError: "No camera was found. Connect a camera and press Start the camera again.",
  NotReadableError: "The camera is in use by another program. Close it and press Start the camera again.",
  OverconstrainedError: "The camera cannot give a picture of the needed size.",
};

export const cameraOn = () => stream !== null;

/** Starts the camera from its button; false (the reason said) when it could not be started. */
export async function startCamera(button) {
  if (!navigator.mediaDevices?.getUserMedia) {
    say("This browser cannot use a camera here. Use a current browser over https.", "error");
    return false;
  }
  try {
    await busy(button, "Starting the camera…", async () => {
      stream = await navigator.mediaDevices.getUserMedia({
        video: { width: { ideal: 640 }, height: { ideal: 480 }, facingMode: "user" },
        audio: false,
      });
      preview.srcObject = stream;
      await preview.play();
    });
  } catch (e) {
    say(CAMERA_ERRORS[e?.name] ?? `The camera could not be started (${e?.name ?? "unknown error"}).`, "error");
    return false;
  }
  return true;
}

/** The preview plays again after it was moved in the page. */
export function resumePreview() {
  if (stream) preview.play().catch(() => {});
}

export function stopCamera() {
  stream?.getTracks().forEach((t) => t.stop());
  stream = null;
  preview.srcObject = null;
  byId("start-camera").hidden = false;
  /** @type {HTMLButtonElement} */ (byId("take-picture")).disabled = true;
}

window.addEventListener("pagehide", stopCamera);

/** The current camera frame as a JPEG data: URI, and a canvas holding it. */
export function grabFrame() {
  if (!stream || preview.videoWidth === 0) throw new Error("The camera is not on. Press Start the camera first.");
  const canvas = document.createElement("canvas");
  canvas.width = preview.videoWidth;
  canvas.height = preview.videoHeight;
  canvas.getContext("2d").drawImage(preview, 0, 0);
  return { canvas, dataUrl: canvas.toDataURL("image/jpeg", 0.92) };
}
