// Debian's Chromium for the browser tests, driven by playwright-core (which never downloads a browser).
// When it is missing it is installed with apt-get (as root), or the run fails loudly: the browser tests are
// never skipped silently.
import { execSync } from "node:child_process";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium, type BrowserContext } from "playwright-core";

export const CHROMIUM = "/usr/bin/chromium";

export function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`${CHROMIUM} is missing and this user cannot install it: run \`apt-get update && apt-get install -y chromium\` as root.`);
  }
  console.log("Chromium is missing: installing Debian's chromium package (apt-get)...");
  execSync("apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y chromium", { stdio: "inherit" });
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get install chromium did not provide ${CHROMIUM}`);
}

/**
 * A headless Chromium with a fresh profile. `fakeVideo` (a .y4m file) becomes the camera, and the
 * camera permission prompt is answered "allow" by Chromium itself.
 */
export async function launchChromium(options: { fakeVideo?: string } = {}): Promise<BrowserContext> {
  ensureChromium();
  const profile = mkdtempSync(join(tmpdir(), "trustid-chromium-"));
  const args = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
  ];
  if (options.fakeVideo) {
    args.push("--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream", `--use-file-for-fake-video-capture=${options.fakeVideo}`);
  }
  // A persistent context is how Playwright takes a user-data-dir: a new, empty one per launch.
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args,
    viewport: { width: 1280, height: 900 },
    locale: "en-GB",
    timezoneId: "UTC",
  });
}
