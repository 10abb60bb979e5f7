#!/bin/bash
# Host check of the Debian package (well under a minute; nothing is installed on this machine
# and nothing is written outside a temporary directory):
#   scripts/check-package.sh [BINARY]          (default: work/kexec from scripts/build-static.sh)
# builds the .deb twice (in parallel) and compares the bytes, checks its file list, control
# fields and maintainer scripts, runs the packaged kexec --version and --help (which must be
# what the packaged man page was generated from), lints the man page (mandoc), parses the
# completions, runs preinst/postrm against a scratch dpkg root (a merged-/usr tree holding a
# stand-in kexec-tools), and runs lintian when it is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-work/kexec}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "check-package: $*" >&2; exit 1; }
version=$(sed -n 's/^ *static let number = "\(.*\)"$/\1/p' Sources/kexec/Program.swift)
deb=swift-kexec_${version}_amd64.deb

# Two builds from the same inputs: identical bytes.
scripts/package-deb.sh "$bin" "$tmp/a" >/dev/null & first=$!
scripts/package-deb.sh "$bin" "$tmp/b" >/dev/null || fail "package-deb.sh failed"
wait "$first" || fail "package-deb.sh failed"
cmp -s "$tmp/a/$deb" "$tmp/b/$deb" || fail "two builds of $deb differ"
pkg=$tmp/a/$deb

# The file list, exactly.
expected="./usr/sbin/kexec
./usr/share/bash-completion/completions/kexec
./usr/share/doc/swift-kexec/changelog.gz
./usr/share/doc/swift-kexec/copyright
./usr/share/fish/vendor_completions.d/kexec.fish
./usr/share/lintian/overrides/swift-kexec
./usr/share/man/man8/kexec.8.gz
./usr/share/zsh/vendor-completions/_kexec"
listing=$(dpkg-deb -c "$pkg")
files=$(awk '$1 !~ /^d/ { print $6 }' <<<"$listing" | LC_ALL=C sort)
[ "$files" = "$expected" ] || fail "unexpected files:"$'\n'"$(diff <(echo "$expected") <(echo "$files"))"
awk '$2 != "root/root" { exit 1 }' <<<"$listing" || fail "a file not owned by root/root"
grep -q '^-rwxr-xr-x root/root .* \./usr/sbin/kexec$' <<<"$listing" || fail "/usr/sbin/kexec is not 0755"

# Control fields and maintainer scripts.
field() { dpkg-deb -f "$pkg" "$1"; }
[ "$(field Package)" = swift-kexec ] || fail "Package: $(field Package)"
[ "$(field Version)" = "$version" ] || fail "Version: $(field Version), the source says $version"
[ "$(field Architecture)" = amd64 ] || fail "Architecture: $(field Architecture)"
[ "$(field Depends)" = usr-is-merged ] || fail "Depends: $(field Depends)"
grep -q 'glibc (= ' <<<"$(field Built-Using)" || fail "Built-Using does not name glibc: $(field Built-Using)"
for f in Maintainer Installed-Size Section Priority Description; do [ -n "$(field "$f")" ] || fail "no $f"; done
for f in Conflicts Replaces Provides Breaks; do [ -z "$(field "$f")" ] || fail "$f: set, but swift-kexec diverts instead"; done
dpkg-deb -e "$pkg" "$tmp/control"
[ "$(ls "$tmp/control")" = "$(printf 'control\nmd5sums\npostrm\npreinst')" ] || fail "control files: $(ls "$tmp/control" | paste -sd' ')"
for path in /usr/sbin/kexec /sbin/kexec /usr/share/man/man8/kexec.8.gz; do
    grep -q -- "--add --rename --divert .* $path\$" "$tmp/control/preinst" || fail "preinst does not divert $path"
    grep -q -- "--remove --rename --divert .* $path\$" "$tmp/control/postrm" || fail "postrm does not restore $path"
done

# The packaged binary, man page and completions.
dpkg-deb -x "$pkg" "$tmp/x"
kexec=$tmp/x/usr/sbin/kexec
grep -q 'statically linked, .*stripped' <<<"$(file -b "$kexec")" || fail "usr/sbin/kexec: $(file -b "$kexec")"
[ "$("$kexec" --version | cut -d' ' -f2)" = "$version" ] || fail "kexec --version: $("$kexec" --version)"
help=$(COLUMNS=80 "$kexec" --help) || fail "kexec --help failed"
grep -q '^USAGE: kexec ' <<<"$help" || fail "kexec --help has no usage line"
gunzip -c "$tmp/x/usr/share/man/man8/kexec.8.gz" > "$tmp/kexec.8"
hash=$(printf '%s\n' "$help" | sha256sum | cut -d' ' -f1)
grep -qF ".\\\" kexec --help sha256: $hash" "$tmp/kexec.8" ||
    fail "the man page was not generated from this binary's --help (scripts/make-docs.sh, or rebuild the binary)"
command -v mandoc >/dev/null || fail "mandoc is missing (scripts/install-deps.sh installs it)"
mandoc -T lint -W warning "$tmp/kexec.8" 2> >(grep -v 'outdated mandoc.db' >&2) || fail "mandoc -T lint found warnings"
rendered=$(MANWIDTH=80 man -l "$tmp/kexec.8" 2>"$tmp/man.err")
grep -q '^EXIT STATUS' <<<"$rendered" || fail "man -l does not render the page: $(cat "$tmp/man.err")"
[ ! -s "$tmp/man.err" ] || fail "man -l: $(cat "$tmp/man.err")"
bash -n "$tmp/x/usr/share/bash-completion/completions/kexec"
bash -c 'source "$1" && complete -p kexec' _ "$tmp/x/usr/share/bash-completion/completions/kexec" >/dev/null ||
    fail "the bash completion does not register kexec"
if command -v zsh >/dev/null; then zsh -n "$tmp/x/usr/share/zsh/vendor-completions/_kexec"; fi
if command -v fish >/dev/null; then fish -n "$tmp/x/usr/share/fish/vendor_completions.d/kexec.fish"; fi

# preinst/postrm against a scratch root: dpkg-divert gets --root through a wrapper (and
# DPKG_ROOT), so the running system's diversions and files are never touched.
root=$tmp/root
mkdir -p "$root/usr/sbin" "$root/usr/share/man/man8" "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates" "$tmp/bin"
ln -s usr/sbin "$root/sbin"
: > "$root/var/lib/dpkg/status"
printf '#!/bin/sh\nexec /usr/bin/dpkg-divert --root="%s" "$@"\n' "$root" > "$tmp/bin/dpkg-divert"
chmod 755 "$tmp/bin/dpkg-divert"
echo kexec-tools > "$root/sbin/kexec"            # bookworm's kexec-tools: /sbin/kexec
echo kexec-tools-man > "$root/usr/share/man/man8/kexec.8.gz"
maint() { PATH="$tmp/bin:$PATH" DPKG_ROOT="$root" DPKG_ADMINDIR="$root/var/lib/dpkg" sh "$tmp/control/$1" "${@:2}" >/dev/null; }
diversions() { PATH="$tmp/bin:$PATH" dpkg-divert --list | wc -l; }
maint preinst install
[ "$(diversions)" = 3 ] && [ ! -e "$root/usr/sbin/kexec" ] &&
    [ "$(cat "$root/usr/sbin/kexec.kexec-tools")" = kexec-tools ] &&
    [ "$(cat "$root/usr/share/man/man8/kexec.kexec-tools.8.gz")" = kexec-tools-man ] ||
    fail "preinst install did not move kexec-tools' kexec and man page aside"
cp "$kexec" "$root/usr/sbin/kexec"                # dpkg unpacks ours
maint preinst upgrade "$version"
cmp -s "$kexec" "$root/usr/sbin/kexec" && [ "$(diversions)" = 3 ] || fail "preinst upgrade changed the diversions"
rm "$root/usr/sbin/kexec"                         # dpkg removes ours, then runs postrm
maint postrm remove
[ "$(diversions)" = 0 ] && [ "$(cat "$root/sbin/kexec")" = kexec-tools ] &&
    [ "$(cat "$root/usr/share/man/man8/kexec.8.gz")" = kexec-tools-man ] ||
    fail "postrm remove did not give kexec-tools its kexec and man page back"
maint preinst install && maint postrm abort-install
[ "$(diversions)" = 0 ] && [ "$(cat "$root/usr/sbin/kexec")" = kexec-tools ] || fail "abort-install left diversions"

if command -v lintian >/dev/null; then
    # Errors and warnings fail the check; the rest (pedantic, info) is printed.
    lintian --pedantic --display-info "$pkg" 2>/dev/null | tee "$tmp/lintian" | grep -v '^I: .*spelling-error-in-binary' || true
    if grep -q '^[EW]:' "$tmp/lintian"; then fail "lintian reports errors or warnings"; fi
fi
echo "check-package: $deb ok (reproducible, $(echo "$files" | wc -l) files, man page and completions current)"
