// The default forbidden-process policy: well-known remote-desktop, screen-capture and virtual-camera
// tools, which let someone else see or drive the student's computer or replace the student's camera picture.
// It applies to every institution and exam unless they exempt names from it ("!pattern", "!*" for all:
// see process-policy.ts and docs/exams.md, which lists this table).
//
// Patterns use the policy's syntax (lower case, `*` and `?` wildcards) and match the whole process name or
// its file name without the path, as Windows (`AnyDesk.exe`), macOS (`AnyDesk`) and Linux (`anydesk`)
// report them. Chosen to avoid false alarms: exact names where a wildcard would catch an unrelated process,
// and nothing that ordinary desktops run by themselves (see "left out" below).
//
// Left out on purpose (an institution or exam can add them):
// - Parsec on macOS and Linux: its process is `parsecd`, the same name as a macOS system daemon.
// - `gnome-remote-desktop-daemon`: started by GNOME on many Linux desktops even with sharing off.
// - `LMIGuardianSvc.exe` (also LogMeIn Hamachi's VPN service), `YouCamService.exe` (preinstalled on many
//   laptops; the YouCam app itself is in the list).
// - `rdpclip.exe` (runs when the exam itself is used over RDP), Windows App / Microsoft Remote Desktop on
//   macOS (generic names).
// - Video calls and chat (Zoom, Teams, Discord, Skype, Webex, Slack) and NVIDIA Broadcast / Logitech tools:
//   many students run them in the background; docs/exams.md suggests patterns for them.

export type DefaultPattern = { pattern: string; tool: string; kind: "remote desktop" | "screen capture" | "virtual camera" };

export const DEFAULT_FORBIDDEN_PROCESSES: readonly DefaultPattern[] = [
  // Remote desktop and remote control
  { pattern: "teamviewer*", tool: "TeamViewer", kind: "remote desktop" },
  { pattern: "tv_w32.exe", tool: "TeamViewer", kind: "remote desktop" },
  { pattern: "tv_x64.exe", tool: "TeamViewer", kind: "remote desktop" },
  { pattern: "anydesk*", tool: "AnyDesk", kind: "remote desktop" },
  { pattern: "rustdesk*", tool: "RustDesk", kind: "remote desktop" },
  { pattern: "remoting_host.exe", tool: "Chrome Remote Desktop host", kind: "remote desktop" },
  { pattern: "remoting_desktop.exe", tool: "Chrome Remote Desktop host", kind: "remote desktop" },
  { pattern: "remote_assistance_host*", tool: "Chrome Remote Desktop support", kind: "remote desktop" },
  { pattern: "remoting_me2me_host", tool: "Chrome Remote Desktop host", kind: "remote desktop" },
  { pattern: "chromeremotedesktophost", tool: "Chrome Remote Desktop host", kind: "remote desktop" },
  { pattern: "chrome-remote-desktop*", tool: "Chrome Remote Desktop host", kind: "remote desktop" },
  { pattern: "winvnc*", tool: "UltraVNC / TightVNC server", kind: "remote desktop" },
  { pattern: "tvnserver*", tool: "TightVNC server", kind: "remote desktop" },
  { pattern: "tvnviewer*", tool: "TightVNC viewer", kind: "remote desktop" },
  { pattern: "vncserver*", tool: "VNC server (RealVNC, TigerVNC, ...)", kind: "remote desktop" },
  { pattern: "vncviewer*", tool: "VNC viewer", kind: "remote desktop" },
  { pattern: "vncagent*", tool: "RealVNC server", kind: "remote desktop" },
  { pattern: "realvnc*", tool: "RealVNC", kind: "remote desktop" },
  { pattern: "ultravnc*", tool: "UltraVNC", kind: "remote desktop" },
  { pattern: "tigervnc*", tool: "TigerVNC", kind: "remote desktop" },
  { pattern: "x11vnc", tool: "x11vnc", kind: "remote desktop" },
  { pattern: "xvnc", tool: "Xvnc", kind: "remote desktop" },
  { pattern: "krfb", tool: "KDE desktop sharing", kind: "remote desktop" },
  { pattern: "vino-server", tool: "GNOME Vino", kind: "remote desktop" },
  { pattern: "screensharingd", tool: "macOS Screen Sharing (server, runs while someone is connected)", kind: "remote desktop" },
  { pattern: "screen sharing", tool: "macOS Screen Sharing (viewer)", kind: "remote desktop" },
  { pattern: "mstsc.exe", tool: "Windows Remote Desktop Connection", kind: "remote desktop" },
  { pattern: "msrdc.exe", tool: "Windows Remote Desktop client", kind: "remote desktop" },
  { pattern: "msra.exe", tool: "Windows Remote Assistance", kind: "remote desktop" },
  { pattern: "quickassist.exe", tool: "Windows Quick Assist", kind: "remote desktop" },
  { pattern: "xrdp", tool: "xrdp server", kind: "remote desktop" },
  { pattern: "xrdp-sesman", tool: "xrdp server", kind: "remote desktop" },
  { pattern: "remmina", tool: "Remmina", kind: "remote desktop" },
  { pattern: "krdc", tool: "KDE Remote Desktop Client", kind: "remote desktop" },
  { pattern: "xfreerdp*", tool: "FreeRDP", kind: "remote desktop" },
  { pattern: "rdesktop", tool: "rdesktop", kind: "remote desktop" },
  { pattern: "splashtop*", tool: "Splashtop", kind: "remote desktop" },
  { pattern: "srserver.exe", tool: "Splashtop Streamer", kind: "remote desktop" },
  { pattern: "srservice.exe", tool: "Splashtop Streamer", kind: "remote desktop" },
  { pattern: "srmanager.exe", tool: "Splashtop Streamer", kind: "remote desktop" },
  { pattern: "strwinclt.exe", tool: "Splashtop client", kind: "remote desktop" },
  { pattern: "parsecd.exe", tool: "Parsec (Windows)", kind: "remote desktop" },
  { pattern: "pservice.exe", tool: "Parsec service (Windows)", kind: "remote desktop" },
  { pattern: "screenconnect*", tool: "ConnectWise ScreenConnect", kind: "remote desktop" },
  { pattern: "connectwisecontrol*", tool: "ConnectWise Control", kind: "remote desktop" },
  { pattern: "logmein*", tool: "LogMeIn", kind: "remote desktop" },
  { pattern: "gotoassist*", tool: "GoTo Assist", kind: "remote desktop" },
  { pattern: "nxserver*", tool: "NoMachine", kind: "remote desktop" },
  { pattern: "nxnode*", tool: "NoMachine", kind: "remote desktop" },
  { pattern: "nxplayer*", tool: "NoMachine", kind: "remote desktop" },
  { pattern: "rutserv.exe", tool: "Remote Utilities", kind: "remote desktop" },
  { pattern: "rfusclient.exe", tool: "Remote Utilities", kind: "remote desktop" },
  { pattern: "ammyy*", tool: "Ammyy Admin", kind: "remote desktop" },
  { pattern: "aa_v3*.exe", tool: "Ammyy Admin", kind: "remote desktop" },
  { pattern: "zohoassist*", tool: "Zoho Assist", kind: "remote desktop" },
  { pattern: "supremo*.exe", tool: "Supremo", kind: "remote desktop" },
  // Screen capture and streaming (they also provide virtual cameras)
  { pattern: "obs64.exe", tool: "OBS Studio (and its virtual camera)", kind: "screen capture" },
  { pattern: "obs32.exe", tool: "OBS Studio (and its virtual camera)", kind: "screen capture" },
  { pattern: "obs.exe", tool: "OBS Studio (and its virtual camera)", kind: "screen capture" },
  { pattern: "obs", tool: "OBS Studio on macOS and Linux", kind: "screen capture" },
  { pattern: "streamlabs*", tool: "Streamlabs Desktop", kind: "screen capture" },
  { pattern: "xsplit*", tool: "XSplit Broadcaster / XSplit VCam", kind: "screen capture" },
  // Virtual cameras
  { pattern: "manycam*", tool: "ManyCam", kind: "virtual camera" },
  { pattern: "snap camera*", tool: "Snap Camera", kind: "virtual camera" },
  { pattern: "splitcam*", tool: "SplitCam", kind: "virtual camera" },
  { pattern: "youcam.exe", tool: "CyberLink YouCam", kind: "virtual camera" },
  { pattern: "youcam", tool: "CyberLink YouCam", kind: "virtual camera" },
  { pattern: "webcamoid*", tool: "Webcamoid", kind: "virtual camera" },
  { pattern: "droidcam*", tool: "DroidCam", kind: "virtual camera" },
  { pattern: "ivcam*", tool: "iVCam", kind: "virtual camera" },
  { pattern: "epoccam*", tool: "EpocCam", kind: "virtual camera" },
  { pattern: "camo.exe", tool: "Camo", kind: "virtual camera" },
  { pattern: "camo", tool: "Camo", kind: "virtual camera" },
  { pattern: "mmhmm*", tool: "mmhmm", kind: "virtual camera" },
  { pattern: "deepfacelive*", tool: "DeepFaceLive (live face swap)", kind: "virtual camera" },
  { pattern: "avatarify*", tool: "Avatarify (live face animation)", kind: "virtual camera" },
];

export const DEFAULT_FORBIDDEN_PATTERNS: readonly string[] = DEFAULT_FORBIDDEN_PROCESSES.map((d) => d.pattern);
