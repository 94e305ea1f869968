#!/bin/sh
# Prints the Depends: of a .deb for BINARY: the Debian packages that own the shared libraries
# it links (ldd), with the version installed here as the minimum, e.g.
# "libc6 (>= 2.36), liblzma5 (>= 5.4.1), libseccomp2 (>= 2.5.4), libunwind8 (>= 1.6.2)".
# A library no package owns (a toolchain's) is an error: the binary would not run elsewhere.
set -eu
binary=$1
libraries=$(ldd "$binary" | awk '/=> \// { print $3 } /^[[:space:]]*\/[^ ]+ \(/ { print $1 }' | sort -u)
owners=""
for library in $libraries; do
    # merged /usr: a library found under /lib may be registered under /usr/lib, and the reverse
    owner=""
    for candidate in "$library" "$(readlink -f "$library")" "/usr$library" "${library#/usr}"; do
        owner=$(dpkg -S "$candidate" 2>/dev/null | head -n1 | cut -d: -f1 || true)
        [ -n "$owner" ] && break
    done
    if [ -z "$owner" ]; then
        echo "deb-depends: no Debian package owns $library (linked by $binary)" >&2
        exit 1
    fi
    owners="$owners $owner"
done
for package in $(printf '%s\n' $owners | sort -u); do
    printf '%s (>= %s)\n' "$package" "$(dpkg-query -W -f='${Version}' "$package" | sed 's/-[^-]*$//')"
done | paste -sd, - | sed 's/,/, /g'
