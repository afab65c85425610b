#!/usr/bin/env bash
# The Debian package's test (run as root by .ci/run, after the build): builds the .deb from the build's jar, installs
# it with apt (which brings its dependencies), checks the systemd unit with `systemd-analyze verify`, the user, the
# files and their modes, starts the installed command as the service's user with the installed configuration
# (`serve --exit-when-ready`), and purges it: nothing of it may be left (files, user, group, unit links).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
[ "$(id -u)" = 0 ] || { echo "deb test: needs root (it installs a package); skipped"; exit 0; }
export DEBIAN_FRONTEND=noninteractive
fail() { echo "deb test FAILED: $*" >&2; exit 1; }
step() { echo "deb test: $*"; }

for tool in dpkg-deb systemd-analyze apt-get; do
  command -v "$tool" >/dev/null || { apt-get update -q && apt-get install -y -q --no-install-recommends systemd; break; }
done
if dpkg -s discagent >/dev/null 2>&1; then
  step "an earlier discagent package is installed; purging it first"
  apt-get purge -y -q discagent >/dev/null
fi

snapshot() { # every path under the places a package touches, and the accounts
  find /etc /usr /lib /opt /var/lib/systemd -xdev \( -path /var/lib/systemd/deb-systemd-helper-enabled -prune \
    -o -print \) 2>/dev/null | grep -v -e '^/etc/\(passwd\|group\|shadow\|gshadow\|subuid\|subgid\)-$' \
    -e '^/etc/ld.so.cache$' -e '^/usr/lib/jvm' -e '^/etc/java' -e '^/etc/alternatives' | sort
  getent passwd discagent || true
  getent group discagent || true
}
before="$(mktemp)"; after="$(mktemp)"
trap 'rm -f "$before" "$after"' EXIT
snapshot > "$before"

step "building"
deb="$("$here/build.sh")"
[ "$(dpkg-deb --field "$deb" Package)" = discagent ] || fail "the package has no control file"
listing="$(dpkg-deb --contents "$deb")"
for path in ./usr/bin/discagent ./usr/share/discagent/discagent.jar ./lib/systemd/system/discagent.service \
    ./lib/udev/rules.d/70-discagent.rules ./etc/discagent/discagent.properties \
    ./usr/share/bash-completion/completions/discagent ./usr/share/doc/discagent/operations.md; do
  grep -q " $path\$" <<<"$listing" || fail "$path is not in the package"
done
echo "  $(basename "$deb"): $(du -h "$deb" | cut -f1)"

step "installing"
apt-get install -y -q "$deb" >/dev/null
[ "$(command -v discagent)" = /usr/bin/discagent ] || fail "discagent is not on the PATH"
id discagent | grep -q "(cdrom)" || fail "user discagent is not in group cdrom: $(id discagent)"
[ "$(stat -c '%U:%G %a' /etc/discagent/discagent.properties)" = "root:discagent 640" ] \
  || fail "the configuration is $(stat -c '%U:%G %a' /etc/discagent/discagent.properties)"
[ -L /etc/systemd/system/multi-user.target.wants/discagent.service ] || fail "the unit is not enabled"

step "systemd-analyze verify"
verify="$(systemd-analyze verify /lib/systemd/system/discagent.service 2>&1)" || fail "$verify"
if grep -i "discagent" <<<"$verify"; then fail "systemd-analyze has remarks on the unit"; fi
security="$(systemd-analyze security --offline=true /lib/systemd/system/discagent.service 2>/dev/null | tail -1 || true)"
[ -z "$security" ] || echo "  $security"

step "starting the installed command as the service's user, with the installed configuration"
[[ "$(discagent --version)" == "discagent "* ]] || fail "discagent --version"
ready="$(runuser -u discagent -- discagent serve --config /etc/discagent/discagent.properties --port 0 \
  --exit-when-ready 2>&1)" || fail "serve did not start: $ready"
grep -q "discagent is serving the linux backend at http://127.0.0.1:" <<<"$ready" || fail "no ready line: $ready"
echo "  $(head -1 <<<"$ready")"
# the command reads the machine's configuration by itself: a typo in it stops serve with the usage code
cp /etc/discagent/discagent.properties /etc/discagent/discagent.properties.orig
echo "max-wiat=1h" >> /etc/discagent/discagent.properties
set +e; typo="$(discagent serve --exit-when-ready 2>&1)"; code=$?; set -e
mv /etc/discagent/discagent.properties.orig /etc/discagent/discagent.properties
[ "$code" = 2 ] && grep -q "unknown key max-wiat" <<<"$typo" || fail "a typo in the configuration: exit $code, $typo"
bash -c 'source /usr/share/bash-completion/completions/discagent && complete -p discagent' >/dev/null \
  || fail "the bash completion does not load"

step "purging"
apt-get purge -y -q discagent >/dev/null
snapshot > "$after"
if ! diff -u "$before" "$after"; then fail "the purge left something behind (above)"; fi
dpkg -s discagent >/dev/null 2>&1 && fail "dpkg still knows the package"
step "installed, verified, started and purged without a trace"
