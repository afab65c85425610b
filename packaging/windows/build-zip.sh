#!/usr/bin/env bash
# Builds the Windows distribution (a zip) from the build's jar, on any machine with Maven:
#   packaging/windows/build-zip.sh [JAR] [OUTDIR]   -> OUTDIR/discagent-<version>-windows.zip (default service/target)
# Contents: discagent.jar, discagent.cmd (the command), install-service.cmd / uninstall-service.cmd, the
# configuration template, and discagent-service.exe: Apache Commons Daemon's procrun service host, taken from Apache
# Tomcat's Windows distribution on Maven Central (org.apache.tomcat:tomcat:<v>:zip:windows-x64, bin/tomcat11.exe is
# prunsrv.exe renamed; Apache License 2.0, its NOTICE is included). The zip runs on Windows x64 with a Java 17 JDK or
# JRE installed; it cannot be tried here (no Windows), only assembled and checked (see test-zip.sh).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
jar="${1:-$root/service/target/discagent.jar}"
out="${2:-$root/service/target}"
tomcat="${DISCAGENT_PROCRUN_TOMCAT:-11.0.24}"
[ -f "$jar" ] || { echo "build-zip.sh: no jar at $jar (build it first: mvn -B -DskipTests package -pl service -am)" >&2; exit 2; }
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
version="$("$java" -jar "$jar" --version | awk '{print $2}')"
mvn="$root/mvnw"; [ -x "$mvn" ] || mvn=mvn

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT
"$mvn" -q -B dependency:copy -Dartifact="org.apache.tomcat:tomcat:$tomcat:zip:windows-x64" \
  -DoutputDirectory="$stage" -Dmdep.stripVersion=true >/dev/null
dist="$stage/discagent-$version"
mkdir -p "$dist"
unzip -q -j "$stage/tomcat-windows-x64.zip" "apache-tomcat-$tomcat/bin/tomcat11.exe" "apache-tomcat-$tomcat/NOTICE" \
  -d "$stage/procrun"
cp "$stage/procrun/tomcat11.exe" "$dist/discagent-service.exe"
cp "$stage/procrun/NOTICE" "$dist/NOTICE-procrun.txt"
cp "$jar" "$dist/discagent.jar"
cp "$root/LICENSE" "$dist/LICENSE.txt"
for f in discagent.cmd install-service.cmd uninstall-service.cmd; do
  sed 's/$/\r/' "$here/$f" > "$dist/$f" # cmd.exe wants CRLF
done
sed 's/$/\r/' "$root/packaging/discagent.properties" | sed 's/^backend=linux/backend=windows/' > "$dist/discagent.properties"
mkdir -p "$out"
zip="$out/discagent-$version-windows.zip"
rm -f "$zip"
(cd "$stage" && zip -q -r "$zip" "discagent-$version")
echo "$zip"
