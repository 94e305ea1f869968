# maptrace: build a release binary that runs without Swift installed, install it, package it.
#
#   make                       the release binary (Swift's standard library linked in)
#   make install PREFIX=/usr/local DESTDIR=
#   make deb                   maptrace_VERSION_ARCH.deb, Depends: from the libraries it links
#   make uninstall / clean

PREFIX ?= /usr/local
DESTDIR ?=
SWIFT ?= swift

BINDIR := $(PREFIX)/bin
MANDIR := $(PREFIX)/share/man/man1
BASHDIR := $(PREFIX)/share/bash-completion/completions
# Debian's zsh reads packaged completions from vendor-completions, local ones from site-functions
ZSHDIR := $(PREFIX)/share/zsh/$(if $(filter /usr,$(PREFIX)),vendor-completions,site-functions)
FISHDIR := $(PREFIX)/share/fish/vendor_completions.d

BUILD_FLAGS := -c release --static-swift-stdlib --product maptrace
VERSION := $(shell sed -n 's/.*maptraceVersion = "\(.*\)"/\1/p' Sources/MapTrace/Version.swift)
ARCH := $(shell dpkg --print-architecture 2>/dev/null || uname -m)
STAGE := .build/package
DEBROOT := $(STAGE)/deb
DEB := maptrace_$(VERSION)_$(ARCH).deb

.PHONY: all build completions install uninstall deb clean

all: build

# The binary must need no Swift library at run time: ldd shows none from the toolchain.
build:
	$(SWIFT) build $(BUILD_FLAGS)
	@bin="$$($(SWIFT) build $(BUILD_FLAGS) --show-bin-path)/maptrace"; \
	if ldd "$$bin" | grep -E 'libswift|libFoundation|lib_Foundation|libdispatch|libBlocksRuntime'; then \
		echo "make: $$bin still links the Swift libraries above" >&2; exit 1; fi; \
	mkdir -p $(STAGE) && cp "$$bin" $(STAGE)/maptrace

completions: build
	mkdir -p $(STAGE)/completions
	$(STAGE)/maptrace --generate-completion-script bash > $(STAGE)/completions/maptrace.bash
	$(STAGE)/maptrace --generate-completion-script zsh > $(STAGE)/completions/_maptrace
	$(STAGE)/maptrace --generate-completion-script fish > $(STAGE)/completions/maptrace.fish

install: build completions
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR) $(DESTDIR)$(BASHDIR) $(DESTDIR)$(ZSHDIR) $(DESTDIR)$(FISHDIR)
	install -s -m 0755 $(STAGE)/maptrace $(DESTDIR)$(BINDIR)/maptrace
	install -m 0644 man/maptrace.1 $(DESTDIR)$(MANDIR)/maptrace.1
	install -m 0644 $(STAGE)/completions/maptrace.bash $(DESTDIR)$(BASHDIR)/maptrace
	install -m 0644 $(STAGE)/completions/_maptrace $(DESTDIR)$(ZSHDIR)/_maptrace
	install -m 0644 $(STAGE)/completions/maptrace.fish $(DESTDIR)$(FISHDIR)/maptrace.fish

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/maptrace $(DESTDIR)$(MANDIR)/maptrace.1 $(DESTDIR)$(BASHDIR)/maptrace \
		$(DESTDIR)$(ZSHDIR)/_maptrace $(DESTDIR)$(FISHDIR)/maptrace.fish

# A Debian package: the install under /usr, the man page compressed as Debian ships them, and
# Depends: the packages owning the shared libraries the binary links (libseccomp2, libunwind8…).
deb: build completions
	rm -rf $(DEBROOT)
	$(MAKE) --no-print-directory install DESTDIR=$(CURDIR)/$(DEBROOT) PREFIX=/usr
	gzip -9n $(DEBROOT)/usr/share/man/man1/maptrace.1
	mkdir -p $(DEBROOT)/DEBIAN
	depends="$$(packaging/deb-depends.sh $(STAGE)/maptrace)" && \
	sed -e 's/@VERSION@/$(VERSION)/' -e 's/@ARCH@/$(ARCH)/' -e "s/@DEPENDS@/$$depends/" \
		-e "s/@SIZE@/$$(du -sk $(DEBROOT)/usr | cut -f1)/" packaging/control.in > $(DEBROOT)/DEBIAN/control
	dpkg-deb --root-owner-group --build $(DEBROOT) $(DEB)
	@dpkg-deb --field $(DEB) Depends

clean:
	rm -rf $(STAGE) maptrace_*.deb
