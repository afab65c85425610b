#!/usr/bin/env bash
# Builds the Debian package of discagent from the build's jar, with dpkg-deb (no debhelper needed):
#   mvn -B -DskipTests package -pl service -am      (or any build that made service/target/discagent.jar)
#   packaging/deb/build.sh [JAR] [OUTDIR]          -> OUTDIR/discagent_<version>_all.deb (default service/target)
# The package: the jar in /usr/share/discagent, the `discagent` command in /usr/bin, a hardened systemd unit, the
# udev rule for optical drives, /etc/discagent/discagent.properties (a conffile, root:discagent 0640), the bash
# completion generated from the jar itself, and the docs. It needs a Java 17 runtime (Debian's default-jre-headless).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
jar="${1:-$root/service/target/discagent.jar}"
out="${2:-$root/service/target}"
[ -f "$jar" ] || { echo "build.sh: no jar at $jar (build it first: mvn -B -DskipTests package -pl service -am)" >&2; exit 2; }
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"

# The version is the build's (0.1.0-SNAPSHOT -> 0.1.0~SNAPSHOT: '~' sorts before the release, as Debian wants).
version="$("$java" -jar "$jar" --version | awk '{print $2}')"
version="${version//-/\~}"
[ -n "$version" ] || { echo "build.sh: could not read the version from $jar" >&2; exit 1; }

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
pkg="$stage/discagent"
install -d "$pkg/DEBIAN" "$pkg/usr/bin" "$pkg/usr/share/discagent" "$pkg/lib/systemd/system" \
  "$pkg/lib/udev/rules.d" "$pkg/etc/discagent" "$pkg/usr/share/bash-completion/completions" \
  "$pkg/usr/share/doc/discagent"
install -m 0644 "$jar" "$pkg/usr/share/discagent/discagent.jar"
install -m 0755 "$here/discagent.sh" "$pkg/usr/bin/discagent"
install -m 0644 "$here/discagent.service" "$pkg/lib/systemd/system/discagent.service"
install -m 0644 "$here/70-discagent.rules" "$pkg/lib/udev/rules.d/70-discagent.rules"
install -m 0640 "$root/packaging/discagent.properties" "$pkg/etc/discagent/discagent.properties"
"$java" -jar "$jar" completion > "$pkg/usr/share/bash-completion/completions/discagent"
install -m 0644 "$root/docs/operations.md" "$root/docs/service.md" "$root/docs/linux.md" "$pkg/usr/share/doc/discagent/"
install -m 0644 "$root/LICENSE" "$pkg/usr/share/doc/discagent/copyright"
for script in postinst prerm postrm; do
  install -m 0755 "$here/$script" "$pkg/DEBIAN/$script"
done
echo /etc/discagent/discagent.properties > "$pkg/DEBIAN/conffiles"
size="$(du -sk --exclude=DEBIAN "$pkg" | cut -f1)"
cat > "$pkg/DEBIAN/control" <<CONTROL
Package: discagent
Version: $version
Architecture: all
Section: utils
Priority: optional
Maintainer: discagent developers <discagent@localhost>
Installed-Size: $size
Depends: default-jre-headless (>= 2:1.17) | java17-runtime-headless, adduser, util-linux
Description: exclusive, named, counted access to optical disc recorders
 discagent owns exclusive access to the CD/DVD/BD recorders of one machine and
 shares it between its applications with the semantics of IMAPI2's
 IDiscRecorder2: a named owner, a lock count per client, waiting in line, and
 locks that cannot leak when a client crashes. This package runs it as a
 systemd service with a local HTTP API, and puts the discagent command
 (acquire, exec, list, watch, ...) on the PATH.
CONTROL
mkdir -p "$out"
deb="$out/discagent_${version}_all.deb"
dpkg-deb --root-owner-group -Zgzip -z1 --build "$pkg" "$deb" >/dev/null
echo "$deb"
