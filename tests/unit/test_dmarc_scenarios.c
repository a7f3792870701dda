/* test_dmarc_scenarios.c — the table-driven DMARC test: each scenario is a
 * zone file (served by the real libunbound through "zone:"), the Author
 * Domain(s), the SPF/DKIM/ARC inputs, the configuration and the expected
 * result fields (dmarc_status, dmarc_result, dmarc_used_domain, ...).
 *
 * Covered: RFC 9989 policy discovery at the author, the Organizational
 * Domain and the PSD (psd=y, psd=n), the tree walk several labels up and
 * its eight-query limit, sp= and np= (non-existent subdomains, empty
 * non-terminals), strict and relaxed alignment for SPF and DKIM, the null
 * sender's HELO identity, t=y, records without p= (with and without rua=),
 * invalid and duplicate records, DNS timeouts (temperror, including a
 * temporary failure on an identifier that might align), internationalized
 * names, several From authors (reject / strictest), no From, the local
 * overrides (trusted ARC sealers, forwarders by address and by name,
 * mailing lists), the RFC 7489 mode with pct= 0/50/100 (seeded sampling)
 * and the cases where the tree walk and the public suffix list disagree.
 *
 * Every scenario also builds the Authentication-Results field for its
 * results and records it (ardump) for tests/interop/ar_authres.sh.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ar.h"
#include "ardump.h"
#include "arena.h"
#include "dmarc.h"
#include "dns.h"
#include "fields.h"
#include "slice.h"
#include "testutil.h"

struct scenario {
	const char *name;
	const char *zone;    /* zone file lines */
	const char *authors; /* space-separated Author Domains */
	const char *from;    /* NULL/"one", "none", "nodomain", "fields", "addresses" */
	const char *spf;     /* "RESULT:domain" or "helo-RESULT:domain"; NULL: none */
	const char *dkim;    /* "RESULT:d RESULT:d ..." */
	const char *cfg;     /* "mode=7489 multi=strictest prefetch=0 seed=N arc_trusted=a,b
	                      *  fwd_ip=n,n fwd_dom=d,d lists=d,d" */
	const char *env;     /* "arc=pass:s1,s2 ip=ADDR ptr=NAME list=ID" */
	unsigned budget_ms;  /* 0: 10 s */
	const char *expect;  /* name=value or name="value with spaces" ... */
};

#define REJ "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n"

static const struct scenario scenarios[] = {
	/* ---- basics ---- */
	{ "spf_pass_same_domain_is_accepted", REJ, "example.com", NULL, "pass:example.com", NULL,
	  NULL, NULL, 0,
	  "dmarc_status=accept dmarc_status_text=Accept dmarc_result=pass "
	  "dmarc_used_domain=example.com dmarc_domain_policy=reject dmarc_policy_found_at=author "
	  "dmarc_policy_tag=p dmarc_policy=reject dmarc_disposition=none dmarc_spf_aligned=yes "
	  "dmarc_dkim_aligned=no dmarc_author_domain=example.com dmarc_discovery=treewalk" },
	{ "failing_message_under_p_reject_is_rejected", REJ, "example.com", NULL,
	  "fail:example.com", NULL, NULL, NULL, 0,
	  "dmarc_status=reject dmarc_status_text=Reject dmarc_result=fail dmarc_disposition=reject "
	  "dmarc_policy=reject dmarc_spf_aligned=no dmarc_override=\"\"" },
	{ "failing_message_under_p_quarantine_is_quarantined",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=quarantine\"\n", "example.com", NULL,
	  "softfail:example.com", NULL, NULL, NULL, 0,
	  "dmarc_status=quarantine dmarc_status_text=Quarantine dmarc_result=fail "
	  "dmarc_disposition=quarantine" },
	{ "p_none_with_rua_monitors_only",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=none; rua=mailto:d@example.com\"\n",
	  "example.com", NULL, "fail:example.com", NULL, NULL, NULL, 0,
	  "dmarc_status=none \"dmarc_status_text=None, Accept\" dmarc_result=fail "
	  "dmarc_domain_policy=none dmarc_disposition=none dmarc_rua=mailto:d@example.com" },
	{ "no_record_anywhere_is_norecord", "other.example. A 192.0.2.1\n", "example.com", NULL,
	  "pass:example.com", NULL, NULL, NULL, 0,
	  "dmarc_status=norecord \"dmarc_status_text=No DMARC record\" dmarc_result=none "
	  "dmarc_used_domain=\"\" dmarc_domain_policy=\"\" dmarc_policy_found_at=\"\" "
	  "\"dmarc_tree_walk=example.com com\"" },
	{ "unknown_tags_are_ignored",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=reject; future=tag; x_y=1\"\n", "example.com",
	  NULL, "fail:example.com", NULL, NULL, NULL, 0, "dmarc_status=reject dmarc_result=fail" },
	{ "pct_rf_ri_are_ignored_in_rfc9989_mode",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=reject; pct=0; rf=afrf; ri=3600\"\n",
	  "example.com", NULL, "fail:example.com", NULL, NULL, NULL, 0,
	  "dmarc_status=reject dmarc_override=\"\"" },

	/* ---- SPF alignment ---- */
	{ "spf_relaxed_aligns_a_subdomain_mail_from", REJ, "example.com", NULL,
	  "pass:bounce.example.com", NULL, NULL, NULL, 0,
	  "dmarc_status=accept dmarc_spf_aligned=yes dmarc_spf_domain=bounce.example.com "
	  "dmarc_aspf=r" },
	{ "spf_strict_refuses_a_subdomain_mail_from",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=reject; aspf=s\"\n", "example.com", NULL,
	  "pass:bounce.example.com", NULL, NULL, NULL, 0,
	  "dmarc_status=reject dmarc_spf_aligned=no dmarc_aspf=s" },
	{ "spf_strict_accepts_the_identical_domain",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=reject; aspf=s\"\n", "example.com", NULL,
	  "pass:EXAMPLE.COM", NULL, NULL, NULL, 0, "dmarc_status=accept dmarc_spf_aligned=yes" },
	{ "spf_pass_for_an_unrelated_domain_does_not_align", REJ, "example.com", NULL,
	  "pass:example.net", NULL, NULL, NULL, 0, "dmarc_status=reject dmarc_spf_aligned=no" },
	{ "null_sender_uses_the_helo_identity", REJ, "example.com", NULL,
	  "helo-pass:mx.example.com", NULL, NULL, NULL, 0,
	  "dmarc_status=accept dmarc_spf_aligned=yes dmarc_spf_domain=mx.example.com" },
	{ "null_sender_helo_is_not_strictly_aligned",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=reject; aspf=s\"\n", "example.com", NULL,
	  "helo-pass:mx.example.com", NULL, NULL, NULL, 0,
	  "dmarc_status=reject dmarc_spf_aligned=no" },

	/* ---- DKIM alignment ---- */
	{ "dkim_relaxed_aligns_a_subdomain_signer", REJ, "example.com", NULL, "fail:example.net",
	  "pass:mail.example.com", NULL, NULL, 0,
	  "dmarc_status=accept dmarc_dkim_aligned=yes dmarc_dkim_aligned_domain=mail.example.com "
	  "dmarc_adkim=r" },
	{ "dkim_strict_refuses_a_subdomain_signer",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=reject; adkim=s\"\n", "example.com", NULL, NULL,
	  "pass:mail.example.com", NULL, NULL, 0,
	  "dmarc_status=reject dmarc_dkim_aligned=no dmarc_adkim=s" },
	{ "dkim_strict_accepts_the_identical_signer",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=reject; adkim=s\"\n", "example.com", NULL, NULL,
	  "pass:example.com", NULL, NULL, 0, "dmarc_status=accept dmarc_dkim_aligned=yes" },
	{ "dkim_failing_signature_never_aligns", REJ, "example.com", NULL, NULL,
	  "fail:example.com permerror:example.com", NULL, NULL, 0,
	  "dmarc_status=reject dmarc_dkim_aligned=no" },
	{ "any_passing_aligned_signature_is_enough", REJ, "example.com", NULL, NULL,
	  "pass:esp.example.net fail:example.com pass:example.com", NULL, NULL, 0,
	  "dmarc_status=accept dmarc_dkim_aligned=yes dmarc_dkim_aligned_domain=example.com" },
	{ "spf_and_dkim_both_aligned", REJ, "example.com", NULL, "pass:example.com",
	  "pass:example.com", NULL, NULL, 0,
	  "dmarc_status=accept dmarc_spf_aligned=yes dmarc_dkim_aligned=yes "
	  "\"dmarc_reason=SPF and DKIM aligned\"" },
	{ "relaxed_alignment_follows_the_identifiers_own_tree_walk",
	  REJ "_dmarc.mail.example.com. TXT \"v=DMARC1; p=none; psd=n\"\n", "example.com", NULL,
	  NULL, "pass:mail.example.com", NULL, NULL, 0,
	  /* psd=n makes mail.example.com its own Organizational Domain. */
	  "dmarc_status=reject dmarc_dkim_aligned=no" },

	/* ---- discovery: subdomains, tree walk, limit ---- */
	{ "subdomain_takes_sp",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=reject; sp=quarantine\"\n"
	  "news.example.com. A 192.0.2.1\n",
	  "news.example.com", NULL, "fail:news.example.com", NULL, NULL, NULL, 0,
	  "dmarc_status=quarantine dmarc_used_domain=example.com dmarc_policy_found_at=org "
	  "dmarc_policy_tag=sp dmarc_policy=quarantine dmarc_domain_policy=reject "
	  "dmarc_org_domain=example.com \"dmarc_tree_walk=news.example.com example.com com\"" },
	{ "subdomain_without_sp_falls_back_to_p",
	  REJ "news.example.com. A 192.0.2.1\n", "news.example.com", NULL, "fail:news.example.com",
	  NULL, NULL, NULL, 0,
	  "dmarc_status=reject dmarc_policy_tag=sp dmarc_policy=reject" },
	{ "subdomain_record_of_its_own_takes_its_p",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=reject; sp=reject\"\n"
	  "_dmarc.news.example.com. TXT \"v=DMARC1; p=none\"\n",
	  "news.example.com", NULL, "fail:news.example.com", NULL, NULL, NULL, 0,
	  "dmarc_status=none dmarc_used_domain=news.example.com dmarc_policy_found_at=author "
	  "dmarc_policy_tag=p dmarc_org_domain=example.com" },
	{ "tree_walk_finds_the_policy_several_labels_up",
	  REJ "a.b.c.d.example.com. A 192.0.2.1\n", "a.b.c.d.example.com", NULL,
	  "fail:a.b.c.d.example.com", NULL, NULL, NULL, 0,
	  "dmarc_status=reject dmarc_used_domain=example.com dmarc_policy_found_at=org "
	  "\"dmarc_tree_walk=a.b.c.d.example.com b.c.d.example.com c.d.example.com "
	  "d.example.com example.com com\"" },
	{ "tree_walk_jumps_to_seven_labels_for_long_names",
	  REJ "x1.x2.x3.x4.x5.x6.x7.x8.x9.mail.example.com. A 192.0.2.1\n",
	  "x1.x2.x3.x4.x5.x6.x7.x8.x9.mail.example.com", NULL, NULL, NULL, NULL, NULL, 0,
	  "dmarc_status=reject dmarc_used_domain=example.com "
	  "\"dmarc_tree_walk=x1.x2.x3.x4.x5.x6.x7.x8.x9.mail.example.com "
	  "x6.x7.x8.x9.mail.example.com x7.x8.x9.mail.example.com x8.x9.mail.example.com "
	  "x9.mail.example.com mail.example.com example.com com\"" },
	{ "the_label_limit_skips_records_it_jumps_over",
	  REJ "_dmarc.x3.x4.x5.x6.x7.x8.x9.mail.example.com. TXT \"v=DMARC1; p=none\"\n",
	  "x1.x2.x3.x4.x5.x6.x7.x8.x9.mail.example.com", NULL, NULL, NULL, NULL, NULL, 0,
	  /* RFC 9989 5.1.8: the record at 9 labels is never queried. */
	  "dmarc_status=reject dmarc_used_domain=example.com" },
	{ "the_fewest_labels_record_is_the_organizational_domain",
	  REJ "_dmarc.mail.example.com. TXT \"v=DMARC1; p=none\"\n", "a.mail.example.com", NULL,
	  NULL, NULL, NULL, NULL, 0,
	  "dmarc_status=reject dmarc_used_domain=example.com dmarc_org_domain=example.com" },
	{ "psd_n_on_an_intermediate_record_stops_the_walk",
	  REJ "_dmarc.mail.example.com. TXT \"v=DMARC1; p=quarantine; psd=n\"\n",
	  "a.mail.example.com", NULL, NULL, NULL, NULL, NULL, 0,
	  "dmarc_status=quarantine dmarc_used_domain=mail.example.com "
	  "dmarc_org_domain=mail.example.com \"dmarc_tree_walk=a.mail.example.com mail.example.com\"" },

	/* ---- t=y ---- */
	{ "test_mode_lowers_reject_to_quarantine",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=reject; t=y\"\n", "example.com", NULL,
	  "fail:example.com", NULL, NULL, NULL, 0,
	  "dmarc_status=quarantine dmarc_result=fail dmarc_policy=reject "
	  "dmarc_disposition=quarantine dmarc_testing=yes dmarc_override=policy_test_mode" },
	{ "test_mode_lowers_quarantine_to_none",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=quarantine; t=y\"\n", "example.com", NULL,
	  "fail:example.com", NULL, NULL, NULL, 0,
	  "dmarc_status=none dmarc_disposition=none dmarc_override=policy_test_mode" },
	{ "test_mode_leaves_p_none_alone",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=none; t=y\"\n", "example.com", NULL,
	  "fail:example.com", NULL, NULL, NULL, 0,
	  "dmarc_status=none dmarc_override=\"\" dmarc_testing=yes" },
	{ "test_mode_does_not_change_a_pass",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=reject; t=y\"\n", "example.com", NULL,
	  "pass:example.com", NULL, NULL, NULL, 0, "dmarc_status=accept dmarc_override=\"\"" },

	/* ---- np= ---- */
	{ "np_applies_to_a_non_existent_subdomain",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=none; sp=none; np=reject\"\n",
	  "ghost.example.com", NULL, "fail:ghost.example.com", NULL, NULL, NULL, 0,
	  "dmarc_status=reject dmarc_policy_tag=np dmarc_policy=reject "
	  "dmarc_used_domain=example.com" },
	{ "np_does_not_apply_to_an_existing_subdomain",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=none; sp=none; np=reject\"\n"
	  "www.example.com. A 192.0.2.80\n",
	  "www.example.com", NULL, "fail:www.example.com", NULL, NULL, NULL, 0,
	  "dmarc_status=none dmarc_policy_tag=sp dmarc_policy=none" },
	{ "an_empty_non_terminal_exists",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=none; np=reject\"\n"
	  "host.ent.example.com. A 192.0.2.7\n",
	  "ent.example.com", NULL, NULL, NULL, NULL, NULL, 0,
	  "dmarc_status=none dmarc_policy_tag=sp dmarc_policy=none" },
	{ "without_np_a_non_existent_subdomain_takes_sp",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=reject; sp=quarantine\"\n", "ghost.example.com",
	  NULL, NULL, NULL, NULL, NULL, 0,
	  "dmarc_status=quarantine dmarc_policy_tag=sp dmarc_policy=quarantine" },
	{ "np_is_not_used_for_the_author_domain_itself",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=none; np=reject\"\n", "example.com", NULL, NULL,
	  NULL, NULL, NULL, 0, "dmarc_status=none dmarc_policy_tag=p" },

	/* ---- broken, missing and duplicate records ---- */
	{ "record_without_p_but_with_rua_acts_as_p_none",
	  "_dmarc.example.com. TXT \"v=DMARC1; rua=mailto:r@example.com\"\n", "example.com", NULL,
	  "fail:example.com", NULL, NULL, NULL, 0,
	  "dmarc_status=none dmarc_result=fail dmarc_domain_policy=none dmarc_policy=none" },
	{ "record_without_p_and_without_rua_is_not_applied",
	  "_dmarc.example.com. TXT \"v=DMARC1; sp=reject\"\n", "example.com", NULL,
	  "fail:example.com", NULL, NULL, NULL, 0,
	  "dmarc_status=norecord \"dmarc_status_text=Unusable DMARC record\" "
	  "dmarc_result=permerror dmarc_used_domain=example.com dmarc_domain_policy=\"\"" },
	{ "invalid_p_with_rua_acts_as_p_none",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=block; rua=mailto:r@example.com\"\n",
	  "example.com", NULL, "fail:example.com", NULL, NULL, NULL, 0,
	  "dmarc_status=none dmarc_policy=none" },
	{ "invalid_sp_makes_the_whole_record_p_none",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=reject; sp=nope; rua=mailto:r@example.com\"\n"
	  "sub.example.com. A 192.0.2.1\n",
	  "sub.example.com", NULL, NULL, NULL, NULL, NULL, 0,
	  "dmarc_status=none dmarc_policy=none dmarc_policy_tag=sp" },
	{ "a_syntax_error_in_one_tag_keeps_the_rest",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=reject; !!bad; aspf=s\"\n", "example.com", NULL,
	  "pass:mail.example.com", NULL, NULL, NULL, 0, "dmarc_status=reject dmarc_aspf=s" },
	{ "record_split_over_character_strings_is_joined",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=\" \"quarantine\"\n", "example.com", NULL, NULL,
	  NULL, NULL, NULL, 0, "dmarc_status=quarantine" },
	{ "a_v_tag_not_first_is_not_a_record",
	  "_dmarc.example.com. TXT \"p=reject; v=DMARC1\"\n", "example.com", NULL, NULL, NULL,
	  NULL, NULL, 0, "dmarc_status=norecord dmarc_result=none" },
	{ "other_txt_records_beside_the_dmarc_record_are_ignored",
	  "_dmarc.example.com. TXT \"v=spf1 -all\"\n"
	  "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n"
	  "_dmarc.example.com. TXT \"google-site-verification=x\"\n",
	  "example.com", NULL, NULL, NULL, NULL, NULL, 0, "dmarc_status=reject" },
	{ "duplicate_records_at_the_author_are_discarded",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=reject\"\n"
	  "_dmarc.example.com. TXT \"v=DMARC1; p=none\"\n",
	  "example.com", NULL, "fail:example.com", NULL, NULL, NULL, 0,
	  "dmarc_status=norecord dmarc_result=none "
	  "\"dmarc_reason=several DMARC records at the Author Domain\"" },
	{ "duplicate_records_at_the_author_fall_back_to_the_organizational_domain",
	  "_dmarc.mail.example.com. TXT \"v=DMARC1; p=none\"\n"
	  "_dmarc.mail.example.com. TXT \"v=DMARC1; p=none; sp=none\"\n"
	  "_dmarc.example.com. TXT \"v=DMARC1; p=reject; sp=quarantine\"\n",
	  "mail.example.com", NULL, NULL, NULL, NULL, NULL, 0,
	  "dmarc_status=quarantine dmarc_used_domain=example.com dmarc_policy_found_at=org" },

	/* ---- DNS failures ---- */
	{ "a_timeout_on_the_policy_record_is_temperror", "example.com. TIMEOUT\n", "example.com",
	  NULL, "pass:example.com", NULL, NULL, NULL, 800,
	  "dmarc_status=temperror \"dmarc_status_text=Temporary DNS error\" "
	  "dmarc_result=temperror" },
	{ "a_timeout_higher_in_the_walk_is_temperror",
	  "com. TIMEOUT\nmail.example.com. A 192.0.2.1\n", "mail.example.com", NULL, NULL, NULL,
	  NULL, NULL, 800, "dmarc_status=temperror dmarc_result=temperror" },
	{ "a_timeout_needed_for_relaxed_alignment_is_temperror",
	  REJ "com. TIMEOUT\n", "example.com", NULL, "pass:bounce.example.com", NULL, NULL, NULL,
	  800, "dmarc_status=temperror dmarc_result=temperror dmarc_used_domain=example.com" },
	{ "a_timeout_not_needed_for_alignment_does_not_matter", REJ "com. TIMEOUT\n",
	  "example.com", NULL, "pass:example.com", NULL, NULL, NULL, 800,
	  "dmarc_status=accept dmarc_result=pass" },
	{ "a_dkim_temperror_on_an_aligned_signer_is_not_a_fail", REJ, "example.com", NULL,
	  "fail:example.com", "temperror:example.com", NULL, NULL, 0,
	  "dmarc_status=temperror dmarc_result=temperror" },
	{ "an_spf_temperror_on_an_aligned_domain_is_not_a_fail", REJ, "example.com", NULL,
	  "temperror:example.com", "fail:example.com", NULL, NULL, 0,
	  "dmarc_status=temperror dmarc_result=temperror" },
	{ "a_temperror_on_an_unrelated_domain_still_fails", REJ, "example.com", NULL,
	  "temperror:example.net", "temperror:example.org", NULL, NULL, 0,
	  "dmarc_status=reject dmarc_result=fail" },
	{ "a_pass_wins_over_a_temperror_elsewhere", REJ, "example.com", NULL,
	  "temperror:example.com", "pass:example.com", NULL, NULL, 0, "dmarc_status=accept" },
	{ "a_timeout_on_the_existence_test_is_temperror_when_np_matters",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=none; np=reject\"\nghost.example.com. TIMEOUT\n",
	  "ghost.example.com", NULL, NULL, NULL, NULL, NULL, 800,
	  "dmarc_status=temperror dmarc_result=temperror" },

	/* ---- internationalized names ---- */
	{ "a_u_label_author_is_looked_up_as_an_a_label",
	  "_dmarc.xn--bcher-kva.example. TXT \"v=DMARC1; p=reject\"\n", "B\xc3\x9c" "cher.example",
	  NULL, "pass:xn--bcher-kva.example", NULL, NULL, NULL, 0,
	  "dmarc_status=accept dmarc_author_domain=xn--bcher-kva.example "
	  "dmarc_used_domain=xn--bcher-kva.example" },
	{ "a_u_label_signer_aligns_with_an_a_label_author",
	  "_dmarc.xn--bcher-kva.example. TXT \"v=DMARC1; p=reject; adkim=s\"\n",
	  "xn--bcher-kva.example", NULL, NULL, "pass:b\xc3\xbc" "cher.example", NULL, NULL, 0,
	  "dmarc_status=accept dmarc_dkim_aligned=yes" },
	{ "an_invalid_author_domain_is_nofrom", REJ, "bad..example.com", NULL, NULL, NULL, NULL, NULL,
	  0, "dmarc_status=nofrom dmarc_result=permerror \"dmarc_reason=invalid From domain\"" },

	/* ---- From cases ---- */
	{ "no_from_field_is_nofrom", REJ, "", "none", "pass:example.com", NULL, NULL, NULL, 0,
	  "dmarc_status=nofrom \"dmarc_status_text=No From: domain found\" dmarc_result=permerror" },
	{ "a_from_without_domain_is_nofrom", REJ, "", "nodomain", NULL, NULL, NULL, NULL, 0,
	  "dmarc_status=nofrom dmarc_result=permerror" },
	{ "several_from_domains_are_rejected_when_configured",
	  REJ "_dmarc.example.net. TXT \"v=DMARC1; p=none\"\n", "example.net example.com",
	  "addresses", "pass:example.net", NULL, "multi=reject", NULL, 0,
	  "dmarc_status=reject dmarc_result=permerror \"dmarc_reason=several From domains\"" },
	{ "several_from_fields_are_rejected_when_configured", REJ, "example.com example.com",
	  "fields", "pass:example.com", NULL, "multi=reject", NULL, 0,
	  "dmarc_status=reject \"dmarc_reason=several From header fields\"" },
	{ "several_addresses_of_one_domain_are_one_author", REJ, "example.com EXAMPLE.com",
	  "addresses", "pass:example.com", NULL, "multi=reject", NULL, 0, "dmarc_status=accept" },
	{ "several_from_fields_of_one_domain_are_evaluated_by_default", REJ,
	  "example.com example.com", "fields", "fail:example.com", NULL, NULL, NULL, 0,
	  "dmarc_status=reject dmarc_result=fail dmarc_author_domain=example.com" },
	{ "strictest_takes_the_failing_reject_among_several_authors",
	  REJ "_dmarc.example.net. TXT \"v=DMARC1; p=none\"\n", "example.net example.com",
	  "addresses", "pass:example.net", NULL, "multi=strictest", NULL, 0,
	  "dmarc_status=reject dmarc_result=fail dmarc_author_domain=example.com" },
	{ "strictest_prefers_a_pass_to_no_record",
	  REJ, "example.org example.com", "fields", "pass:example.com", NULL, "multi=strictest",
	  NULL, 0, "dmarc_status=accept dmarc_author_domain=example.com" },
	{ "strictest_with_too_many_authors_rejects", REJ,
	  "a1.example a2.example a3.example a4.example a5.example a6.example a7.example "
	  "a8.example a9.example",
	  "addresses", NULL, NULL, "multi=strictest", NULL, 0,
	  "dmarc_status=reject dmarc_result=permerror" },

	/* ---- local overrides ---- */
	{ "a_trusted_arc_chain_overrides_reject", REJ, "example.com", NULL, "fail:lists.example.org",
	  "fail:example.com", "arc_trusted=arc.example.net,other.example",
	  "arc=pass:arc.example.net", 0,
	  "dmarc_status=none dmarc_result=fail dmarc_policy=reject dmarc_disposition=none "
	  "dmarc_override=local_policy \"dmarc_override_comment=arc=pass, trusted sealers: "
	  "arc.example.net\"" },
	{ "an_untrusted_sealer_in_the_chain_prevents_the_override", REJ, "example.com", NULL,
	  "fail:example.com", NULL, "arc_trusted=arc.example.net",
	  "arc=pass:arc.example.net,evil.example", 0, "dmarc_status=reject dmarc_override=\"\"" },
	{ "a_failed_arc_chain_prevents_the_override", REJ, "example.com", NULL, "fail:example.com",
	  NULL, "arc_trusted=arc.example.net", "arc=fail:arc.example.net", 0,
	  "dmarc_status=reject" },
	{ "a_forwarder_address_overrides_quarantine",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=quarantine\"\n", "example.com", NULL,
	  "fail:example.com", NULL, "fwd_ip=198.51.100.0/24,2001:db8::/32", "ip=198.51.100.7", 0,
	  "dmarc_status=none dmarc_override=trusted_forwarder" },
	{ "a_forwarder_ipv6_address_overrides", REJ, "example.com", NULL, NULL, NULL,
	  "fwd_ip=198.51.100.0/24,2001:db8:1::/48", "ip=2001:db8:1::25", 0,
	  "dmarc_status=none dmarc_override=trusted_forwarder" },
	{ "an_address_outside_the_forwarder_networks_is_not_overridden", REJ, "example.com", NULL,
	  NULL, NULL, "fwd_ip=198.51.100.0/25", "ip=198.51.100.200", 0, "dmarc_status=reject" },
	{ "a_forwarder_name_by_verified_reverse_dns_overrides", REJ, "example.com", NULL, NULL,
	  NULL, "fwd_dom=forwarder.example.net", "ptr=mx1.forwarder.example.net", 0,
	  "dmarc_status=none dmarc_override=trusted_forwarder" },
	{ "a_known_mailing_list_authenticated_by_dkim_overrides", REJ, "example.com", NULL,
	  "fail:example.com", "pass:lists.example.org", "lists=lists.example.org",
	  "list=<dev.lists.example.org>", 0,
	  "dmarc_status=none dmarc_override=mailing_list" },
	{ "a_forged_list_id_without_authentication_is_not_overridden", REJ, "example.com", NULL,
	  "fail:example.com", "fail:lists.example.org", "lists=lists.example.org",
	  "list=<dev.lists.example.org>", 0, "dmarc_status=reject" },

	/* ---- RFC 7489 compatibility mode ---- */
	{ "compat_pct_0_samples_every_message_out",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=reject; pct=0\"\n", "example.com", NULL,
	  "fail:example.com", NULL, "mode=7489 seed=3", NULL, 0,
	  "dmarc_status=quarantine dmarc_override=sampled_out dmarc_pct=0 dmarc_discovery=psl" },
	{ "compat_pct_100_applies_the_policy",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=reject; pct=100\"\n", "example.com", NULL,
	  "fail:example.com", NULL, "mode=7489 seed=1", NULL, 0,
	  "dmarc_status=reject dmarc_override=\"\" dmarc_pct=100" },
	{ "compat_pct_50_applies_when_the_draw_is_below",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=reject; pct=50\"\n", "example.com", NULL,
	  "fail:example.com", NULL, "mode=7489 seed=3", NULL, 0, /* seed 3 draws 13 */
	  "dmarc_status=reject dmarc_override=\"\"" },
	{ "compat_pct_50_samples_out_when_the_draw_is_above",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=quarantine; pct=50\"\n", "example.com", NULL,
	  "fail:example.com", NULL, "mode=7489 seed=1", NULL, 0, /* seed 1 draws 51 */
	  "dmarc_status=none dmarc_override=sampled_out \"dmarc_override_comment=pct=50\"" },
	{ "compat_mode_finds_the_organizational_domain_by_the_psl",
	  "_dmarc.example.co.uk. TXT \"v=DMARC1; p=reject; sp=quarantine\"\n",
	  "a.b.mail.example.co.uk", NULL, NULL, NULL, "mode=7489", NULL, 0,
	  "dmarc_status=quarantine dmarc_used_domain=example.co.uk dmarc_policy_found_at=org "
	  "\"dmarc_tree_walk=a.b.mail.example.co.uk example.co.uk\"" },
	{ "compat_mode_aligns_by_the_psl", REJ, "example.com", NULL, "pass:bounce.example.com",
	  NULL, "mode=7489", NULL, 0, "dmarc_status=accept dmarc_spf_aligned=yes" },
	{ "compat_mode_stops_at_duplicate_author_records",
	  "_dmarc.mail.example.com. TXT \"v=DMARC1; p=none\"\n"
	  "_dmarc.mail.example.com. TXT \"v=DMARC1; p=none; adkim=s\"\n" REJ,
	  "mail.example.com", NULL, NULL, NULL, "mode=7489", NULL, 0, "dmarc_status=norecord" },

	/* ---- tree walk against the public suffix list, and PSDs ---- */
	{ "treewalk_inherits_a_policy_published_on_a_psl_suffix",
	  "_dmarc.blogspot.com. TXT \"v=DMARC1; p=reject\"\nfoo.blogspot.com. A 192.0.2.1\n",
	  "foo.blogspot.com", NULL, NULL, NULL, NULL, NULL, 0,
	  "dmarc_status=reject dmarc_used_domain=blogspot.com dmarc_policy_found_at=org" },
	{ "psl_mode_does_not_inherit_across_a_psl_suffix",
	  "_dmarc.blogspot.com. TXT \"v=DMARC1; p=reject\"\nfoo.blogspot.com. A 192.0.2.1\n",
	  "foo.blogspot.com", NULL, NULL, NULL, "mode=7489", NULL, 0,
	  "dmarc_status=norecord dmarc_org_domain=foo.blogspot.com" },
	{ "treewalk_takes_a_record_on_a_suffix_without_psd_as_the_org",
	  "_dmarc.co.uk. TXT \"v=DMARC1; p=reject\"\nmail.example.co.uk. A 192.0.2.1\n",
	  "mail.example.co.uk", NULL, NULL, NULL, NULL, NULL, 0,
	  "dmarc_status=reject dmarc_used_domain=co.uk dmarc_org_domain=co.uk" },
	{ "psl_mode_ignores_a_record_on_a_suffix",
	  "_dmarc.co.uk. TXT \"v=DMARC1; p=reject\"\nmail.example.co.uk. A 192.0.2.1\n",
	  "mail.example.co.uk", NULL, NULL, NULL, "mode=7489", NULL, 0, "dmarc_status=norecord" },
	{ "a_psd_record_applies_to_an_org_without_a_record",
	  "_dmarc.bank.example. TXT \"v=DMARC1; p=reject; sp=quarantine; psd=y\"\n"
	  "giant.bank.example. A 192.0.2.1\n",
	  "giant.bank.example", NULL, NULL, NULL, NULL, NULL, 0,
	  "dmarc_status=quarantine dmarc_used_domain=bank.example dmarc_policy_found_at=psd "
	  "dmarc_policy_tag=sp dmarc_org_domain=giant.bank.example" },
	{ "a_psd_record_np_applies_to_a_non_existent_name",
	  "_dmarc.bank.example. TXT \"v=DMARC1; p=none; sp=none; np=reject; psd=y\"\n",
	  "www.ghost.bank.example", NULL, NULL, NULL, NULL, NULL, 0,
	  "dmarc_status=reject dmarc_policy_found_at=psd dmarc_policy_tag=np "
	  "dmarc_org_domain=ghost.bank.example" },
	{ "a_psd_policy_is_not_used_when_the_org_has_a_record",
	  "_dmarc.bank.example. TXT \"v=DMARC1; p=reject; psd=y\"\n"
	  "_dmarc.giant.bank.example. TXT \"v=DMARC1; p=none\"\n"
	  "x.giant.bank.example. A 192.0.2.1\n",
	  "x.giant.bank.example", NULL, NULL, NULL, NULL, NULL, 0,
	  "dmarc_status=none dmarc_used_domain=giant.bank.example dmarc_policy_found_at=org" },
	{ "alignment_does_not_cross_a_psd",
	  "_dmarc.bank.example. TXT \"v=DMARC1; p=reject; psd=y\"\n"
	  "_dmarc.giant.bank.example. TXT \"v=DMARC1; p=reject\"\n",
	  "giant.bank.example", NULL, "pass:mail.giant.bank.example", "pass:mail.mega.bank.example",
	  NULL, NULL, 0,
	  "dmarc_status=accept dmarc_spf_aligned=yes dmarc_dkim_aligned=no "
	  "dmarc_org_domain=giant.bank.example" },

	/* ---- lookups one at a time give the same answers ---- */
	{ "sequential_lookups_give_the_same_verdict",
	  "_dmarc.example.com. TXT \"v=DMARC1; p=reject; sp=quarantine\"\n"
	  "news.example.com. A 192.0.2.1\n",
	  "news.example.com", NULL, "pass:bounce.example.org", "pass:mail.example.com",
	  "prefetch=0", NULL, 0, "dmarc_status=accept dmarc_dkim_aligned=yes" },
};

#define N_SCENARIOS (sizeof scenarios / sizeof scenarios[0])

/* ------------------------------------------------------------------ */

static struct arena *A;

static void setup(void)
{
	A = arena_new(0);
	ck_assert_ptr_nonnull(A);
}

static void teardown(void)
{
	arena_free(A);
	A = NULL;
}

/* Split s at spaces into slices (in the arena). */
static size_t split_words(const char *s, struct slice *out, size_t max)
{
	size_t n = 0;
	if (!s)
		return 0;
	struct slice rest = slice_from_cstr(s);
	while (rest.len && n < max) {
		while (rest.len && rest.ptr[0] == ' ') {
			rest.ptr++;
			rest.len--;
		}
		if (!rest.len)
			break;
		struct slice w;
		slice_split_byte(rest, ' ', &w, &rest);
		out[n++] = w;
	}
	return n;
}

static size_t split_commas(struct slice s, struct slice *out, size_t max)
{
	size_t n = 0;
	bool more = s.len > 0;
	while (more && n < max) {
		struct slice w;
		more = slice_split_byte(s, ',', &w, &s);
		out[n++] = w;
	}
	return n;
}

static enum dmarc_auth auth_word(struct slice w, const char **ar_word)
{
	static const struct {
		const char *w;
		enum dmarc_auth a;
	} map[] = {
		{ "pass", DMARC_AUTH_PASS },         { "fail", DMARC_AUTH_FAIL },
		{ "softfail", DMARC_AUTH_FAIL },     { "neutral", DMARC_AUTH_FAIL },
		{ "none", DMARC_AUTH_NONE },         { "temperror", DMARC_AUTH_TEMPERROR },
		{ "permerror", DMARC_AUTH_PERMERROR },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++) {
		if (slice_eq_cstr_ci(w, map[i].w)) {
			*ar_word = map[i].w;
			return map[i].a;
		}
	}
	ck_abort_msg("unknown result word %.*s", (int)w.len, w.ptr);
	return DMARC_AUTH_NONE;
}

/* One "name=value" or "name=\"value\"" (or "\"name=value\"") from *p. */
static bool next_expect(const char **p, char *name, size_t nlen, char *value, size_t vlen)
{
	const char *s = *p;
	while (*s == ' ')
		s++;
	if (!*s)
		return false;
	bool whole_quoted = *s == '"';
	if (whole_quoted)
		s++;
	size_t n = 0;
	while (*s && *s != '=' && n + 1 < nlen)
		name[n++] = *s++;
	name[n] = '\0';
	ck_assert_msg(*s == '=', "bad expectation near %s", *p);
	s++;
	n = 0;
	if (whole_quoted) {
		while (*s && *s != '"' && n + 1 < vlen)
			value[n++] = *s++;
		if (*s == '"')
			s++;
	} else if (*s == '"') {
		s++;
		while (*s && *s != '"' && n + 1 < vlen)
			value[n++] = *s++;
		if (*s == '"')
			s++;
	} else {
		while (*s && *s != ' ' && n + 1 < vlen)
			value[n++] = *s++;
	}
	value[n] = '\0';
	*p = s;
	return true;
}

static bool cfg_get(const char *cfg, const char *key, struct slice *val)
{
	struct slice w[16];
	size_t n = split_words(cfg, w, 16);
	size_t klen = strlen(key);
	for (size_t i = 0; i < n; i++) {
		if (w[i].len > klen && memcmp(w[i].ptr, key, klen) == 0 && w[i].ptr[klen] == '=') {
			*val = slice_sub(w[i], klen + 1, w[i].len);
			return true;
		}
	}
	return false;
}

struct run {
	struct dmarc_config cfg;
	struct dmarc_rng rng;
	struct slice authors[16];
	struct slice trusted[8], fwd_dom[8], lists[8], sealers[8];
	struct dmarc_net fwd_ip[8];
	struct dmarc_dkim_input dkim[16];
	const char *dkim_word[16];
	const char *spf_word;
	struct dmarc_input in;
	struct dmarc_eval e;
	struct fields fs;
};

static void run_scenario(const struct scenario *sc, struct run *r)
{
	memset(r, 0, sizeof *r);
	dmarc_config_init(&r->cfg);
	struct slice v;
	if (cfg_get(sc->cfg, "mode", &v) && slice_eq(v, SLICE_LIT("7489")))
		r->cfg.mode = DMARC_MODE_RFC7489;
	if (cfg_get(sc->cfg, "multi", &v) && slice_eq(v, SLICE_LIT("strictest")))
		r->cfg.multi_from = DMARC_MULTI_STRICTEST;
	if (cfg_get(sc->cfg, "prefetch", &v) && slice_eq(v, SLICE_LIT("0")))
		r->cfg.prefetch = false;
	uint64_t seed = 99;
	if (cfg_get(sc->cfg, "seed", &v))
		ck_assert(slice_parse_u64(v, UINT64_MAX, &seed));
	dmarc_rng_seed(&r->rng, seed);
	r->cfg.rng = &r->rng;
	if (cfg_get(sc->cfg, "arc_trusted", &v)) {
		r->cfg.trusted_arc_sealers = r->trusted;
		r->cfg.n_trusted_arc_sealers = split_commas(v, r->trusted, 8);
	}
	if (cfg_get(sc->cfg, "fwd_ip", &v)) {
		struct slice nets[8];
		size_t n = split_commas(v, nets, 8);
		for (size_t i = 0; i < n; i++)
			ck_assert(dmarc_net_parse(nets[i], &r->fwd_ip[i]));
		r->cfg.forwarder_nets = r->fwd_ip;
		r->cfg.n_forwarder_nets = n;
	}
	if (cfg_get(sc->cfg, "multi", &v) && slice_eq(v, SLICE_LIT("reject")))
		r->cfg.multi_from = DMARC_MULTI_REJECT;
	if (cfg_get(sc->cfg, "fwd_dom", &v)) {
		r->cfg.forwarder_domains = r->fwd_dom;
		r->cfg.n_forwarder_domains = split_commas(v, r->fwd_dom, 8);
	}
	if (cfg_get(sc->cfg, "lists", &v)) {
		r->cfg.mailing_lists = r->lists;
		r->cfg.n_mailing_lists = split_commas(v, r->lists, 8);
	}

	struct dmarc_input *in = &r->in;
	in->from_case = DMARC_FROM_ONE;
	if (sc->from) {
		if (!strcmp(sc->from, "none"))
			in->from_case = DMARC_FROM_NONE;
		else if (!strcmp(sc->from, "nodomain"))
			in->from_case = DMARC_FROM_NO_DOMAIN;
		else if (!strcmp(sc->from, "fields"))
			in->from_case = DMARC_FROM_SEVERAL_FIELDS;
		else if (!strcmp(sc->from, "addresses"))
			in->from_case = DMARC_FROM_SEVERAL_ADDRESSES;
	}
	in->n_author_domains = split_words(sc->authors, r->authors, 16);
	in->author_domains = r->authors;

	if (sc->spf) {
		struct slice s = slice_from_cstr(sc->spf), word, dom;
		slice_split_byte(s, ':', &word, &dom);
		if (slice_starts_with_ci(word, SLICE_LIT("helo-"))) {
			in->spf.is_helo = true;
			word = slice_sub(word, 5, word.len);
		}
		in->spf.result = auth_word(word, &r->spf_word);
		in->spf.domain = dom;
	}
	struct slice dw[16];
	size_t nd = split_words(sc->dkim, dw, 16);
	for (size_t i = 0; i < nd; i++) {
		struct slice word, dom;
		slice_split_byte(dw[i], ':', &word, &dom);
		r->dkim[i].result = auth_word(word, &r->dkim_word[i]);
		r->dkim[i].d = dom;
		r->dkim[i].selector = SLICE_LIT("s1");
	}
	in->dkim = r->dkim;
	in->n_dkim = nd;

	struct slice envw[8];
	size_t ne = split_words(sc->env, envw, 8);
	for (size_t i = 0; i < ne; i++) {
		struct slice key, val;
		slice_split_byte(envw[i], '=', &key, &val);
		if (slice_eq(key, SLICE_LIT("arc"))) {
			struct slice word, list;
			slice_split_byte(val, ':', &word, &list);
			in->arc.pass = slice_eq(word, SLICE_LIT("pass"));
			in->arc.n_sealers = split_commas(list, r->sealers, 8);
			in->arc.sealers = r->sealers;
		} else if (slice_eq(key, SLICE_LIT("ip"))) {
			in->client_ip = val;
		} else if (slice_eq(key, SLICE_LIT("ptr"))) {
			in->client_ptr = val;
		} else if (slice_eq(key, SLICE_LIT("list"))) {
			in->list_id = val;
		}
	}

	char *zone = testutil_write_temp(sc->zone, strlen(sc->zone), ".zone");
	ck_assert_ptr_nonnull(zone);
	char spec[4200], err[512];
	snprintf(spec, sizeof spec, "zone:%s", zone);
	struct dns_resolver *res = dns_resolver_new(spec, err, sizeof err);
	ck_assert_msg(res != NULL, "%s: resolver: %s", sc->name, err);
	uint64_t budget = sc->budget_ms ? sc->budget_ms : 10000;
	int rc = dmarc_evaluate(res, A, &r->cfg, in, dns_now_ms() + budget, &r->e);
	dns_resolver_free(res);
	unlink(zone);
	free(zone);
	ck_assert_int_eq(rc, DMARC_OK);
	fields_init(&r->fs, A);
	dmarc_fields(&r->e, &r->fs);
	ck_assert(!r->fs.err);
}

/* The Authentication-Results field for the scenario's results; checked
 * against our own reader and recorded for the python3-authres check. */
static void check_ar(const struct scenario *sc, struct run *r, int idx)
{
	struct ar_builder w;
	struct slice id = SLICE_LIT("mx.test.example");
	const struct dmarc_input *in = &r->in;
	const struct dmarc_eval *e = &r->e;
	ar_begin(&w, A, id, idx % 2 == 1);
	if (sc->spf)
		ar_add_spf(&w, r->spf_word, SLICE_LIT("checked by the scenario"), in->spf.domain,
		           in->spf.is_helo);
	for (size_t i = 0; i < in->n_dkim; i++)
		ar_add_dkim(&w, r->dkim_word[i], SLICE_NULL, in->dkim[i].d, SLICE_NULL,
		            in->dkim[i].selector, SLICE_LIT("rsa-sha256"), SLICE_NULL);
	if (in->arc.n_sealers)
		ar_add_arc(&w, in->arc.pass ? "pass" : "fail", SLICE_NULL, in->arc.pass, 1,
		           in->client_ip);
	ar_add_dmarc(&w, e);
	struct slice f = ar_finish(&w);
	ck_assert_ptr_nonnull(f.ptr);
	ck_assert(ar_claims_authserv_id(A, slice_sub(f, 23, f.len), id));
	for (size_t i = 0; i + 8 <= f.len; i++)
		ck_assert(memcmp(f.ptr + i, "tmperror", 8) != 0);

	char src[160];
	snprintf(src, sizeof src, "test_dmarc_scenarios:%s", sc->name);
	if (!ardump_begin(src, f, id))
		return;
	if (sc->spf) {
		ardump_result("spf", r->spf_word, SLICE_NULL);
		ardump_prop(in->spf.is_helo ? "smtp.helo" : "smtp.mailfrom", in->spf.domain);
	}
	for (size_t i = 0; i < in->n_dkim; i++) {
		ardump_result("dkim", r->dkim_word[i], SLICE_NULL);
		ardump_prop("header.d", in->dkim[i].d);
		ardump_prop("header.s", in->dkim[i].selector);
		ardump_prop("header.a", SLICE_LIT("rsa-sha256"));
	}
	if (in->arc.n_sealers) {
		ardump_result("arc", in->arc.pass ? "pass" : "fail", SLICE_NULL);
		if (in->arc.pass)
			ardump_prop("header.oldest-pass", SLICE_LIT("1"));
		if (in->client_ip.len)
			ardump_prop("smtp.remote-ip", in->client_ip);
	}
	if (e->evaluated) {
		ardump_result("dmarc", dmarc_result_str(e->result),
		              e->result != DMARC_PASS && e->reason ? slice_from_cstr(e->reason)
		                                                   : SLICE_NULL);
		if (e->author_domain.len)
			ardump_prop("header.from", e->author_domain);
		if (e->have_rec && (e->result == DMARC_PASS || e->result == DMARC_FAIL))
			ardump_prop("policy.dmarc", slice_from_cstr(dmarc_policy_str(e->disposition)));
	}
	ardump_end();
}

START_TEST(dmarc_scenario_gives_the_expected_fields)
{
	const struct scenario *sc = &scenarios[_i];
	struct run *r = calloc(1, sizeof *r);
	run_scenario(sc, r);

	const char *p = sc->expect;
	char name[64], value[512];
	while (next_expect(&p, name, sizeof name, value, sizeof value)) {
		const struct field *f = fields_get(&r->fs, slice_from_cstr(name));
		ck_assert_msg(f != NULL, "scenario %d %s: no field %s", _i, sc->name, name);
		ck_assert_msg(slice_eq(f->value, slice_from_cstr(value)),
		              "scenario %d %s: %s=\"%.*s\", expected \"%s\" (reason: %s)", _i, sc->name,
		              name, (int)f->value.len, f->value.ptr, value,
		              r->e.reason ? r->e.reason : "");
	}
	/* Invariants of every verdict. */
	const struct field *st = fields_get(&r->fs, SLICE_LIT("dmarc_status"));
	ck_assert_ptr_nonnull(st);
	if (r->e.result == DMARC_PASS)
		ck_assert(r->e.spf_aligned || r->e.dkim_aligned);
	if (r->e.result != DMARC_FAIL)
		ck_assert(r->e.override == DMARC_OVERRIDE_NONE);

	check_ar(sc, r, _i);
	free(r);
}
END_TEST

static Suite *dmarc_scenarios_suite(void)
{
	Suite *s = suite_create("dmarc_scenarios");
	TCase *tc = tcase_create("table");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, dmarc_scenario_gives_the_expected_fields, 0, (int)N_SCENARIOS);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(dmarc_scenarios_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
