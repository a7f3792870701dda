/* test_eval_scenarios.c — end-to-end scenarios through eval_run(), the one
 * evaluation every front end uses: a zone file served by the real
 * libunbound ("zone:"), a message, an envelope and a configuration text in
 * mailauth.conf syntax go in; the result fields come out and are compared
 * with the table.
 *
 * Nothing is mocked: DKIM signatures are made at run time with the core's
 * signer (dkim_sign) using an RSA-2048 and an Ed25519 key generated with
 * OpenSSL when the program starts, their public keys are put into the zone
 * each scenario writes, and ARC sets are added with arc_seal_message() after a real
 * evaluation at the forwarder (whose Authentication-Results becomes the
 * ARC-Authentication-Results).  Each scenario says what happens to the
 * message on its way ("steps"): signing, a list rewriting Subject or adding
 * a footer, sealing.
 *
 * Covered: aligned and unaligned SPF and DKIM (RSA and Ed25519), strict and
 * relaxed alignment for each, SPF through include and redirect, broken,
 * expired and l= signatures and missing keys, sp=, the tree walk several
 * labels up and its label limit (DMARC_TREEWALK_MAX_LABELS), t=y, np= for a
 * non-existent subdomain, p=none with rua=, records without p=, invalid and
 * duplicate records, the RFC 7489 compatibility mode with pct=0/100 (and
 * pct=50 by counting over many runs), DNS timeouts and SERVFAIL on the
 * DMARC record, DKIM keys and SPF records (temperror only where the failed
 * identifier could have aligned), internationalized domains, From fields
 * that do not parse, several From authors under both dmarc_multiple_from
 * settings, the null sender's HELO identity, trusted ARC sealers over one
 * and two hops, trusted forwarders and mailing lists, the tree walk against
 * the public suffix list, and PSD records (psd=y).
 *
 * When MAILAUTH_AR_OUT names a directory, each scenario writes there the
 * Authentication-Results field it produced (NNN-name.ar), every result
 * field with the envelope (NNN-name.json) and the message evaluated
 * (NNN-name.eml); tests/interop/eval_authres.sh checks them with
 * python3-authres.
 */
#include <check.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arc.h"
#include "arena.h"
#include "config.h"
#include "dkim.h"
#include "dkimtest.h"
#include "dns.h"
#include "eval.h"
#include "fields.h"
#include "mailauth_limits.h"
#include "msg.h"
#include "slice.h"
#include "testutil.h"

/* 2023-11-14 22:13:20 UTC: the evaluation time; signatures are a little
 * older. */
#define NOW 1700000000ULL
#define SIGN_TIME (NOW - 120)
#define SEAL_TIME (NOW - 60)

#define AUTHSERV_ID "mx.test.example"
#define BUDGET_MS 10000
#define TIMEOUT_BUDGET_MS 1200

struct scenario {
	const char *name;
	const char *zone;      /* zone file lines; signing keys are added */
	const char *config;    /* mailauth.conf text, or NULL for the defaults */
	const char *ip, *helo; /* NULL: not given */
	const char *mail_from; /* NULL: not given; "": the null sender */
	const char *head;      /* header fields above the standard ones (From: ...) */
	const char *steps;     /* what happens to the message before it arrives */
	unsigned budget_ms;    /* 0: BUDGET_MS */
	const char *expect;    /* name=value, name="value with spaces", ... */
};

/* Steps, in order, each applied to the message as it is then:
 *   rsa@D, ed@D          DKIM-sign with d=D, s=rsa or s=ed (key published)
 *   rsa-nokey@D          sign with s=gone, no key published
 *   rsa-slow@D           sign with s=slow, key lookups time out
 *   rsa-loop@D           sign with s=loop, a CNAME loop: SERVFAIL at once
 *   rsa-expired@D        sign with s=rsa and x= before the evaluation time
 *   rsa-l@D              sign with s=rsa and l= (the body length signed)
 *   subject              prefix the Subject with "[dev] " (as lists do)
 *   footer               append a footer to the body
 *   receive              the message reaches the next intermediary: what
 *                        it verifies is the message as it is now, before
 *                        the changes that follow
 *   arc-rsa@D, arc-ed@D  evaluate at the intermediary (authserv-id mx.D) the
 *                        message as received (at the last "receive", else
 *                        as it is now) and add the next ARC set to the
 *                        message as it is now, sealed by D (s=rsa / s=ed)
 */

/* Hosts: the author's outbound servers, the list/forwarder, anyone else. */
#define IP_EX "192.0.2.10"
#define IP_LIST "198.51.100.5"
#define IP_BAD "203.0.113.9"

#define SPF_EX "example.com. TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n"
#define SPF_LIST "lists.example.org. TXT \"v=spf1 ip4:198.51.100.0/24 -all\"\n"
#define DM_EX(tags) "_dmarc.example.com. TXT \"v=DMARC1; " tags "\"\n"
#define FROM_EX "From: Alice <alice@example.com>\n"
#define FROM(addr) "From: " addr "\n"
#define LIST_ID "List-Id: Developers <dev.lists.example.org>\n"
#define IDN_FROM "From: J\xc3\xb6rg <joerg@b\xc3\xbc" "cher.example>\n"
#define IDN_A "xn--bcher-kva.example"
#define DEEP "x1.x2.x3.x4.x5.x6.x7.x8.x9.mail.example.com"
#define MAY_ALIGN "\"dmarc_reason=temporary error on an identifier that may align\""
#define LIST_CHAIN "rsa@example.com receive subject footer arc-ed@lists.example.org"
#define TWO_HOPS "rsa@example.com receive subject arc-rsa@fwd.example.net " \
                 "receive footer arc-ed@lists.example.org"

static const struct scenario scenarios[] = {
	/* ---- the basics: SPF and DKIM with RSA and Ed25519 keys ---- */
	{ .name = "aligned_spf_and_rsa_dkim_pass",
	  .zone = SPF_EX DM_EX("p=reject"),
	  .ip = IP_EX, .helo = "mx.example.com", .mail_from = "alice@example.com",
	  .head = FROM_EX, .steps = "rsa@example.com",
	  .expect = "spf_result=pass spf_helo_result=none dkim_verify_status=pass "
	            "dkim_signers=example.com dkim_signatures=1 dmarc_status=accept "
	            "dmarc_status_text=Accept dmarc_result=pass dmarc_used_domain=example.com "
	            "dmarc_domain_policy=reject dmarc_policy_found_at=author dmarc_policy_tag=p "
	            "dmarc_spf_aligned=yes dmarc_dkim_aligned=yes dmarc_override=\"\" "
	            "arc_state=none from_domains=example.com" },
	{ .name = "ed25519_signature_alone_passes_dmarc",
	  .zone = SPF_EX DM_EX("p=reject"),
	  .ip = IP_BAD, .helo = "bad.example.net", .mail_from = "alice@example.com",
	  .head = FROM_EX, .steps = "ed@example.com",
	  .expect = "spf_result=fail dkim_verify_status=pass dkim_signers=example.com "
	            "dmarc_status=accept dmarc_result=pass dmarc_spf_aligned=no "
	            "dmarc_dkim_aligned=yes dmarc_dkim_aligned_domain=example.com" },
	{ .name = "unauthenticated_mail_under_p_reject_is_rejected",
	  .zone = SPF_EX DM_EX("p=reject"),
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .expect = "spf_result=fail dkim_verify_status=none dkim_signatures=0 "
	            "dmarc_status=reject dmarc_status_text=Reject dmarc_result=fail "
	            "dmarc_policy=reject dmarc_disposition=reject" },
	{ .name = "body_changed_after_signing_fails_dkim",
	  .zone = SPF_EX DM_EX("p=reject"),
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .steps = "rsa@example.com footer",
	  .expect = "dkim_verify_status=fail dkim_verify_reason=bodyhash_mismatch dkim_signers=\"\" "
	            "dmarc_status=reject dmarc_result=fail" },
	{ .name = "header_changed_after_signing_fails_dkim",
	  .zone = SPF_EX DM_EX("p=quarantine"),
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .steps = "ed@example.com subject",
	  .expect = "dkim_verify_status=fail dkim_verify_reason=signature_incorrect "
	            "dmarc_status=quarantine dmarc_result=fail" },
	{ .name = "signature_without_published_key_is_invalid",
	  .zone = SPF_EX DM_EX("p=reject"),
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .steps = "rsa-nokey@example.com",
	  .expect = "dkim_verify_status=invalid dkim_verify_reason=pubkey_unavailable "
	            "dmarc_status=reject dmarc_result=fail dmarc_dkim_aligned=no" },
	{ .name = "one_good_signature_among_broken_ones_passes",
	  .zone = SPF_EX DM_EX("p=reject"),
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .steps = "rsa-nokey@example.com ed@example.com",
	  .expect = "dkim_verify_status=pass dkim_signatures=2 dkim_signers=example.com "
	            "dmarc_status=accept dmarc_dkim_aligned=yes" },
	{ .name = "third_party_signature_does_not_align",
	  .zone = SPF_EX DM_EX("p=reject"),
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .steps = "rsa@esp.example.net",
	  .expect = "dkim_verify_status=pass dkim_signers=esp.example.net dmarc_status=reject "
	            "dmarc_result=fail dmarc_dkim_aligned=no" },
	{ .name = "expired_signature_does_not_count",
	  .zone = SPF_EX DM_EX("p=reject"),
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .steps = "rsa-expired@example.com",
	  .expect = "dkim_verify_reason=signature_expired dkim_signers=\"\" dmarc_status=reject "
	            "dmarc_dkim_aligned=no" },
	{ .name = "body_length_limit_keeps_a_signature_valid_after_a_footer",
	  .zone = SPF_EX DM_EX("p=reject"),
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .steps = "rsa-l@example.com footer",
	  .expect = "dkim_verify_status=pass dmarc_status=accept dmarc_dkim_aligned=yes" },
	{ .name = "signer_domain_in_upper_case_aligns_strictly",
	  .zone = SPF_EX DM_EX("p=reject; adkim=s"),
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM("alice@Example.Com"),
	  .steps = "ed@EXAMPLE.COM",
	  .expect = "dkim_verify_status=pass dmarc_status=accept dmarc_dkim_aligned=yes "
	            "dmarc_author_domain=example.com" },
	{ .name = "quoted_display_name_holding_an_address_is_not_the_author",
	  .zone = SPF_EX DM_EX("p=reject") "_dmarc.evil.example. TXT \"v=DMARC1; p=reject\"\n",
	  .ip = IP_EX, .mail_from = "alice@example.com",
	  .head = FROM("\"Alice <alice@example.com>\" <eve@evil.example>"),
	  .expect = "spf_result=pass from_domains=evil.example dmarc_author_domain=evil.example "
	            "dmarc_status=reject dmarc_result=fail" },
	/* A From field that does not parse has no Author Domain: nofrom, never
	 * a guess at the domain written in it. */
	{ .name = "from_with_an_address_without_domain_is_nofrom",
	  .zone = SPF_EX DM_EX("p=reject"),
	  .ip = IP_EX, .mail_from = "alice@example.com", .head = FROM("alice@example.com, bob"),
	  .expect = "spf_result=pass from_status=nodomain from_domains=\"\" dmarc_status=nofrom "
	            "dmarc_result=permerror dmarc_author_domain=\"\" dmarc_used_domain=\"\"" },
	{ .name = "from_with_an_unbalanced_bracket_is_nofrom",
	  .zone = SPF_EX DM_EX("p=reject"),
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM("Alice <alice@example.com"),
	  .expect = "spf_result=fail from_status=nodomain dmarc_status=nofrom dmarc_result=permerror" },
	{ .name = "from_with_a_domain_literal_among_several_is_refused",
	  .zone = SPF_EX DM_EX("p=reject"),
	  .ip = IP_EX, .mail_from = "alice@example.com",
	  .head = FROM("alice@example.com, bob@[192.0.2.1]"),
	  .expect = "spf_result=pass from_status=multiple-addresses dmarc_status=reject "
	            "dmarc_result=permerror "
	            "\"dmarc_reason=From addresses without a usable domain\"" },
	{ .name = "no_dmarc_record_is_norecord",
	  .zone = SPF_EX,
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .expect = "spf_result=fail dmarc_status=norecord \"dmarc_status_text=No DMARC record\" "
	            "dmarc_result=none dmarc_used_domain=\"\" dmarc_policy_found_at=\"\" "
	            "\"dmarc_tree_walk=example.com com\"" },
	{ .name = "local_submission_without_ip_rests_on_dkim",
	  .zone = SPF_EX DM_EX("p=reject"),
	  .head = FROM_EX, .steps = "ed@example.com",
	  .expect = "spf_result=none dkim_verify_status=pass dmarc_status=accept "
	            "dmarc_spf_aligned=no dmarc_dkim_aligned=yes" },
	{ .name = "no_from_field_is_nofrom",
	  .zone = SPF_EX DM_EX("p=reject"),
	  .ip = IP_EX, .mail_from = "alice@example.com", .head = "Sender: alice@example.com\n",
	  .expect = "spf_result=pass from_status=none dmarc_status=nofrom "
	            "\"dmarc_status_text=No From: domain found\" dmarc_result=permerror" },

	/* ---- SPF alignment, relaxed and strict ---- */
	{ .name = "spf_relaxed_aligns_a_subdomain_mail_from",
	  .zone = SPF_EX DM_EX("p=reject")
	          "bounce.example.com. TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n",
	  .ip = IP_EX, .mail_from = "b-123@bounce.example.com", .head = FROM_EX,
	  .expect = "spf_result=pass spf_used_domain=bounce.example.com dmarc_status=accept "
	            "dmarc_spf_aligned=yes dmarc_spf_domain=bounce.example.com dmarc_aspf=r" },
	{ .name = "spf_strict_refuses_a_subdomain_mail_from",
	  .zone = SPF_EX DM_EX("p=reject; aspf=s")
	          "bounce.example.com. TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n",
	  .ip = IP_EX, .mail_from = "b-123@bounce.example.com", .head = FROM_EX,
	  .expect = "spf_result=pass dmarc_status=reject dmarc_result=fail dmarc_spf_aligned=no "
	            "dmarc_aspf=s" },
	{ .name = "spf_strict_accepts_the_same_domain",
	  .zone = SPF_EX DM_EX("p=reject; aspf=s"),
	  .ip = IP_EX, .mail_from = "alice@EXAMPLE.com", .head = FROM_EX,
	  .expect = "spf_result=pass dmarc_status=accept dmarc_spf_aligned=yes dmarc_aspf=s" },
	{ .name = "spf_pass_for_an_unrelated_domain_does_not_align",
	  .zone = SPF_EX DM_EX("p=reject") "example.net. TXT \"v=spf1 ip4:203.0.113.0/24 -all\"\n",
	  .ip = IP_BAD, .mail_from = "mallory@example.net", .head = FROM_EX,
	  .expect = "spf_result=pass dmarc_status=reject dmarc_spf_aligned=no" },

	{ .name = "spf_pass_through_an_include_aligns_the_mail_from_domain",
	  .zone = DM_EX("p=reject; aspf=s")
	          "example.com. TXT \"v=spf1 include:_spf.esp.example.net -all\"\n"
	          "_spf.esp.example.net. TXT \"v=spf1 ip4:203.0.113.0/24 -all\"\n",
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .expect = "spf_result=pass spf_used_domain=example.com dmarc_status=accept "
	            "dmarc_spf_aligned=yes dmarc_spf_domain=example.com" },
	{ .name = "spf_pass_through_a_redirect_aligns_the_mail_from_domain",
	  .zone = DM_EX("p=reject; aspf=s")
	          "example.com. TXT \"v=spf1 redirect=_spf.esp.example.net\"\n"
	          "_spf.esp.example.net. TXT \"v=spf1 ip4:203.0.113.0/24 -all\"\n",
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .expect = "spf_result=pass dmarc_status=accept dmarc_spf_aligned=yes "
	            "dmarc_spf_domain=example.com" },
	{ .name = "null_sender_with_an_address_literal_helo_has_no_spf_identity",
	  .zone = SPF_EX DM_EX("p=reject"),
	  .ip = IP_EX, .helo = "[192.0.2.10]", .mail_from = "", .head = FROM_EX,
	  .expect = "spf_result=none dmarc_status=reject dmarc_result=fail dmarc_spf_aligned=no" },

	/* ---- DKIM alignment, relaxed and strict ---- */
	{ .name = "dkim_relaxed_aligns_a_subdomain_signer",
	  .zone = SPF_EX DM_EX("p=reject"),
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .steps = "rsa@mail.example.com",
	  .expect = "dkim_verify_status=pass dmarc_status=accept dmarc_dkim_aligned=yes "
	            "dmarc_dkim_aligned_domain=mail.example.com dmarc_adkim=r" },
	{ .name = "dkim_strict_refuses_a_subdomain_signer",
	  .zone = SPF_EX DM_EX("p=reject; adkim=s"),
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .steps = "rsa@mail.example.com",
	  .expect = "dkim_verify_status=pass dmarc_status=reject dmarc_dkim_aligned=no "
	            "dmarc_adkim=s" },
	{ .name = "dkim_strict_accepts_the_same_domain",
	  .zone = SPF_EX DM_EX("p=reject; adkim=s"),
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .steps = "ed@example.com",
	  .expect = "dmarc_status=accept dmarc_dkim_aligned=yes dmarc_adkim=s" },

	/* ---- subdomains: sp= ---- */
	{ .name = "existing_subdomain_gets_sp",
	  .zone = SPF_EX DM_EX("p=reject; sp=quarantine") "news.example.com. A 192.0.2.1\n",
	  .ip = IP_BAD, .mail_from = "alice@news.example.com", .head = FROM("alice@news.example.com"),
	  .expect = "spf_result=none dmarc_status=quarantine dmarc_used_domain=example.com "
	            "dmarc_policy_found_at=org dmarc_policy_tag=sp dmarc_policy=quarantine "
	            "dmarc_domain_policy=reject dmarc_org_domain=example.com" },
	{ .name = "subdomain_without_sp_gets_p",
	  .zone = SPF_EX DM_EX("p=reject") "news.example.com. A 192.0.2.1\n",
	  .ip = IP_BAD, .mail_from = "alice@news.example.com", .head = FROM("alice@news.example.com"),
	  .expect = "dmarc_status=reject dmarc_policy_tag=sp dmarc_policy=reject" },
	{ .name = "subdomain_with_its_own_record_gets_its_p",
	  .zone = SPF_EX DM_EX("p=reject; sp=reject")
	          "_dmarc.news.example.com. TXT \"v=DMARC1; p=none\"\n",
	  .ip = IP_BAD, .mail_from = "alice@news.example.com", .head = FROM("alice@news.example.com"),
	  .expect = "dmarc_status=none dmarc_used_domain=news.example.com "
	            "dmarc_policy_found_at=author dmarc_policy_tag=p dmarc_org_domain=example.com" },

	/* ---- the tree walk ---- */
	{ .name = "tree_walk_finds_the_policy_several_labels_up",
	  .zone = SPF_EX DM_EX("p=reject") "a.b.c.d.example.com. A 192.0.2.1\n",
	  .ip = IP_BAD, .mail_from = "", .helo = "bad.example.net",
	  .head = FROM("eve@a.b.c.d.example.com"),
	  .expect = "dmarc_status=reject dmarc_used_domain=example.com dmarc_policy_found_at=org "
	            "\"dmarc_tree_walk=a.b.c.d.example.com b.c.d.example.com c.d.example.com "
	            "d.example.com example.com com\"" },
	{ .name = "tree_walk_label_limit_skips_a_deeper_record",
	  .zone = SPF_EX DM_EX("p=reject") DEEP ". A 192.0.2.1\n"
	          "_dmarc.x3.x4.x5.x6.x7.x8.x9.mail.example.com. TXT \"v=DMARC1; p=none\"\n",
	  .ip = IP_BAD, .mail_from = "eve@" DEEP, .head = FROM("eve@" DEEP),
	  /* 12 labels: the walk jumps to 7 (RFC 9989 4.10.1), so the record
	   * at 9 labels is never asked for. */
	  .expect = "dmarc_status=reject dmarc_used_domain=example.com "
	            "\"dmarc_tree_walk=" DEEP " x6.x7.x8.x9.mail.example.com "
	            "x7.x8.x9.mail.example.com x8.x9.mail.example.com x9.mail.example.com "
	            "mail.example.com example.com com\"" },
	{ .name = "tree_walk_label_limit_still_reaches_seven_labels",
	  .zone = SPF_EX DEEP ". A 192.0.2.1\n"
	          "_dmarc.x6.x7.x8.x9.mail.example.com. TXT \"v=DMARC1; p=quarantine\"\n",
	  .ip = IP_BAD, .mail_from = "eve@" DEEP, .head = FROM("eve@" DEEP),
	  .expect = "dmarc_status=quarantine dmarc_used_domain=x6.x7.x8.x9.mail.example.com "
	            "dmarc_policy_tag=sp dmarc_policy=quarantine" },

	/* ---- t=y ---- */
	{ .name = "test_mode_lowers_reject_to_quarantine",
	  .zone = SPF_EX DM_EX("p=reject; t=y"),
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .expect = "dmarc_status=quarantine dmarc_result=fail dmarc_policy=reject "
	            "dmarc_disposition=quarantine dmarc_testing=yes dmarc_override=policy_test_mode" },
	{ .name = "test_mode_lowers_quarantine_to_none",
	  .zone = SPF_EX DM_EX("p=quarantine; t=y"),
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .expect = "dmarc_status=none dmarc_disposition=none dmarc_override=policy_test_mode" },

	/* ---- np= ---- */
	{ .name = "np_applies_to_a_non_existent_subdomain",
	  .zone = SPF_EX DM_EX("p=none; sp=none; np=reject"),
	  .ip = IP_BAD, .mail_from = "eve@ghost.example.com", .head = FROM("eve@ghost.example.com"),
	  .expect = "spf_result=none dmarc_status=reject dmarc_result=fail dmarc_policy_tag=np "
	            "dmarc_policy=reject dmarc_used_domain=example.com dmarc_policy_found_at=org" },
	{ .name = "np_does_not_apply_to_an_existing_subdomain",
	  .zone = SPF_EX DM_EX("p=none; sp=none; np=reject") "www.example.com. A 192.0.2.80\n",
	  .ip = IP_BAD, .mail_from = "eve@www.example.com", .head = FROM("eve@www.example.com"),
	  .expect = "dmarc_status=none dmarc_policy_tag=sp dmarc_policy=none" },

	/* ---- p=none, missing p=, broken and duplicate records ---- */
	{ .name = "p_none_with_rua_monitors_only",
	  .zone = SPF_EX DM_EX("p=none; rua=mailto:dmarc@example.com"),
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .expect = "dmarc_status=none \"dmarc_status_text=None, Accept\" dmarc_result=fail "
	            "dmarc_domain_policy=none dmarc_disposition=none "
	            "dmarc_rua=mailto:dmarc@example.com" },
	{ .name = "record_without_p_but_with_rua_acts_as_p_none",
	  .zone = SPF_EX DM_EX("rua=mailto:dmarc@example.com; sp=reject"),
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .expect = "dmarc_status=none dmarc_result=fail dmarc_policy=none dmarc_domain_policy=none "
	            "dmarc_used_domain=example.com" },
	{ .name = "record_without_p_and_without_rua_is_unusable",
	  .zone = SPF_EX DM_EX("adkim=s; sp=reject"),
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .expect = "dmarc_status=norecord \"dmarc_status_text=Unusable DMARC record\" "
	            "dmarc_result=permerror dmarc_used_domain=example.com" },
	{ .name = "invalid_p_without_rua_is_unusable",
	  .zone = SPF_EX DM_EX("p=block"),
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .expect = "dmarc_status=norecord dmarc_result=permerror" },
	{ .name = "a_syntax_error_in_one_tag_keeps_the_others",
	  .zone = SPF_EX DM_EX("p=quarantine; !!; adkim=s"),
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .steps = "ed@mail.example.com",
	  .expect = "dmarc_status=quarantine dmarc_adkim=s dmarc_dkim_aligned=no" },
	{ .name = "blanks_around_tags_and_values_are_allowed",
	  .zone = SPF_EX "_dmarc.example.com. TXT \"v = DMARC1 ;p = quarantine ; adkim = s ;\"\n",
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .steps = "ed@mail.example.com",
	  .expect = "dmarc_status=quarantine dmarc_adkim=s dmarc_dkim_aligned=no" },
	{ .name = "another_version_is_not_a_dmarc_record",
	  .zone = SPF_EX "_dmarc.example.com. TXT \"v=DMARC2; p=reject\"\n",
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .expect = "dmarc_status=norecord dmarc_result=none" },
	{ .name = "duplicate_records_at_the_author_are_discarded",
	  .zone = SPF_EX DM_EX("p=reject") DM_EX("p=none"),
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .expect = "dmarc_status=norecord dmarc_result=none" },
	{ .name = "duplicate_records_at_a_subdomain_fall_back_to_the_org",
	  .zone = SPF_EX DM_EX("p=reject; sp=quarantine")
	          "_dmarc.news.example.com. TXT \"v=DMARC1; p=none\"\n"
	          "_dmarc.news.example.com. TXT \"v=DMARC1; p=none; adkim=s\"\n",
	  .ip = IP_BAD, .mail_from = "eve@news.example.com", .head = FROM("eve@news.example.com"),
	  .expect = "dmarc_status=quarantine dmarc_used_domain=example.com "
	            "dmarc_policy_found_at=org dmarc_policy_tag=sp" },

	/* ---- the RFC 7489 compatibility mode ---- */
	{ .name = "compat_pct_0_samples_every_message_out",
	  .zone = SPF_EX DM_EX("p=reject; pct=0"), .config = "dmarc_mode = rfc7489\n",
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .expect = "dmarc_status=quarantine dmarc_result=fail dmarc_policy=reject "
	            "dmarc_disposition=quarantine dmarc_override=sampled_out "
	            "dmarc_override_comment=pct=0 dmarc_pct=0 dmarc_discovery=psl" },
	{ .name = "compat_pct_100_applies_the_policy",
	  .zone = SPF_EX DM_EX("p=reject; pct=100"), .config = "dmarc_mode = rfc7489\n",
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .expect = "dmarc_status=reject dmarc_override=\"\" dmarc_pct=100 dmarc_discovery=psl" },
	{ .name = "compat_pct_0_does_not_touch_a_pass",
	  .zone = SPF_EX DM_EX("p=reject; pct=0"), .config = "dmarc_mode = rfc7489\n",
	  .ip = IP_EX, .mail_from = "alice@example.com", .head = FROM_EX,
	  .expect = "dmarc_status=accept dmarc_override=\"\"" },
	{ .name = "pct_is_ignored_in_rfc9989_mode",
	  .zone = SPF_EX DM_EX("p=reject; pct=0"),
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .expect = "dmarc_status=reject dmarc_override=\"\" dmarc_discovery=treewalk" },
	{ .name = "compat_mode_finds_the_organizational_domain_by_the_psl",
	  .zone = "_dmarc.example.co.uk. TXT \"v=DMARC1; p=reject; sp=quarantine\"\n",
	  .config = "dmarc_mode = rfc7489\n",
	  .ip = IP_BAD, .mail_from = "eve@a.b.mail.example.co.uk",
	  .head = FROM("eve@a.b.mail.example.co.uk"),
	  .expect = "dmarc_status=quarantine dmarc_used_domain=example.co.uk "
	            "dmarc_policy_found_at=org dmarc_policy_tag=sp "
	            "\"dmarc_tree_walk=a.b.mail.example.co.uk example.co.uk\"" },

	/* ---- DNS failures ---- */
	{ .name = "timeout_on_the_dmarc_record_is_temperror",
	  .zone = SPF_EX "_dmarc.example.com. TIMEOUT\n",
	  .ip = IP_EX, .mail_from = "alice@example.com", .head = FROM_EX, .steps = "ed@example.com",
	  .budget_ms = TIMEOUT_BUDGET_MS,
	  .expect = "spf_result=pass dkim_verify_status=pass dmarc_status=temperror "
	            "\"dmarc_status_text=Temporary DNS error\" dmarc_result=temperror "
	            "\"dmarc_reason=DNS error during the DMARC tree walk\"" },
	{ .name = "timeout_on_the_dkim_key_is_temperror_not_fail",
	  .zone = SPF_EX DM_EX("p=reject"),
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .steps = "rsa-slow@example.com", .budget_ms = TIMEOUT_BUDGET_MS,
	  .expect = "spf_result=fail dkim_verify_reason=pubkey_unavailable "
	            "\"dkim_results=d=example.com s=slow temperror (pubkey_unavailable)\" "
	            "dmarc_status=temperror dmarc_result=temperror " MAY_ALIGN },
	{ .name = "timeout_on_the_spf_record_is_temperror_not_fail",
	  .zone = "example.com. TIMEOUT\n" DM_EX("p=reject"),
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .budget_ms = TIMEOUT_BUDGET_MS,
	  .expect = "spf_result=temperror dmarc_status=temperror dmarc_result=temperror " MAY_ALIGN },
	{ .name = "timeout_on_an_unrelated_signers_key_does_not_block_a_pass",
	  .zone = SPF_EX DM_EX("p=reject"),
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .steps = "rsa-slow@esp.example.net ed@example.com", .budget_ms = TIMEOUT_BUDGET_MS,
	  .expect = "dkim_verify_status=pass dkim_signatures=2 dmarc_status=accept "
	            "dmarc_result=pass" },
	{ .name = "timeout_on_spf_for_an_unrelated_domain_does_not_block_a_dkim_pass",
	  .zone = SPF_EX DM_EX("p=reject") "example.net. TIMEOUT\n",
	  .ip = IP_BAD, .mail_from = "bounce@example.net", .head = FROM_EX,
	  .steps = "ed@example.com", .budget_ms = TIMEOUT_BUDGET_MS,
	  .expect = "spf_result=temperror dkim_verify_status=pass dmarc_status=accept "
	            "dmarc_result=pass dmarc_dkim_aligned=yes" },
	{ .name = "timeout_high_in_the_tree_walk_is_temperror",
	  .zone = "com. TIMEOUT\n" SPF_EX,
	  .head = FROM("eve@mail.example.com"), .budget_ms = TIMEOUT_BUDGET_MS,
	  .expect = "spf_result=none dmarc_status=temperror dmarc_result=temperror "
	            "\"dmarc_reason=DNS error during the DMARC tree walk\"" },
	/* The same failures as SERVFAIL (a CNAME loop), which is immediate and
	 * so leaves the rest of the evaluation its DNS budget. */
	{ .name = "servfail_on_the_dmarc_record_is_temperror",
	  .zone = SPF_EX "_dmarc.example.com. CNAME loop._dmarc.example.com.\n"
	          "loop._dmarc.example.com. CNAME _dmarc.example.com.\n",
	  .ip = IP_EX, .mail_from = "alice@example.com", .head = FROM_EX, .steps = "ed@example.com",
	  .expect = "spf_result=pass dkim_verify_status=pass dmarc_status=temperror "
	            "dmarc_result=temperror \"dmarc_reason=DNS error during the DMARC tree walk\"" },
	{ .name = "servfail_on_the_dkim_key_is_temperror_not_fail",
	  .zone = SPF_EX DM_EX("p=reject"),
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .steps = "rsa-loop@example.com",
	  .expect = "spf_result=fail dkim_verify_status=invalid dkim_verify_reason=pubkey_unavailable "
	            "\"dkim_results=d=example.com s=loop temperror (pubkey_unavailable)\" "
	            "dmarc_status=temperror dmarc_result=temperror " MAY_ALIGN },
	{ .name = "servfail_on_an_unrelated_signers_key_does_not_block_a_pass",
	  .zone = SPF_EX DM_EX("p=reject"),
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	  .steps = "rsa-loop@esp.example.net ed@example.com",
	  .expect = "dkim_verify_status=pass dmarc_status=accept dmarc_result=pass" },
	{ .name = "servfail_on_spf_for_an_aligned_domain_is_temperror",
	  .zone = SPF_EX DM_EX("p=reject") "bounce.example.com. CNAME loop.example.com.\n"
	          "loop.example.com. CNAME bounce.example.com.\n",
	  .ip = IP_BAD, .mail_from = "b-1@bounce.example.com", .head = FROM_EX,
	  .expect = "spf_result=temperror dmarc_status=temperror dmarc_result=temperror " MAY_ALIGN },
	{ .name = "servfail_on_spf_for_an_unrelated_domain_still_fails",
	  .zone = SPF_EX DM_EX("p=reject") "bounce.example.net. CNAME loop.example.net.\n"
	          "loop.example.net. CNAME bounce.example.net.\n",
	  .ip = IP_BAD, .mail_from = "b-1@bounce.example.net", .head = FROM_EX,
	  .expect = "spf_result=temperror dmarc_status=reject dmarc_result=fail" },

	/* ---- internationalized domains ---- */
	{ .name = "u_label_from_is_checked_against_a_label_records",
	  .zone = "_dmarc." IDN_A ". TXT \"v=DMARC1; p=reject\"\n",
	  .ip = IP_BAD, .mail_from = "joerg@" IDN_A, .head = IDN_FROM, .steps = "ed@" IDN_A,
	  .expect = "dkim_verify_status=pass dkim_signers=" IDN_A " dmarc_status=accept "
	            "dmarc_author_domain=" IDN_A " dmarc_used_domain=" IDN_A " dmarc_dkim_aligned=yes" },
	{ .name = "u_label_from_unauthenticated_is_rejected",
	  .zone = "_dmarc." IDN_A ". TXT \"v=DMARC1; p=reject\"\n",
	  .ip = IP_BAD, .mail_from = "joerg@" IDN_A, .head = IDN_FROM,
	  .expect = "dmarc_status=reject dmarc_author_domain=" IDN_A " dmarc_used_domain=" IDN_A },
	{ .name = "a_label_mail_from_aligns_with_a_u_label_from",
	  .zone = "_dmarc." IDN_A ". TXT \"v=DMARC1; p=reject; aspf=s\"\n"
	          IDN_A ". TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n",
	  .ip = IP_EX, .mail_from = "joerg@" IDN_A, .head = IDN_FROM,
	  .expect = "spf_result=pass dmarc_status=accept dmarc_spf_aligned=yes" },
	{ .name = "u_label_mail_from_is_checked_as_its_a_label",
	  .zone = "_dmarc." IDN_A ". TXT \"v=DMARC1; p=reject; aspf=s\"\n"
	          IDN_A ". TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n",
	  .ip = IP_EX, .mail_from = "joerg@b\xc3\xbc" "cher.example", .head = IDN_FROM,
	  .expect = "spf_result=pass dmarc_status=accept dmarc_spf_aligned=yes" },

	/* ---- several From authors ---- */
	{ .name = "several_from_fields_are_rejected_when_configured",
	  .zone = SPF_EX DM_EX("p=reject"), .config = "dmarc_multiple_from = reject\n",
	  .ip = IP_EX, .mail_from = "alice@example.com",
	  .head = FROM("alice@example.com") FROM("mallory@example.net"),
	  .expect = "spf_result=pass dmarc_status=reject dmarc_result=permerror "
	            "\"dmarc_reason=several From header fields\"" },
	{ .name = "several_from_domains_are_rejected_when_configured",
	  .zone = SPF_EX DM_EX("p=reject"), .config = "dmarc_multiple_from = reject\n",
	  .ip = IP_EX, .mail_from = "alice@example.com",
	  .head = FROM("alice@example.com, mallory@example.net"),
	  .expect = "dmarc_status=reject dmarc_result=permerror "
	            "\"dmarc_reason=several From domains\"" },
	{ .name = "strictest_takes_the_failing_author_among_several",
	  .zone = SPF_EX DM_EX("p=reject") "_dmarc.example.net. TXT \"v=DMARC1; p=quarantine\"\n",
	  .config = "dmarc_multiple_from = strictest\n",
	  .ip = IP_EX, .mail_from = "alice@example.com",
	  .head = FROM("alice@example.com, mallory@example.net"),
	  .expect = "spf_result=pass dmarc_status=quarantine dmarc_result=fail "
	            "dmarc_author_domain=example.net dmarc_used_domain=example.net" },
	{ .name = "strictest_is_the_default_for_several_from_fields",
	  .zone = SPF_EX DM_EX("p=reject") "_dmarc.example.net. TXT \"v=DMARC1; p=reject\"\n",
	  .ip = IP_EX, .mail_from = "alice@example.com",
	  .head = FROM("alice@example.com") FROM("mallory@example.net"),
	  .expect = "dmarc_status=reject dmarc_result=fail dmarc_author_domain=example.net" },
	{ .name = "several_addresses_of_one_domain_are_one_author",
	  .zone = SPF_EX DM_EX("p=reject"), .config = "dmarc_multiple_from = reject\n",
	  .ip = IP_EX, .mail_from = "alice@example.com",
	  .head = FROM("alice@example.com, Bob <bob@Example.COM>"),
	  .expect = "dmarc_status=accept dmarc_result=pass dmarc_author_domain=example.com" },

	/* ---- the null sender: the HELO identity ---- */
	{ .name = "null_sender_is_checked_with_the_helo_identity",
	  .zone = SPF_EX DM_EX("p=reject") "mx.example.com. TXT \"v=spf1 ip4:192.0.2.10 -all\"\n",
	  .ip = IP_EX, .helo = "mx.example.com", .mail_from = "", .head = FROM_EX,
	  .expect = "spf_result=pass spf_used_domain=mx.example.com dmarc_status=accept "
	            "dmarc_spf_aligned=yes dmarc_spf_domain=mx.example.com" },
	{ .name = "null_sender_helo_is_not_strictly_aligned",
	  .zone = SPF_EX DM_EX("p=reject; aspf=s")
	          "mx.example.com. TXT \"v=spf1 ip4:192.0.2.10 -all\"\n",
	  .ip = IP_EX, .helo = "mx.example.com", .mail_from = "", .head = FROM_EX,
	  .expect = "spf_result=pass dmarc_status=reject dmarc_spf_aligned=no" },
	{ .name = "null_sender_from_a_host_the_helo_does_not_allow",
	  .zone = SPF_EX DM_EX("p=reject") "mx.example.com. TXT \"v=spf1 ip4:192.0.2.10 -all\"\n",
	  .ip = IP_BAD, .helo = "mx.example.com", .mail_from = "", .head = FROM_EX,
	  .expect = "spf_result=fail dmarc_status=reject dmarc_spf_domain=mx.example.com" },

	/* ---- ARC and the other local overrides ---- */
	{ .name = "trusted_arc_sealer_overrides_reject",
	  .zone = SPF_EX SPF_LIST DM_EX("p=reject"),
	  .config = "trusted_arc_sealers = lists.example.org\n",
	  .ip = IP_LIST, .mail_from = "dev-bounces@lists.example.org", .head = FROM_EX LIST_ID,
	  .steps = LIST_CHAIN,
	  .expect = "spf_result=pass dkim_verify_status=fail arc_state=pass "
	            "arc_domains=lists.example.org arc_oldest_pass=1 dmarc_status=none "
	            "dmarc_result=fail dmarc_policy=reject dmarc_disposition=none "
	            "dmarc_override=local_policy "
	            "\"dmarc_override_comment=arc=pass, trusted sealers: lists.example.org\"" },
	{ .name = "untrusted_arc_sealer_does_not_override",
	  .zone = SPF_EX SPF_LIST DM_EX("p=reject"),
	  .ip = IP_LIST, .mail_from = "dev-bounces@lists.example.org", .head = FROM_EX LIST_ID,
	  .steps = LIST_CHAIN,
	  .expect = "arc_state=pass dmarc_status=reject dmarc_override=\"\"" },
	{ .name = "arc_chain_broken_after_sealing_does_not_override",
	  .zone = SPF_EX SPF_LIST DM_EX("p=reject"),
	  .config = "trusted_arc_sealers = lists.example.org\n",
	  .ip = IP_LIST, .mail_from = "dev-bounces@lists.example.org", .head = FROM_EX LIST_ID,
	  .steps = LIST_CHAIN " footer",
	  .expect = "arc_state=fail dmarc_status=reject dmarc_override=\"\"" },
	{ .name = "two_trusted_sealers_override",
	  .zone = SPF_EX SPF_LIST DM_EX("p=reject"),
	  .config = "trusted_arc_sealers = lists.example.org, fwd.example.net\n",
	  .ip = IP_LIST, .mail_from = "dev-bounces@lists.example.org", .head = FROM_EX LIST_ID,
	  .steps = TWO_HOPS,
	  .expect = "arc_state=pass arc_domains=fwd.example.net:lists.example.org arc_oldest_pass=2 "
	            "dmarc_status=none dmarc_override=local_policy" },
	{ .name = "one_untrusted_sealer_in_the_chain_prevents_the_override",
	  .zone = SPF_EX SPF_LIST DM_EX("p=reject"),
	  .config = "trusted_arc_sealers = lists.example.org\n",
	  .ip = IP_LIST, .mail_from = "dev-bounces@lists.example.org", .head = FROM_EX LIST_ID,
	  .steps = TWO_HOPS,
	  .expect = "arc_state=pass dmarc_status=reject dmarc_override=\"\"" },
	{ .name = "trusted_forwarder_address_overrides",
	  .zone = SPF_EX DM_EX("p=reject"), .config = "trusted_forwarders = 198.51.100.0/24\n",
	  .ip = IP_LIST, .mail_from = "alice@example.com", .head = FROM_EX,
	  .steps = "rsa@example.com footer",
	  .expect = "spf_result=fail dmarc_status=none dmarc_result=fail "
	            "dmarc_override=trusted_forwarder" },
	{ .name = "known_mailing_list_authenticated_by_dkim_overrides",
	  .zone = SPF_EX DM_EX("p=reject"), .config = "mailing_lists = lists.example.org\n",
	  .ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX LIST_ID,
	  .steps = "rsa@example.com subject footer rsa@lists.example.org",
	  .expect = "dkim_signers=lists.example.org dmarc_status=none dmarc_result=fail "
	            "dmarc_override=mailing_list" },

	/* ---- the tree walk against the public suffix list ---- */
	{ .name = "tree_walk_inherits_a_policy_on_a_psl_suffix",
	  .zone = "_dmarc.blogspot.com. TXT \"v=DMARC1; p=reject\"\nfoo.blogspot.com. A 192.0.2.1\n",
	  .ip = IP_BAD, .mail_from = "eve@foo.blogspot.com", .head = FROM("eve@foo.blogspot.com"),
	  .expect = "dmarc_status=reject dmarc_used_domain=blogspot.com dmarc_policy_found_at=org" },
	{ .name = "psl_mode_does_not_inherit_across_a_psl_suffix",
	  .zone = "_dmarc.blogspot.com. TXT \"v=DMARC1; p=reject\"\nfoo.blogspot.com. A 192.0.2.1\n",
	  .config = "dmarc_mode = rfc7489\n",
	  .ip = IP_BAD, .mail_from = "eve@foo.blogspot.com", .head = FROM("eve@foo.blogspot.com"),
	  .expect = "dmarc_status=norecord dmarc_org_domain=foo.blogspot.com" },
	{ .name = "tree_walk_aligns_siblings_below_a_psl_suffix",
	  .zone = "_dmarc.blogspot.com. TXT \"v=DMARC1; p=reject\"\n"
	          "_dmarc.shop.blogspot.com. TXT \"v=DMARC1; p=reject\"\n"
	          "other.blogspot.com. TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n",
	  .ip = IP_EX, .mail_from = "b@other.blogspot.com", .head = FROM("a@shop.blogspot.com"),
	  .expect = "spf_result=pass dmarc_status=accept dmarc_spf_aligned=yes "
	            "dmarc_used_domain=shop.blogspot.com dmarc_org_domain=blogspot.com" },
	{ .name = "psl_mode_does_not_align_siblings_below_a_psl_suffix",
	  .zone = "_dmarc.blogspot.com. TXT \"v=DMARC1; p=reject\"\n"
	          "_dmarc.shop.blogspot.com. TXT \"v=DMARC1; p=reject\"\n"
	          "other.blogspot.com. TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n",
	  .config = "dmarc_mode = rfc7489\n",
	  .ip = IP_EX, .mail_from = "b@other.blogspot.com", .head = FROM("a@shop.blogspot.com"),
	  .expect = "spf_result=pass dmarc_status=reject dmarc_spf_aligned=no "
	            "dmarc_org_domain=shop.blogspot.com" },
	{ .name = "tree_walk_takes_a_record_on_a_suffix_without_psd",
	  .zone = "_dmarc.co.uk. TXT \"v=DMARC1; p=reject\"\nmail.example.co.uk. A 192.0.2.1\n",
	  .ip = IP_BAD, .mail_from = "eve@mail.example.co.uk", .head = FROM("eve@mail.example.co.uk"),
	  .expect = "dmarc_status=reject dmarc_used_domain=co.uk dmarc_org_domain=co.uk" },
	{ .name = "psl_mode_ignores_a_record_on_a_suffix",
	  .zone = "_dmarc.co.uk. TXT \"v=DMARC1; p=reject\"\nmail.example.co.uk. A 192.0.2.1\n",
	  .config = "dmarc_mode = rfc7489\n",
	  .ip = IP_BAD, .mail_from = "eve@mail.example.co.uk", .head = FROM("eve@mail.example.co.uk"),
	  .expect = "dmarc_status=norecord dmarc_org_domain=example.co.uk" },

	/* ---- PSD records (psd=y) ---- */
	{ .name = "psd_record_on_the_parent_applies",
	  .zone = "_dmarc.bank.example. TXT \"v=DMARC1; p=reject; sp=quarantine; psd=y\"\n"
	          "giant.bank.example. A 192.0.2.1\n",
	  .ip = IP_BAD, .mail_from = "eve@giant.bank.example", .head = FROM("eve@giant.bank.example"),
	  .expect = "dmarc_status=quarantine dmarc_used_domain=bank.example "
	            "dmarc_policy_found_at=psd dmarc_policy_tag=sp "
	            "dmarc_org_domain=giant.bank.example" },
	{ .name = "psd_np_applies_to_a_non_existent_name",
	  .zone = "_dmarc.bank.example. TXT \"v=DMARC1; p=none; sp=none; np=reject; psd=y\"\n",
	  .ip = IP_BAD, .mail_from = "eve@www.ghost.bank.example",
	  .head = FROM("eve@www.ghost.bank.example"),
	  .expect = "dmarc_status=reject dmarc_policy_found_at=psd dmarc_policy_tag=np "
	            "dmarc_org_domain=ghost.bank.example" },
	{ .name = "org_record_wins_over_the_psd_record",
	  .zone = "_dmarc.bank.example. TXT \"v=DMARC1; p=reject; psd=y\"\n"
	          "_dmarc.giant.bank.example. TXT \"v=DMARC1; p=none\"\n"
	          "x.giant.bank.example. A 192.0.2.1\n",
	  .ip = IP_BAD, .mail_from = "eve@x.giant.bank.example",
	  .head = FROM("eve@x.giant.bank.example"),
	  .expect = "dmarc_status=none dmarc_used_domain=giant.bank.example "
	            "dmarc_policy_found_at=org dmarc_org_domain=giant.bank.example" },
	{ .name = "alignment_does_not_cross_a_psd",
	  .zone = "_dmarc.bank.example. TXT \"v=DMARC1; p=reject; psd=y\"\n"
	          "_dmarc.giant.bank.example. TXT \"v=DMARC1; p=reject\"\n"
	          "mega.bank.example. TXT \"v=spf1 ip4:192.0.2.0/24 -all\"\n",
	  .ip = IP_EX, .mail_from = "b@mega.bank.example", .head = FROM("a@giant.bank.example"),
	  .steps = "ed@mail.mega.bank.example",
	  .expect = "spf_result=pass dkim_verify_status=pass dmarc_status=reject "
	            "dmarc_spf_aligned=no dmarc_dkim_aligned=no dmarc_org_domain=giant.bank.example" },
};

#define N_SCENARIOS (sizeof scenarios / sizeof scenarios[0])

/* ------------------------------------------------------------------ */
/* Keys, made once before the tests fork                               */

enum { KEY_RSA, KEY_ED, N_KEYS };
static char *key_pem[N_KEYS], *key_record[N_KEYS];

/* ------------------------------------------------------------------ */
/* One scenario                                                        */

struct run {
	int idx;
	const struct scenario *sc;
	struct arena *a;
	struct dns_resolver *res;
	struct config *opts;
	struct slice message;   /* as evaluated */
	struct fields fs;
};

/* Every failure names the scenario. */
static void sc_fail(const struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void sc_fail(const struct run *r, const char *fmt, ...)
{
	char why[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof why, fmt, ap);
	va_end(ap);
	ck_abort_msg("scenario %d (%s): %s", r->idx, r->sc->name, why);
}

#define SC_ASSERT(r, cond, ...)               \
	do {                                      \
		if (!(cond))                          \
			sc_fail((r), __VA_ARGS__);        \
	} while (0)

/* Next space-separated word of *p into w; false at the end. */
static bool next_word(const char **p, struct slice *w)
{
	const char *s = *p;
	while (*s == ' ')
		s++;
	if (!*s)
		return false;
	const char *e = s;
	while (*e && *e != ' ')
		e++;
	*w = slice_between(s, e);
	*p = e;
	return true;
}

/* The signing steps. */
struct sign_kind {
	const char *kind, *selector;
	bool ed, expired, body_length;
};

static const struct sign_kind sign_kinds[] = {
	{ "rsa", "rsa", false, false, false },         { "ed", "ed", true, false, false },
	{ "rsa-nokey", "gone", false, false, false },  { "rsa-slow", "slow", false, false, false },
	{ "rsa-loop", "loop", false, false, false },   { "rsa-expired", "rsa", false, true, false },
	{ "rsa-l", "rsa", false, false, true },
};

static const struct sign_kind *find_sign_kind(struct slice kind)
{
	for (size_t i = 0; i < sizeof sign_kinds / sizeof sign_kinds[0]; i++)
		if (slice_eq(kind, slice_from_cstr(sign_kinds[i].kind)))
			return &sign_kinds[i];
	return NULL;
}

/* "kind@domain" */
static void split_step(struct slice w, struct slice *kind, struct slice *domain)
{
	if (!slice_split_byte(w, '@', kind, domain)) {
		*kind = w;
		*domain = SLICE_NULL;
	}
}

/* The zone: the scenario's lines, then the public keys of every signer and
 * sealer the steps name (s=rsa, s=ed; s=slow times out; s=loop is a CNAME
 * loop; s=gone has none).  NUL-terminated, in the run's arena. */
static struct slice build_zone(struct run *r)
{
	struct dkimtest_zone z = { 0 };
	struct buf b;
	buf_init(&b, r->a, 1 << 20);
	buf_add_cstr(&b, r->sc->zone ? r->sc->zone : "");
	const char *p = r->sc->steps ? r->sc->steps : "";
	struct slice w;
	while (next_word(&p, &w)) {
		struct slice kind, dom;
		split_step(w, &kind, &dom);
		if (!dom.len)
			continue;
		if (slice_starts_with_ci(kind, SLICE_LIT("arc-")))
			kind = slice_sub(kind, 4, kind.len);
		int dl = (int)dom.len;
		const struct sign_kind *k = find_sign_kind(kind);
		if (k && (!strcmp(k->selector, "rsa") || !strcmp(k->selector, "ed"))) {
			char name[512];
			snprintf(name, sizeof name, "%s._domainkey.%.*s", k->selector, dl, dom.ptr);
			const char *rec = key_record[k->ed ? KEY_ED : KEY_RSA];
			dkimtest_zone_txt(&z, name, rec, strlen(rec));
		} else if (slice_eq(kind, SLICE_LIT("rsa-slow"))) {
			buf_addf(&b, "slow._domainkey.%.*s. TIMEOUT\n", dl, dom.ptr);
		} else if (slice_eq(kind, SLICE_LIT("rsa-loop"))) {
			buf_addf(&b, "loop._domainkey.%.*s. CNAME loop2._domainkey.%.*s.\n", dl, dom.ptr,
			         dl, dom.ptr);
			buf_addf(&b, "loop2._domainkey.%.*s. CNAME loop._domainkey.%.*s.\n", dl, dom.ptr,
			         dl, dom.ptr);
		}
	}
	if (z.text)
		buf_add(&b, z.text, z.len);
	dkimtest_zone_free(&z);
	SC_ASSERT(r, !b.err, "zone too large");
	return buf_slice(&b);
}

static struct slice concat3(struct run *r, struct slice x, struct slice y, struct slice z)
{
	struct buf b;
	buf_init(&b, r->a, 1 << 22);
	buf_add_slice(&b, x);
	buf_add_slice(&b, y);
	buf_add_slice(&b, z);
	SC_ASSERT(r, !b.err, "message too large");
	return buf_slice(&b);
}

static void parse_msg(struct run *r, struct slice raw, struct msg *m)
{
	enum msg_status st = msg_parse(m, r->a, raw);
	SC_ASSERT(r, st == MSG_OK, "message does not parse: %s", msg_status_str(st));
}

static const struct dkim_privkey *load_key(struct run *r, bool ed)
{
	struct dkim_privkey *k = arena_zalloc(r->a, sizeof *k);
	const char *detail = NULL;
	SC_ASSERT(r, k != NULL, "out of memory");
	const char *pem = key_pem[ed ? KEY_ED : KEY_RSA];
	int rc = dkim_privkey_load_pem(r->a, slice_from_cstr(pem), k, &detail);
	SC_ASSERT(r, rc == DKIM_OK, "private key: %s", detail ? detail : "?");
	return k;
}

static struct slice step_dkim(struct run *r, struct slice cur, struct slice kind, struct slice dom)
{
	const struct sign_kind *k = find_sign_kind(kind);
	SC_ASSERT(r, k != NULL, "unknown signing step %.*s", (int)kind.len, kind.ptr);
	struct msg m;
	parse_msg(r, cur, &m);
	struct dkim_sign_opts o;
	memset(&o, 0, sizeof o);
	o.domain = dom;
	o.selector = slice_from_cstr(k->selector);
	o.hcanon = o.bcanon = DKIM_CANON_RELAXED;
	o.have_t = true;
	o.t = SIGN_TIME;
	o.lf_only = true;
	o.body_length = k->body_length;
	if (k->expired) {
		o.have_x = true;
		o.x = NOW - 30;
	}
	struct slice sig;
	const char *detail = NULL;
	int rc = dkim_sign(r->a, load_key(r, k->ed), &m, &o, &sig, &detail);
	SC_ASSERT(r, rc == DKIM_OK, "dkim_sign d=%.*s: %d %s", (int)dom.len, dom.ptr, rc,
	          detail ? detail : "");
	return concat3(r, sig, SLICE_LIT("\n"), cur);
}

/* The intermediary verifies and evaluates the message as it arrived there
 * (no SMTP client known), then seals the message as it is now with its own
 * Authentication-Results as the AAR.  The ARC sets of both are the same
 * bytes (only Subject and the body change on the way), so the sets the
 * verification collected are the ones the new seal covers. */
static struct slice step_arc(struct run *r, struct slice arrived, struct slice cur,
                             struct slice kind, struct slice dom)
{
	bool ed = slice_eq(kind, SLICE_LIT("arc-ed"));
	struct msg m, now;
	parse_msg(r, arrived, &m);
	parse_msg(r, cur, &now);
	uint64_t deadline = dns_now_ms() + BUDGET_MS;
	struct arc_result chain;
	int rc = arc_verify(r->res, r->a, &m, SEAL_TIME, deadline, &chain);
	SC_ASSERT(r, rc == ARC_OK, "arc_verify at %.*s: %d", (int)dom.len, dom.ptr, rc);

	char *id = arena_printf(r->a, "mx.%.*s", (int)dom.len, dom.ptr);
	struct eval_config fc;
	eval_config_defaults(&fc);
	fc.authserv_id = id;
	fc.dns_budget_ms = BUDGET_MS;
	struct eval_input fin;
	memset(&fin, 0, sizeof fin);
	fin.msg = &m;
	fin.now = SEAL_TIME;
	struct fields ffs;
	fields_init(&ffs, r->a);
	rc = eval_run(r->res, r->a, &fc, &fin, &ffs);
	SC_ASSERT(r, rc == 0, "evaluation at the forwarder %s failed", id);
	const struct field *ar = fields_get(&ffs, SLICE_LIT("authentication_results"));
	SC_ASSERT(r, ar && ar->value.len, "no Authentication-Results at the forwarder %s", id);
	struct slice aar = ar->value, head, rest;
	SC_ASSERT(r, slice_split_byte(aar, ':', &head, &rest), "AR without a colon");
	aar = slice_trim_ws(rest);

	struct arc_seal_params p;
	memset(&p, 0, sizeof p);
	p.domain = dom;
	p.selector = slice_from_cstr(ed ? "ed" : "rsa");
	p.key = load_key(r, ed);
	p.lf_only = true;
	struct arc_sealed s;
	const char *detail = NULL;
	rc = arc_seal_message(r->a, &now, &p, &chain, aar, SEAL_TIME, &s, &detail);
	SC_ASSERT(r, rc == ARC_OK, "arc_seal by %.*s: %d %s", (int)dom.len, dom.ptr, rc,
	          detail ? detail : "");
	SC_ASSERT(r, s.sealed, "arc_seal by %.*s did not seal: %s", (int)dom.len, dom.ptr, s.why);
	return concat3(r, s.block, SLICE_NULL, cur);
}

static struct slice build_message(struct run *r)
{
	const struct scenario *sc = r->sc;
	char *base = arena_printf(r->a,
	                          "%s"
	                          "To: Bob <bob@example.net>\n"
	                          "Subject: Quarterly report %d\n"
	                          "Date: Tue, 14 Nov 2023 22:11:20 +0000\n"
	                          "Message-ID: <scenario-%d@example.com>\n"
	                          "MIME-Version: 1.0\n"
	                          "Content-Type: text/plain; charset=utf-8\n"
	                          "\n"
	                          "Hello Bob,\n"
	                          "\n"
	                          "the figures  are in.\t See you on Monday.\n"
	                          "\n"
	                          "Alice\n",
	                          sc->head ? sc->head : "", r->idx, r->idx);
	SC_ASSERT(r, base != NULL, "out of memory");
	struct slice cur = slice_from_cstr(base), arrived = SLICE_NULL;
	const char *p = sc->steps ? sc->steps : "";
	struct slice w;
	while (next_word(&p, &w)) {
		struct slice kind, dom;
		split_step(w, &kind, &dom);
		if (slice_eq(kind, SLICE_LIT("receive"))) {
			arrived = cur;
		} else if (slice_eq(kind, SLICE_LIT("footer"))) {
			cur = concat3(r, cur, SLICE_LIT("-- \nDev mailing list\nhttps://lists.example.org/dev\n"),
			              SLICE_NULL);
		} else if (slice_eq(kind, SLICE_LIT("subject"))) {
			struct slice before, after;
			const char *hit = NULL;
			for (size_t i = 0; i + 10 <= cur.len && !hit; i++)
				if ((i == 0 || cur.ptr[i - 1] == '\n') &&
				    memcmp(cur.ptr + i, "Subject: ", 9) == 0)
					hit = cur.ptr + i + 9;
			SC_ASSERT(r, hit != NULL, "no Subject to rewrite");
			before = slice_between(cur.ptr, hit);
			after = slice_between(hit, slice_end(cur));
			cur = concat3(r, before, SLICE_LIT("[dev] "), after);
		} else if (slice_starts_with_ci(kind, SLICE_LIT("arc-")) && dom.len) {
			cur = step_arc(r, arrived.ptr ? arrived : cur, cur, kind, dom);
			arrived = SLICE_NULL;
		} else if (dom.len) {
			cur = step_dkim(r, cur, kind, dom);
		} else {
			SC_ASSERT(r, false, "unknown step %.*s", (int)w.len, w.ptr);
		}
	}
	return cur;
}

/* Zone, resolver, options and message; everything the evaluation needs. */
static void prepare(struct run *r, int idx)
{
	memset(r, 0, sizeof *r);
	r->idx = idx;
	r->sc = &scenarios[idx];
	r->a = arena_new(0);
	SC_ASSERT(r, r->a != NULL, "arena");

	struct slice zone = build_zone(r);
	char *path = testutil_write_temp(zone.ptr, zone.len, ".zone");
	SC_ASSERT(r, path != NULL, "cannot write the zone file");
	char spec[4200], err[512];
	snprintf(spec, sizeof spec, "zone:%s", path);
	r->res = dns_resolver_new(spec, err, sizeof err);
	unlink(path);
	free(path);
	SC_ASSERT(r, r->res != NULL, "resolver: %s", err);

	const char *ct = r->sc->config ? r->sc->config : "";
	enum config_status cs =
		config_parse(&r->opts, "scenario.conf", slice_from_cstr(ct), err, sizeof err);
	SC_ASSERT(r, cs == CONFIG_OK, "configuration: %s", err);

	r->message = build_message(r);
}

static void release(struct run *r)
{
	config_free(r->opts);
	dns_resolver_free(r->res);
	arena_free(r->a);
}

static int evaluate(struct run *r, struct arena *a, struct fields *fs)
{
	const struct scenario *sc = r->sc;
	struct msg m;
	enum msg_status st = msg_parse(&m, a, r->message);
	SC_ASSERT(r, st == MSG_OK, "message does not parse: %s", msg_status_str(st));
	struct eval_config cfg;
	eval_config_defaults(&cfg);
	cfg.authserv_id = AUTHSERV_ID;
	cfg.opts = r->opts;
	cfg.dns_budget_ms = sc->budget_ms ? sc->budget_ms : BUDGET_MS;
	struct eval_input in;
	memset(&in, 0, sizeof in);
	in.msg = &m;
	in.now = NOW;
	in.job = SLICE_LIT("scenario");
	if (sc->ip) {
		in.have_ip = true;
		in.ip = slice_from_cstr(sc->ip);
	}
	if (sc->helo) {
		in.have_helo = true;
		in.helo = slice_from_cstr(sc->helo);
	}
	if (sc->mail_from) {
		in.have_mail_from = true;
		in.mail_from = slice_from_cstr(sc->mail_from);
	}
	fields_init(fs, a);
	return eval_run(r->res, a, &cfg, &in, fs);
}

/* ------------------------------------------------------------------ */
/* Expectations                                                        */

/* One name=value, name="value" or "name=value" from *p. */
static bool next_expect(struct run *r, const char **p, char *name, size_t nlen, char *value,
                        size_t vlen)
{
	const char *s = *p;
	while (*s == ' ')
		s++;
	if (!*s)
		return false;
	bool whole = *s == '"';
	if (whole)
		s++;
	size_t n = 0;
	while (*s && *s != '=' && n + 1 < nlen)
		name[n++] = *s++;
	name[n] = '\0';
	SC_ASSERT(r, *s == '=', "bad expectation near '%s'", *p);
	s++;
	n = 0;
	char stop = ' ';
	if (whole) {
		stop = '"';
	} else if (*s == '"') {
		stop = '"';
		s++;
	}
	while (*s && *s != stop && n + 1 < vlen)
		value[n++] = *s++;
	value[n] = '\0';
	if (stop == '"') {
		SC_ASSERT(r, *s == '"', "unterminated quote in expectation near '%s'", *p);
		s++;
	}
	*p = s;
	return true;
}

static struct slice field_value(const struct fields *fs, const char *name)
{
	const struct field *f = fields_get(fs, slice_from_cstr(name));
	return f ? f->value : SLICE_NULL;
}

static bool is_one_of(struct slice v, const char *const *words)
{
	for (; *words; words++)
		if (slice_eq(v, slice_from_cstr(*words)))
			return true;
	return false;
}

static void check_expectations(struct run *r, const struct fields *fs)
{
	const char *p = r->sc->expect;
	char name[64], value[1024];
	size_t n = 0;
	while (next_expect(r, &p, name, sizeof name, value, sizeof value)) {
		const struct field *f = fields_get(fs, slice_from_cstr(name));
		struct slice reason = field_value(fs, "dmarc_reason");
		SC_ASSERT(r, f != NULL, "no field %s (dmarc_reason: %.*s)", name, (int)reason.len,
		          reason.ptr ? reason.ptr : "");
		SC_ASSERT(r, slice_eq(f->value, slice_from_cstr(value)),
		          "%s=\"%.*s\", expected \"%s\" (dmarc_reason: %.*s)", name, (int)f->value.len,
		          f->value.ptr ? f->value.ptr : "", value, (int)reason.len,
		          reason.ptr ? reason.ptr : "");
		n++;
	}
	SC_ASSERT(r, n > 0, "the scenario expects nothing");
}

/* What holds for every evaluation, whatever the scenario. */
static void check_invariants(struct run *r, const struct fields *fs)
{
	static const char *const dmarc_words[] = { "accept", "reject", "quarantine", "none",
		                                       "norecord", "nofrom", "temperror", NULL };
	static const char *const spf_words[] = { "pass", "fail", "softfail", "neutral", "none",
		                                     "permerror", "temperror", NULL };
	static const char *const dkim_words[] = { "pass", "fail", "invalid", "none", NULL };
	static const char *const arc_words[] = { "pass", "fail", "none", NULL };
	SC_ASSERT(r, !fs->err, "the fields ran out of memory");
	SC_ASSERT(r, is_one_of(field_value(fs, "dmarc_status"), dmarc_words), "dmarc_status '%.*s'",
	          (int)field_value(fs, "dmarc_status").len, field_value(fs, "dmarc_status").ptr);
	SC_ASSERT(r, is_one_of(field_value(fs, "spf_result"), spf_words), "spf_result");
	SC_ASSERT(r, is_one_of(field_value(fs, "dkim_verify_status"), dkim_words),
	          "dkim_verify_status");
	SC_ASSERT(r, is_one_of(field_value(fs, "arc_state"), arc_words), "arc_state");

	struct slice ar = field_value(fs, "authentication_results");
	struct slice prefix = SLICE_LIT("Authentication-Results: " AUTHSERV_ID ";");
	SC_ASSERT(r, ar.len > prefix.len && memcmp(ar.ptr, prefix.ptr, prefix.len) == 0,
	          "authentication_results does not start with '%.*s': %.*s", (int)prefix.len,
	          prefix.ptr, (int)ar.len, ar.ptr ? ar.ptr : "");
	for (size_t i = 0; i + 8 <= ar.len; i++)
		SC_ASSERT(r, memcmp(ar.ptr + i, "tmperror", 8) != 0, "AR says tmperror");
	for (size_t i = 0; i < ar.len; i++)
		SC_ASSERT(r, ar.ptr[i] != '\r' && ar.ptr[i] != '\0', "AR holds CR or NUL");

	/* A verdict and what is done about it stay apart: overrides only
	 * ever soften a failing message; a pass is always aligned. */
	struct slice result = field_value(fs, "dmarc_result");
	struct slice override = field_value(fs, "dmarc_override");
	if (slice_eq(result, SLICE_LIT("pass")))
		SC_ASSERT(r,
		          slice_eq(field_value(fs, "dmarc_spf_aligned"), SLICE_LIT("yes")) ||
		                  slice_eq(field_value(fs, "dmarc_dkim_aligned"), SLICE_LIT("yes")),
		          "a pass without an aligned identifier");
	if (override.len)
		SC_ASSERT(r, slice_eq(result, SLICE_LIT("fail")), "override %.*s on a %.*s",
		          (int)override.len, override.ptr, (int)result.len, result.ptr);
}

/* ------------------------------------------------------------------ */
/* Recording for tests/interop/eval_authres.sh                         */

static void json_string(FILE *f, struct slice s)
{
	if (!s.ptr) {
		fputs("null", f);
		return;
	}
	fputc('"', f);
	for (size_t i = 0; i < s.len; i++) {
		unsigned char c = (unsigned char)s.ptr[i];
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c > 0x7e)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void write_file(struct run *r, const char *dir, const char *ext, struct slice data)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%03d-%s.%s", dir, r->idx, r->sc->name, ext);
	FILE *f = fopen(path, "wb");
	SC_ASSERT(r, f != NULL, "cannot write %s: %s", path, strerror(errno));
	SC_ASSERT(r, fwrite(data.ptr, 1, data.len, f) == data.len, "short write to %s", path);
	SC_ASSERT(r, fclose(f) == 0, "cannot write %s", path);
}

static void record_ar(struct run *r, const struct fields *fs)
{
	const char *dir = getenv("MAILAUTH_AR_OUT");
	if (!dir || !*dir)
		return;
	write_file(r, dir, "ar", field_value(fs, "authentication_results"));
	write_file(r, dir, "eml", r->message);

	char path[4096];
	snprintf(path, sizeof path, "%s/%03d-%s.json", dir, r->idx, r->sc->name);
	FILE *f = fopen(path, "wb");
	SC_ASSERT(r, f != NULL, "cannot write %s: %s", path, strerror(errno));
	const struct scenario *sc = r->sc;
	fputs("{\"scenario\": ", f);
	json_string(f, slice_from_cstr(sc->name));
	fputs(", \"authserv_id\": ", f);
	json_string(f, SLICE_LIT(AUTHSERV_ID));
	fputs(", \"ip\": ", f);
	json_string(f, sc->ip ? slice_from_cstr(sc->ip) : SLICE_NULL);
	fputs(", \"helo\": ", f);
	json_string(f, sc->helo ? slice_from_cstr(sc->helo) : SLICE_NULL);
	fputs(", \"mail_from\": ", f);
	json_string(f, sc->mail_from ? slice_from_cstr(sc->mail_from) : SLICE_NULL);
	fputs(", \"fields\": {", f);
	for (size_t i = 0; i < fs->n; i++) {
		if (i)
			fputs(", ", f);
		json_string(f, slice_from_cstr(fs->f[i].name));
		fputs(": ", f);
		json_string(f, fs->f[i].value.ptr ? fs->f[i].value : SLICE_LIT(""));
	}
	fputs("}}\n", f);
	SC_ASSERT(r, fclose(f) == 0, "cannot write %s", path);
}

/* ------------------------------------------------------------------ */
/* Tests                                                               */

START_TEST(scenario_gives_the_expected_fields)
{
	struct run r;
	prepare(&r, _i);
	int rc = evaluate(&r, r.a, &r.fs);
	SC_ASSERT(&r, rc == 0, "eval_run returned %d", rc);
	/* Recorded first, so a failing scenario's output can be looked at. */
	record_ar(&r, &r.fs);
	check_expectations(&r, &r.fs);
	check_invariants(&r, &r.fs);
	release(&r);
}
END_TEST

/* The walk in the table is written for eight queries at most; a different
 * limit must come with new scenarios. */
START_TEST(tree_walk_scenarios_match_the_label_limit)
{
	ck_assert_msg(DMARC_TREEWALK_MAX_LABELS == 8,
	              "DMARC_TREEWALK_MAX_LABELS is %d: update the tree_walk_label_limit scenarios",
	              DMARC_TREEWALK_MAX_LABELS);
}
END_TEST

/* pct=50 in the RFC 7489 mode: eval_run uses the process-wide sampling
 * generator (seeded from the system), so the outcome is counted over many
 * runs.  With n runs the number of messages the policy applies to is
 * Binomial(n, 1/2): mean n/2, standard deviation sqrt(n)/2 = 10 for
 * n = 400; the bounds below are six standard deviations out. */
#define PCT_RUNS 400
#define PCT_LOW 140
#define PCT_HIGH 260

static const struct scenario pct50 = {
	.name = "compat_pct_50_applies_the_policy_to_about_half",
	.zone = SPF_EX DM_EX("p=reject; pct=50"), .config = "dmarc_mode = rfc7489\n",
	.ip = IP_BAD, .mail_from = "alice@example.com", .head = FROM_EX,
	.expect = "dmarc_result=fail dmarc_pct=50 dmarc_policy=reject",
};

START_TEST(compat_pct_50_samples_about_half_of_the_messages)
{
	struct run r;
	/* prepare() takes the scenario from the table; this one is not in it
	 * (it is counted, not compared), so set it up the same way by hand. */
	memset(&r, 0, sizeof r);
	r.idx = (int)N_SCENARIOS;
	r.sc = &pct50;
	r.a = arena_new(0);
	SC_ASSERT(&r, r.a != NULL, "arena");
	struct slice zone = build_zone(&r);
	char *path = testutil_write_temp(zone.ptr, zone.len, ".zone");
	SC_ASSERT(&r, path != NULL, "zone file");
	char spec[4200], err[512];
	snprintf(spec, sizeof spec, "zone:%s", path);
	r.res = dns_resolver_new(spec, err, sizeof err);
	unlink(path);
	free(path);
	SC_ASSERT(&r, r.res != NULL, "resolver: %s", err);
	SC_ASSERT(&r,
	          config_parse(&r.opts, "scenario.conf", slice_from_cstr(pct50.config), err,
	                       sizeof err) == CONFIG_OK,
	          "configuration: %s", err);
	r.message = build_message(&r);

	unsigned applied = 0, sampled_out = 0;
	for (int k = 0; k < PCT_RUNS; k++) {
		struct arena *a = arena_new(0);
		SC_ASSERT(&r, a != NULL, "arena");
		struct fields fs;
		SC_ASSERT(&r, evaluate(&r, a, &fs) == 0, "run %d: eval_run failed", k);
		check_expectations(&r, &fs);
		check_invariants(&r, &fs);
		struct slice st = field_value(&fs, "dmarc_status");
		struct slice ov = field_value(&fs, "dmarc_override");
		if (slice_eq(st, SLICE_LIT("reject"))) {
			SC_ASSERT(&r, ov.len == 0, "run %d: reject with override %.*s", k, (int)ov.len,
			          ov.ptr);
			applied++;
		} else {
			SC_ASSERT(&r, slice_eq(st, SLICE_LIT("quarantine")),
			          "run %d: dmarc_status %.*s, expected reject or quarantine", k,
			          (int)st.len, st.ptr);
			SC_ASSERT(&r, slice_eq(ov, SLICE_LIT("sampled_out")),
			          "run %d: quarantine with override '%.*s'", k, (int)ov.len, ov.ptr);
			sampled_out++;
		}
		if (k == 0)
			record_ar(&r, &fs);
		arena_free(a);
	}
	SC_ASSERT(&r, applied >= PCT_LOW && applied <= PCT_HIGH,
	          "policy applied to %u of %d messages (sampled out: %u), expected %d..%d", applied,
	          PCT_RUNS, sampled_out, PCT_LOW, PCT_HIGH);
	release(&r);
}
END_TEST

static Suite *eval_scenarios_suite(void)
{
	Suite *s = suite_create("eval_scenarios");
	TCase *tc = tcase_create("table");
	/* The DNS timeout scenarios each wait for their budget. */
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, scenario_gives_the_expected_fields, 0, (int)N_SCENARIOS);
	tcase_add_test(tc, tree_walk_scenarios_match_the_label_limit);
	tcase_add_test(tc, compat_pct_50_samples_about_half_of_the_messages);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	/* Keys are made once, before check forks a process per test. */
	if (!dkimtest_genkey("rsa", 2048, &key_pem[KEY_RSA], &key_record[KEY_RSA]) ||
	    !dkimtest_genkey("ed25519", 0, &key_pem[KEY_ED], &key_record[KEY_ED])) {
		fprintf(stderr, "test_eval_scenarios: cannot generate the signing keys\n");
		printf("0 passed, 1 failed\n");
		return EXIT_FAILURE;
	}
	const char *dir = getenv("MAILAUTH_AR_OUT");
	if (dir && *dir && mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "test_eval_scenarios: MAILAUTH_AR_OUT %s: %s\n", dir, strerror(errno));
		return EXIT_FAILURE;
	}
	SRunner *sr = srunner_create(eval_scenarios_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	for (int k = 0; k < N_KEYS; k++) {
		free(key_pem[k]);
		free(key_record[k]);
	}
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
