#!/usr/bin/env bash
# The Windows distribution's test, as far as Linux allows (run by .ci/run after the build): builds the zip, checks
# that it holds the jar, the scripts (CRLF) and the configuration, that discagent-service.exe is a Windows x64
# executable (PE32+, machine 0x8664), and that the jar in it runs. That the scripts name methods that exist and
# parameters discagent accepts is checked by WindowsServiceTests in `mvn verify`. Running the service needs Windows.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fail() { echo "windows zip test FAILED: $*" >&2; exit 1; }
zip="$("$here/build-zip.sh")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
unzip -q "$zip" -d "$work"
dist="$(echo "$work"/discagent-*)"
for f in discagent.jar discagent.cmd install-service.cmd uninstall-service.cmd discagent.properties \
    discagent-service.exe NOTICE-procrun.txt LICENSE.txt; do
  [ -s "$dist/$f" ] || fail "$f is missing"
done
for f in discagent.cmd install-service.cmd uninstall-service.cmd discagent.properties; do
  [ "$(grep -c $'\r$' "$dist/$f")" = "$(wc -l < "$dist/$f")" ] || fail "$f does not have CRLF line ends"
done
exe="$dist/discagent-service.exe"
[ "$(head -c 2 "$exe")" = MZ ] || fail "discagent-service.exe is not an MZ executable"
pe=$(od -An -t u4 -j 60 -N 4 "$exe" | tr -d ' ')
[ "$(dd if="$exe" bs=1 skip="$pe" count=4 2>/dev/null | od -An -c | tr -d ' ')" = 'PE\0\0' ] || fail "no PE header"
machine=$(od -An -t x2 -j $((pe + 4)) -N 2 "$exe" | tr -d ' ')
[ "$machine" = 8664 ] || fail "discagent-service.exe is for machine 0x$machine, not x64"
[[ "$(java -jar "$dist/discagent.jar" --version)" == "discagent "* ]] || fail "the jar does not run"
grep -q "^backend=windows" "$dist/discagent.properties" || fail "the configuration does not choose the windows backend"
echo "windows zip test: $(basename "$zip") ($(du -h "$zip" | cut -f1)) holds a runnable jar, the scripts and a Windows x64 procrun"
