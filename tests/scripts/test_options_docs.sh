#!/bin/bash
# test_options_docs.sh — every option mtadiag takes is documented everywhere it is listed, and
# nothing lists an option that does not exist.  The options are taken from the program itself
# (capture-tool/main.c: the short-option string given to getopt_long and long_options[]), so an
# option added there fails this test until `mtadiag --help`, the man page's OPTIONS section
# (docs/mtadiag.1.in), the README's Usage block (between <!-- options:begin/end -->) and the
# bash completion (packaging/bash-completion/mtadiag) all name it.  The completion is also run
# through bash-completion: "-" offers every option, and option arguments complete.
#
# env: MTADIAG (the binary), MTA_SRC (repository root), MTA_BUILD (build tree: man/mtadiag.1).
set -u
: "${MTADIAG:?}" "${MTA_SRC:?}" "${MTA_BUILD:?}"
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
fails=0
passes=0
ok() { echo "ok - $1"; passes=$((passes + 1)); }
fail() { echo "FAIL - $1"; fails=$((fails + 1)); }

main_c=$MTA_SRC/capture-tool/main.c
man=$MTA_BUILD/man/mtadiag.1
completion=$MTA_SRC/packaging/bash-completion/mtadiag

# ---- the program's options -------------------------------------------------------------------
short=$(grep -o 'getopt_long(argc, argv, "[^"]*"' "$main_c" | sed 's/.*, "\(.*\)"$/\1/' | tr -d ':')
{
	for ((i = 0; i < ${#short}; i++)); do echo "-${short:i:1}"; done
	sed -n '/long_options\[\] = {/,/^};/p' "$main_c" | grep -o '{"[a-z0-9-]*"' | sed 's/{"\(.*\)"/--\1/'
} | sort -u >"$T/program"
n=$(wc -l <"$T/program")
if [ "$n" -ge 20 ] && grep -qx -- -r "$T/program" && grep -qx -- --json "$T/program"; then
	ok "capture-tool/main.c takes $n options"
else
	fail "could not read the options from $main_c (found $n)"
	cat "$T/program"
fi

# Option tokens at the start of listing lines: "  -r FILE  text", "  -h, --help  text".
leading_options() {
	grep -oE '^ +(-[A-Za-z0-9]|--[a-z0-9][a-z0-9-]*)(, (-[A-Za-z0-9]|--[a-z0-9][a-z0-9-]*))*' |
		tr ',' '\n' | tr -d ' ' | sort -u
}

# ---- --help ------------------------------------------------------------------------------------
"$MTADIAG" --help | leading_options >"$T/help"

# ---- the man page: tags of the tagged paragraphs in OPTIONS ----------------------------------
if [ -s "$man" ]; then
	sed -n '/^\.SH OPTIONS/,/^\.SH [^O]/p' "$man" | sed 's/\\-/-/g' |
		awk 'tag { print; tag = 0 } /^\.TP/ { tag = 1 }' |
		grep -oE '(^\.[A-Z]+ |[ "])(-[A-Za-z0-9]|--[a-z0-9][a-z0-9-]*)' |
		grep -oE -- '-.*' | sort -u >"$T/man"
else
	fail "$man is missing (the build generates it)"
	: >"$T/man"
fi

# ---- the README's Usage block ------------------------------------------------------------------
sed -n '/<!-- options:begin -->/,/<!-- options:end -->/p' "$MTA_SRC/README.md" | leading_options >"$T/readme"

# ---- the bash completion: the words offered for "-" ---------------------------------------------
complete_words() { # complete_words WORD... : what bash-completion offers for the last word
	PATH="$(dirname "$MTADIAG"):$PATH" \
	bash -c '
		source /usr/share/bash-completion/bash_completion || exit 1
		source "$0" || exit 1
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_mtadiag mtadiag "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
		printf "%s\n" "${COMPREPLY[@]}"
	' "$completion" mtadiag "$@" 2>&1
}
if [ -r /usr/share/bash-completion/bash_completion ]; then
	complete_words - | sort -u >"$T/completion"
else
	fail "bash-completion is not installed (tools/install-deps.sh installs it)"
	: >"$T/completion"
fi

for doc in help man readme completion; do
	missing=$(comm -23 "$T/program" "$T/$doc" | tr '\n' ' ')
	extra=$(comm -13 "$T/program" "$T/$doc" | tr '\n' ' ')
	if [ -z "$missing" ] && [ -z "$extra" ]; then
		ok "$doc lists exactly the $n options"
	else
		fail "$doc: missing [${missing% }] not an option [${extra% }]"
	fi
done

# ---- option arguments complete ------------------------------------------------------------------
if [ -r /usr/share/bash-completion/bash_completion ]; then
	[ "$(complete_words --fail-on w)" = warning ] && ok "completion: --fail-on w -> warning" ||
		fail "completion: --fail-on w gave '$(complete_words --fail-on w)'"
	complete_words -Z ro | grep -qx root && ok "completion: -Z completes user names" ||
		fail "completion: -Z ro gave '$(complete_words -Z ro)'"
	mkdir -p "$T/caps" && touch "$T/caps/a.pcap" "$T/caps/b.pcapng" "$T/caps/c.txt" "$T/caps/d.expect"
	got=$(cd "$T/caps" && complete_words -r '' | sort | tr '\n' ' ')
	[ "$got" = "a.pcap b.pcapng " ] && ok "completion: -r offers captures" ||
		fail "completion: -r gave '$got'"
	got=$(cd "$T/caps" && complete_words -r a.pcap --expect '' | tr '\n' ' ')
	[ "$got" = "d.expect " ] && ok "completion: --expect offers .expect files" ||
		fail "completion: --expect gave '$got'"
	got=$(complete_words -i '' | tr '\n' ' ')
	case " $got " in
	*" lo "*) ok "completion: -i offers interfaces ($got)" ;;
	*) fail "completion: -i gave '$got'" ;;
	esac
fi

echo "$passes passed, $fails failed"
[ "$fails" = 0 ]
