#!/bin/sh
# A private Debian exim4 daemon on 127.0.0.1 (a free high port, its own
# spool and logs), driven by swaks (DATA) and by tests/exim/smtp_client.py
# (CHUNKING/BDAT, several messages per connection):
#   1. spool_wireformat: a message sent with BDAT is stored in wire format
#      (CRLF) and gives exactly the fields the same message gives with DATA;
#   2. forged Authentication-Results claiming our authserv-id are gone from
#      the delivered message, foreign ones stay, ours is on top;
#   3. split_spool_directory: the body is found and read (DATA and BDAT);
#   4. local_scan() through local_scan_path adds our field (once, also when
#      the ACL added it) and applies the configured action on temperror.
. "$(dirname "$0")/lib.sh"
log="$T/log/mainlog"
write_mailauth_conf
command -v swaks >/dev/null || bad "swaks is not installed"

# spool_file_of ID: the -D file of a queued message, either layout.
spool_file_of() {
	find "$T/spool/input" -name "$1-D" | head -n 1
}
# fields_of_id ID: the TEST-FIELDS text logged for message ID.
fields_of_id() {
	grep " $1 TEST-FIELDS " "$log" | head -n 1 | sed -E 's/.*TEST-FIELDS //'
}
body_of_id() {
	grep " $1 TEST-DATA " "$log" | head -n 1 | sed -E 's/.* body=([^ ]*).*/\1/'
}

# ---- 1. DATA and BDAT with spool_wireformat ----
write_test_conf "spool_wireformat = true"
daemon_start || { finish; exit 1; }
write_message "$T/m1" a@example.org "$(printf 'first line\n.leading dot\n\nlast line')"
# swaks ends DATA with CRLF "." CRLF after the data it is given: without the
# file's final newline it sends exactly the message of m1.
head -c -1 "$T/m1" >"$T/m1.swaks"

swaks --server 127.0.0.1 --port "$PORT" --helo client.example.org --from a@example.org \
	--to user@example.test --data "@$T/m1.swaks" >"$T/swaks.out" 2>&1
id_data=$(sed -nE 's/.*250 OK id=([^ ]+).*/\1/p' "$T/swaks.out" | head -n 1)
[ -n "$id_data" ] && ok "swaks delivers a message with DATA ($id_data)" \
	|| bad "swaks: $(tail -n 5 "$T/swaks.out")"
"$PY" "$CLIENT" --port "$PORT" --from a@example.org --bdat 7 "$T/m1" >"$T/bdat.out" 2>&1
id_bdat=$(sed -nE 's/^accepted (.+)/\1/p' "$T/bdat.out")
[ -n "$id_bdat" ] && ok "the same message is accepted with BDAT in 7-byte chunks ($id_bdat)" \
	|| bad "BDAT: $(cat "$T/bdat.out")"

f_data=$(fields_of_id "$id_data"); f_bdat=$(fields_of_id "$id_bdat")
d_data=$(spool_file_of "$id_data"); d_bdat=$(spool_file_of "$id_bdat")
if [ -n "$d_bdat" ] && grep -q "$(printf '\r')" "$d_bdat"; then
	ok "the BDAT message is spooled in wire format (CRLF)"
else
	bad "the BDAT message's spool file $d_bdat holds no CR"
fi
if [ -n "$d_data" ] && ! grep -q "$(printf '\r')" "$d_data"; then
	ok "the DATA message is spooled with LF line ends"
else
	bad "the DATA message's spool file $d_data is not LF-only"
fi
expect_eq "the DATA message's body size is the LF size" "35" "$(body_of_id "$id_data")"
expect_eq "the BDAT message's body size is the same" "35" "$(body_of_id "$id_bdat")"
if [ -n "$f_data" ] && [ "$f_data" = "$f_bdat" ]; then
	ok "BDAT (wire format) and DATA give identical fields"
else
	bad "fields differ: DATA '$f_data' BDAT '$f_bdat'"
fi

# Several messages on one connection, BDAT and DATA.
write_message "$T/m2" a@example.org "short"
write_message "$T/m3" a@example.org "a body of a different size"
"$PY" "$CLIENT" --port "$PORT" --bdat 1000 "$T/m2" "$T/m3" >"$T/two.out" 2>&1
ida=$(sed -n '1s/^accepted //p' "$T/two.out"); idb=$(sed -n '2s/^accepted //p' "$T/two.out")
expect_eq "message 1 of a connection has its own body size" "6" "$(body_of_id "$ida")"
expect_eq "message 2 of the same connection has its own body size" "27" "$(body_of_id "$idb")"
expect_no_match "no expansion failed in the daemon" 'failed to expand|temporarily rejected' "$(cat "$log")"

# ---- 2. forged Authentication-Results ----
write_message "$T/forged" a@example.org "forged" \
	"Authentication-Results: mx.example.test; dmarc=pass header.from=example.org" \
	"Authentication-Results: (sneaky) MX.Example.TEST ; spf=pass smtp.mailfrom=example.org" \
	"Authentication-Results: other.example; spf=pass smtp.mailfrom=example.org"
"$PY" "$CLIENT" --port "$PORT" "$T/forged" >"$T/forged.out" 2>&1
id_forged=$(sed -nE 's/^accepted (.+)/\1/p' "$T/forged.out")
expect_match "the removal is logged" "$id_forged mailauth: message $id_forged: removed 2 Authentication-Results fields" "$(cat "$log")"
deliver_queue
file=$(delivered_file "$id_forged")
if [ -z "$file" ]; then
	bad "message $id_forged was not delivered: $(tail -n 3 "$log")"
else
	ok "the message with forged fields is delivered"
	expect_eq "exactly one Authentication-Results field claims mx.example.test" "1" \
		"$(grep -ciE '^Authentication-Results: *(\([^)]*\))? *mx\.example\.test *;' "$file")"
	expect_match "ours is the first line of the delivered message" \
		'^Authentication-Results: mx\.example\.test;' "$(head -n 1 "$file")"
	expect_no_match "the forged dmarc=pass is gone" 'dmarc=pass header.from=example.org' "$(cat "$file")"
	expect_no_match "the forged field with a comment and other case is gone" 'sneaky' "$(cat "$file")"
	expect_match "a field of another authserv-id is kept" \
		'^Authentication-Results: other\.example; spf=pass' "$(cat "$file")"
fi
daemon_stop

# ---- 3. split_spool_directory ----
rm -f "$log"
write_test_conf "split_spool_directory = true"
daemon_start || { finish; exit 1; }
swaks --server 127.0.0.1 --port "$PORT" --helo client.example.org --from a@example.org \
	--to user@example.test --data "@$T/m1.swaks" >"$T/swaks.out" 2>&1
id_split=$(sed -nE 's/.*250 OK id=([^ ]+).*/\1/p' "$T/swaks.out" | head -n 1)
"$PY" "$CLIENT" --port "$PORT" --bdat 5 "$T/m1" >"$T/bdat.out" 2>&1
id_split_bdat=$(sed -nE 's/^accepted (.+)/\1/p' "$T/bdat.out")
sub=$(printf '%s' "$id_split" | cut -c6)
if [ -n "$id_split" ] && [ -f "$T/spool/input/$sub/$id_split-D" ]; then
	ok "split_spool_directory puts the data file in input/$sub/"
else
	bad "no split spool file for '$id_split': $(find "$T/spool/input" | head)"
fi
expect_eq "the body is read from the split spool (DATA)" "35" "$(body_of_id "$id_split")"
expect_eq "the body is read from the split spool (BDAT, LF spool)" "35" "$(body_of_id "$id_split_bdat")"
expect_eq "split and unsplit spools give the same fields" "$f_data" "$(fields_of_id "$id_split")"
daemon_stop

# ---- 4. local_scan() via local_scan_path ----
rm -f "$log"
write_test_conf "local_scan_path = $SO
NO_ACL_AUTHRES = yes"
daemon_start || { finish; exit 1; }
"$PY" "$CLIENT" --port "$PORT" "$T/forged" >"$T/ls.out" 2>&1
id_ls=$(sed -nE 's/^accepted (.+)/\1/p' "$T/ls.out")
[ -n "$id_ls" ] && ok "local_scan accepts the message ($id_ls)" || bad "local_scan: $(cat "$T/ls.out"; tail -n 3 "$log")"
expect_no_match "Exim loads local_scan (version functions present)" 'local_scan\(\) library' "$(cat "$log")"
daemon_stop
rm -f "$log"
write_test_conf "local_scan_path = $SO"
daemon_start || { finish; exit 1; }
"$PY" "$CLIENT" --port "$PORT" "$T/forged" >"$T/ls2.out" 2>&1
id_ls2=$(sed -nE 's/^accepted (.+)/\1/p' "$T/ls2.out")
deliver_queue
for id in "$id_ls" "$id_ls2"; do
	file=$(delivered_file "$id")
	if [ -z "$file" ]; then
		bad "message $id (local_scan) was not delivered"
		continue
	fi
	expect_eq "local_scan leaves exactly one field of ours ($id)" "1" \
		"$(grep -ciE '^Authentication-Results: *(\([^)]*\))? *mx\.example\.test *;' "$file")"
done
daemon_stop

# local_scan_temperror = defer: a resolver that cannot start makes every
# result temperror, and local_scan defers the message (451).
write_mailauth_conf "local_scan_temperror = defer"
sed -i "s|^resolver = .*|resolver = zone:$T/no-such-zone|" "$T/mailauth.conf"
rm -f "$log"
daemon_start || { finish; exit 1; }
"$PY" "$CLIENT" --port "$PORT" "$T/m2" >"$T/ls3.out" 2>&1
expect_match "local_scan defers a temperror message when configured to" '^refused 451' "$(cat "$T/ls3.out")"
expect_match "the resolver problem is logged" "mailauth: resolver 'zone:$T/no-such-zone'" "$(cat "$log")"
daemon_stop
finish
