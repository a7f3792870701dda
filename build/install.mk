# build/install.mk — installing exim-mailauth (included from build/main.mk).
#
#   make install      the module, the tools, the Exim files and man pages
#   make uninstall    removes what install put there (never mailauth.conf)
#   make deb          the Debian package exim4-mailauth (build/debian/), in
#                     $(O)/deb/; see build/mkdeb.sh
#   make patch-test   builds Exim 4.96 from source with patches/ applied and
#                     checks that it loads the module (slow; see
#                     tests/patches/patch-test.sh)
#
# Variables of make install (all may be given on the command line):
#   DESTDIR        staging root, prepended to every path (packaging)
#   PREFIX         /usr/local
#   BINDIR         $(PREFIX)/bin                mailauth-check, mailauth-report
#   MODULEDIR      $(PREFIX)/lib/exim4          mailauth.so
#   MANDIR         $(PREFIX)/share/man
#   DOCDIR         $(PREFIX)/share/doc/exim-mailauth
#   EXIM_CONFDIR   /etc/exim4                   mailauth.conf, mailauth/
#   DEBIAN_DROPIN  yes: also conf.d/main/05_exim-mailauth for Debian's split
#                  configuration (default: yes when /etc/exim4/conf.d/main
#                  exists on this machine)
#   INSTALL_EXAMPLE yes: also $(DOCDIR)/mailauth.conf.example (default)
#
# The Exim files (mailauth.macros, the ACL snippets, debian.conf) are
# installed with the module's and the configuration directory's real paths
# written into them.  $(EXIM_CONFDIR)/mailauth.conf is installed only when
# it does not exist yet, so an administrator's file is never overwritten.
# The module looks for /etc/exim4/mailauth.conf by default; with another
# EXIM_CONFDIR, set MAILAUTH_CONFIG_FILE (see acl_check_rcpt).
# mailauth-report and its man page are installed when it was built.

PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MODULEDIR ?= $(PREFIX)/lib/exim4
MANDIR ?= $(PREFIX)/share/man
DOCDIR ?= $(PREFIX)/share/doc/exim-mailauth
EXIM_CONFDIR ?= /etc/exim4
DEBIAN_DROPIN ?= $(if $(wildcard /etc/exim4/conf.d/main),yes,no)
INSTALL_EXAMPLE ?= yes
INSTALL ?= install

# The paths as written in module/conf/ (what Debian uses), and their
# replacements.
CONF_SUBST := -e 's|/usr/lib/exim4/mailauth\.so|$(MODULEDIR)/mailauth.so|g' \
              -e 's|/etc/exim4/mailauth|$(EXIM_CONFDIR)/mailauth|g'
EXIM_FILES := mailauth.macros acl_check_rcpt acl_check_data debian/debian.conf
D := $(DESTDIR)

.PHONY: install uninstall deb patch-test
install: all
	$(INSTALL) -d $(D)$(BINDIR) $(D)$(MODULEDIR) $(D)$(EXIM_CONFDIR)/mailauth \
		$(D)$(MANDIR)/man1 $(D)$(MANDIR)/man5
	$(INSTALL) -m 0644 $(MODULE) $(D)$(MODULEDIR)/mailauth.so
	$(INSTALL) -m 0755 $(O)/mailauth-check $(D)$(BINDIR)/mailauth-check
	$(INSTALL) -m 0644 build/man/mailauth-check.1 $(D)$(MANDIR)/man1/mailauth-check.1
	$(INSTALL) -m 0644 build/man/mailauth.conf.5 $(D)$(MANDIR)/man5/mailauth.conf.5
	if [ -f $(O)/mailauth-report ]; then \
		$(INSTALL) -m 0755 $(O)/mailauth-report $(D)$(BINDIR)/mailauth-report && \
		$(INSTALL) -m 0644 build/man/mailauth-report.1 $(D)$(MANDIR)/man1/mailauth-report.1; \
	fi
	for f in $(EXIM_FILES); do \
		sed $(CONF_SUBST) module/conf/$$f >$(D)$(EXIM_CONFDIR)/mailauth/$${f##*/}.tmp && \
		chmod 0644 $(D)$(EXIM_CONFDIR)/mailauth/$${f##*/}.tmp && \
		mv -f $(D)$(EXIM_CONFDIR)/mailauth/$${f##*/}.tmp $(D)$(EXIM_CONFDIR)/mailauth/$${f##*/} || exit 1; \
	done
	if [ ! -e $(D)$(EXIM_CONFDIR)/mailauth.conf ]; then \
		$(INSTALL) -m 0644 module/conf/mailauth.conf.example $(D)$(EXIM_CONFDIR)/mailauth.conf; \
	fi
	if [ "$(INSTALL_EXAMPLE)" = yes ]; then \
		$(INSTALL) -d $(D)$(DOCDIR) && \
		$(INSTALL) -m 0644 module/conf/mailauth.conf.example $(D)$(DOCDIR)/mailauth.conf.example; \
	fi
	if [ "$(DEBIAN_DROPIN)" = yes ]; then \
		$(INSTALL) -d $(D)$(EXIM_CONFDIR)/conf.d/main && \
		sed $(CONF_SUBST) module/conf/debian/conf.d/main/05_exim-mailauth \
			>$(D)$(EXIM_CONFDIR)/conf.d/main/05_exim-mailauth && \
		chmod 0644 $(D)$(EXIM_CONFDIR)/conf.d/main/05_exim-mailauth; \
	fi

uninstall:
	rm -f $(D)$(MODULEDIR)/mailauth.so $(D)$(BINDIR)/mailauth-check $(D)$(BINDIR)/mailauth-report \
		$(D)$(MANDIR)/man1/mailauth-check.1 $(D)$(MANDIR)/man1/mailauth-report.1 \
		$(D)$(MANDIR)/man5/mailauth.conf.5 $(D)$(DOCDIR)/mailauth.conf.example \
		$(D)$(EXIM_CONFDIR)/conf.d/main/05_exim-mailauth
	for f in $(EXIM_FILES); do rm -f $(D)$(EXIM_CONFDIR)/mailauth/$${f##*/}; done
	-rmdir $(D)$(DOCDIR) $(D)$(MODULEDIR) 2>/dev/null
	@if [ -e $(D)$(EXIM_CONFDIR)/mailauth.conf ]; then \
		echo "kept $(D)$(EXIM_CONFDIR)/mailauth.conf (yours)"; fi

# The package is built from a copy of the sources with build/debian as
# debian/, so nothing is written into the source tree.
deb:
	sh build/mkdeb.sh $(O)/deb

# Slow (builds Exim): not part of make check.
EXIM_SRC ?= $(abspath ../exim-src)
patch-test: all
	sh tests/patches/patch-test.sh $(MODULE) $(EXIM_SRC)
