// The default forbidden-process policy (src/services/process-policy-defaults.ts) and how institutions and
// exams extend it, exempt names from it or turn it off (policyOf / forbiddenAmong).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { DEFAULT_FORBIDDEN_PATTERNS, DEFAULT_FORBIDDEN_PROCESSES } from "../../src/services/process-policy-defaults";
import { forbiddenAmong, normalizePatterns, policyOf } from "../../src/services/process-policy";

// What devices report for the tools, as Windows, macOS and Linux name their processes.
const TOOLS = [
  "TeamViewer.exe", "TeamViewer_Service.exe", "tv_x64.exe", "/Applications/TeamViewer.app/Contents/MacOS/TeamViewer", "teamviewerd",
  "AnyDesk.exe", "C:\\Program Files (x86)\\AnyDesk\\AnyDesk.exe", "anydesk", "RustDesk.exe", "rustdesk",
  "remoting_host.exe", "remoting_desktop.exe", "remote_assistance_host.exe", "/opt/google/chrome-remote-desktop/chrome-remote-desktop-host",
  "winvnc.exe", "tvnserver.exe", "vncserver.exe", "vncviewer", "vncagent", "x11vnc", "Xvnc", "krfb", "vino-server", "screensharingd", "Screen Sharing",
  "mstsc.exe", "msrdc.exe", "msra.exe", "QuickAssist.exe", "xrdp", "xrdp-sesman", "remmina", "krdc", "xfreerdp", "xfreerdp3", "rdesktop",
  "Splashtop Streamer.exe", "SRServer.exe", "SRService.exe", "strwinclt.exe", "parsecd.exe", "pservice.exe",
  "ScreenConnect.ClientService.exe", "ScreenConnect.WindowsClient.exe", "LogMeIn.exe", "nxserver.bin", "nxplayer.bin",
  "rutserv.exe", "AMMYY_Admin.exe", "AA_v3.exe", "ZohoAssist.exe", "Supremo.exe",
  "obs64.exe", "obs32.exe", "obs", "/usr/bin/obs", "Streamlabs OBS.exe", "XSplit.VCam.exe", "XSplit.Core.exe",
  "ManyCam.exe", "ManyCam", "Snap Camera.exe", "Snap Camera", "SplitCam.exe", "YouCam.exe", "webcamoid", "DroidCamApp.exe", "droidcam",
  "iVCam.exe", "EpocCamService.exe", "Camo.exe", "Camo", "mmhmm", "DeepFaceLive.exe", "avatarify",
];

// What ordinary computers run, including names close to the tools'. None may be forbidden by default.
const ORDINARY = [
  "explorer.exe", "svchost.exe", "chrome.exe", "msedge.exe", "firefox", "Safari", "code.exe", "WINWORD.EXE", "notepad.exe",
  "System", "csrss.exe", "dwm.exe", "RuntimeBroker.exe", "SearchHost.exe", "OneDrive.exe", "Teams.exe", "Zoom.exe", "Discord.exe",
  "kernel_task", "launchd", "WindowServer", "Finder", "Dock", "parsecd", "ScreensharingAgent", "mds_stores", "coreaudiod",
  "systemd", "gnome-shell", "gnome-remote-desktop-daemon", "Xorg", "Xwayland", "pipewire", "plasmashell", "kwin_wayland",
  "observer.exe", "jobs.exe", "camouflage", "YouCamService.exe", "LMIGuardianSvc.exe", "hamachi-2.exe", "rdpclip.exe",
  "msrdcw.exe", "tv.exe", "vnc.txt", "NVIDIA Broadcast.exe", "LogiCapture.exe", "trustid.exe",
];

describe("default forbidden-process policy", () => {
  it("is written in the policy's own syntax: lower case, valid, no duplicates", () => {
    expect(normalizePatterns([...DEFAULT_FORBIDDEN_PATTERNS])).toEqual(DEFAULT_FORBIDDEN_PATTERNS);
    expect(DEFAULT_FORBIDDEN_PROCESSES.every((d) => d.tool.length > 0)).toBe(true);
  });

  it("is listed in full in docs/exams.md", () => {
    const docs = readFileSync(new URL("../../docs/exams.md", import.meta.url), "utf8");
    expect(DEFAULT_FORBIDDEN_PATTERNS.filter((p) => !docs.includes(`\`${p}\``))).toEqual([]);
  });

  it("forbids the well-known remote-desktop, screen-capture and virtual-camera tools by default", () => {
    expect(forbiddenAmong(TOOLS, policyOf([]))).toEqual(TOOLS);
  });

  it("forbids nothing that ordinary desktops run", () => {
    expect(forbiddenAmong(ORDINARY, policyOf([]))).toEqual([]);
  });

  it("is extended by an institution's or exam's own patterns", () => {
    expect(forbiddenAmong(["Zoom.exe", "AnyDesk.exe", "word.exe"], policyOf(["zoom*"]))).toEqual(["Zoom.exe", "AnyDesk.exe"]);
  });

  it("gives up single names with '!pattern' exemptions", () => {
    expect(forbiddenAmong(["obs64.exe", "AnyDesk.exe"], policyOf(["!obs*"]))).toEqual(["AnyDesk.exe"]);
  });

  it("is turned off with '!*', and replaced by '!*' plus one's own patterns", () => {
    expect(forbiddenAmong(TOOLS, policyOf(["!*"]))).toEqual([]);
    expect(forbiddenAmong(["AnyDesk.exe", "TeamViewer.exe", "cheat.exe"], policyOf(["!*", "anydesk*", "cheat*"]))).toEqual([
      "AnyDesk.exe",
      "cheat.exe",
    ]);
  });

  it("never lets an exemption cancel what the institution or the exam forbid explicitly", () => {
    // e.g. the institution forbids AnyDesk and an exam turns the defaults off: AnyDesk stays forbidden.
    expect(forbiddenAmong(["AnyDesk.exe", "obs64.exe"], policyOf(["anydesk*", "!*"]))).toEqual(["AnyDesk.exe"]);
    expect(forbiddenAmong(["AnyDesk.exe"], policyOf(["anydesk*", "!anydesk*"]))).toEqual(["AnyDesk.exe"]);
  });
});
