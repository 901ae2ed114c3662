// deploy/ targets Debian: these tests drive bash, systemd-analyze and shellcheck, so they are Linux-only.
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
