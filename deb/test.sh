#!/usr/bin/env bash
# The Debian package stage of tests/run.sh (root, Debian 12, after tests/setup.sh and the RPM stage,
# whose binary RPM it repackages): builds target/deb/mqha_*.deb with deb/build.sh and checks it as an
# administrator on Debian or Ubuntu would meet it:
#  - the payload is the OCF layout (agent, two links to it), three gzipped man pages, and
#    /usr/share/doc/mqha with copyright, changelog.Debian.gz, README.md and docs/; nothing of the
#    simulator;
#  - lintian reports no errors (its warnings are listed);
#  - `dpkg -i` installs it on this machine (dpkg resolves its Depends against the real packages);
#    Pacemaker's tools and crmsh then find the installed agents (crm_resource --show-metadata,
#    crm_resource --list-agents, pcs resource describe, crm ra info, man -w), crm_resource drives the
#    installed ibmmq through a simulated queue manager (validate, probe, start, monitor at depths 0,
#    10 and 20, stop), and `dpkg -r` removes every file it installed.
# It refuses to run when a package named mqha is installed already: it installs and removes its own.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
agents=(ibmmq ibmmq-listener ibmmq-trigger)

# ok, bad, check, quiet, summary; exe_pids
# shellcheck source=tests/cluster/lib.sh
source tests/cluster/lib.sh
[ "$(id -u)" = 0 ] || die "run as root (dpkg -i)"
for t in dpkg dpkg-deb lintian crm_resource pcs crm man xmllint; do
    command -v "$t" >/dev/null || die "deb/test.sh: '$t' not found (run tests/setup.sh as root)"
done
if dpkg-query -W -f='${Status}' mqha 2>/dev/null | grep -q 'installed'; then
    die "deb/test.sh: a package mqha is installed on this machine; this test installs and removes its own: remove it first (dpkg -r mqha)"
fi

scratch=$(mktemp -d /tmp/mqha-deb-test.XXXXXX)
chmod 0755 "$scratch"
installed=""
mqsim=$root/target/release/mqsim
mq=$scratch/mq
cleanup() {
    "$mqsim" cleanup "$mq" >/dev/null 2>&1 || true
    if [ -n "$installed" ]; then dpkg -r mqha >/dev/null 2>&1 || true; fi
    rm -rf "$scratch"
}
trap cleanup EXIT

t0=$(date +%s)
deb/build.sh >"$scratch/build.log" 2>&1 || { tail -20 "$scratch/build.log"; die "deb/build.sh failed"; }
deb=$(sed -n 's/^deb\/build.sh: \(\/.*\.deb\)$/\1/p' "$scratch/build.log")
check "deb/build.sh made the package in $(($(date +%s) - t0)) s: ${deb#"$root"/}" test -s "$deb"
[ -s "$deb" ] || { summary; exit 1; }

# --- layout and fields --------------------------------------------------------------------------------
ocf=/usr/lib/ocf/resource.d/mqha
doc=/usr/share/doc/mqha
expected_files() {
    printf '%s\n' /usr /usr/lib /usr/lib/ocf /usr/lib/ocf/resource.d "$ocf" \
        "$ocf/ibmmq" "$ocf/ibmmq-listener" "$ocf/ibmmq-trigger" \
        /usr/share /usr/share/man /usr/share/man/man7 \
        /usr/share/man/man7/ocf_mqha_ibmmq.7.gz /usr/share/man/man7/ocf_mqha_ibmmq-listener.7.gz \
        /usr/share/man/man7/ocf_mqha_ibmmq-trigger.7.gz \
        /usr/share/doc "$doc" "$doc/copyright" "$doc/changelog.Debian.gz" "$doc/README.md"
    (find docs \( -type d -o -name '*.md' \)) | sed "s|^|$doc/|"
}
dpkg-deb -c "$deb" >"$scratch/contents"
awk '{ print $6 }' "$scratch/contents" | sed 's|^\./|/|; s|/$||' | grep -v '^$' | sort >"$scratch/files"
expected_files | sort >"$scratch/expected"
if diff -u "$scratch/expected" "$scratch/files" >"$scratch/files.diff"; then
    ok "dpkg-deb -c: exactly the OCF layout, man pages, copyright, changelog, README and docs/"
else
    bad "dpkg-deb -c differs from the expected layout:"
    cat "$scratch/files.diff"
fi
for a in ibmmq-listener ibmmq-trigger; do
    check "$ocf/$a is a symlink to ibmmq" \
        grep -q " \./${ocf#/}/$a -> ibmmq$" "$scratch/contents"
done
check "files are owned by root (dpkg-deb --root-owner-group)" \
    bash -c '! awk "{ print \$2 }" "$1" | grep -vqx root/root' _ "$scratch/contents"
check "Depends names libc6 >= 2.28 (the RPM's glibc floor)" \
    bash -c 'dpkg-deb -f "$1" Depends | grep -q "libc6 (>= 2.28)"' _ "$deb"
check "nothing of the simulator in the package" bash -c '! grep -Ei "mqsim|mq-sim|libmqm|mqic" "$1"' _ "$scratch/contents"

# --- lintian ---------------------------------------------------------------------------------------------
rc=0
lintian --tag-display-limit 0 "$deb" >"$scratch/lintian" 2>&1 || rc=$?
echo "lintian (exit $rc):"
sed 's/^/    /' "$scratch/lintian"
check "lintian: no errors" bash -c '! grep -q "^E: " "$1"' _ "$scratch/lintian"

# --- installed with dpkg -i, driven by Pacemaker's tools ---------------------------------------------
rc=0
dpkg -i "$deb" >"$scratch/install.log" 2>&1 || rc=$?
installed=1
check "dpkg -i $(basename "$deb") (exit $rc)" test "$rc" = 0
[ "$rc" = 0 ] || sed 's/^/    | /' "$scratch/install.log"
check "dpkg -s: mqha is installed" bash -c 'dpkg-query -W -f="\${Status}" mqha | grep -q "install ok installed"'
check "dpkg --verify mqha: the installed files are intact" dpkg --verify mqha
for a in "${agents[@]}"; do
    check "crm_resource --show-metadata ocf:mqha:$a" quiet crm_resource --show-metadata "ocf:mqha:$a"
    check "pcs resource describe ocf:mqha:$a" quiet pcs resource describe "ocf:mqha:$a"
    check "crm ra info ocf:mqha:$a" quiet crm ra info "ocf:mqha:$a"
    check "man -w ocf_mqha_$a finds the installed page" bash -c '[ "$(man -w "$1")" = "/usr/share/man/man7/$1.7.gz" ]' _ "ocf_mqha_$a"
done
check "crm_resource --list-agents ocf:mqha lists the three agents" \
    bash -c '[ "$(crm_resource --list-agents ocf:mqha | sort | tr "\n" " ")" = "ibmmq ibmmq-listener ibmmq-trigger " ]'

if [ ! -x "$mqsim" ]; then
    bad "build first: cargo build --workspace --release ($mqsim missing)"
else
    qm=DEBT$$
    inst=$mq/opt/mqm
    crm_agent() { # crm_agent ACTION-OPTION... : crm_resource on the installed ibmmq for the simulated QM
        crm_resource "$@" --class ocf --provider mqha --agent ibmmq \
            --option "qmgr=$qm" --option "mq_installation=$inst" >>"$scratch/agent.log" 2>&1
    }
    expect_rc() { # expect_rc RC DESCRIPTION ACTION-OPTION...
        local want=$1 what=$2 rc=0
        shift 2
        crm_agent "$@" || rc=$?
        check "installed ibmmq under crm_resource: $what: exit $rc (want $want)" test "$rc" = "$want"
        [ "$rc" = "$want" ] || tail -5 "$scratch/agent.log" | sed 's/^/    | /'
    }
    # The queue manager is created by the mq user, as an MQ administrator does.
    if "$mqsim" install "$mq" >"$scratch/sim.log" 2>&1 &&
        runuser -u mqm -- "$inst/bin/crtmqm" "$qm" >>"$scratch/sim.log" 2>&1; then
        ok "simulated installation $inst with queue manager $qm"
        expect_rc 0 "validate" --validate
        expect_rc 7 "probe before start (stopped)" --force-check
        expect_rc 0 "start" --force-start
        expect_rc 0 "monitor, depth 0" --force-check
        expect_rc 0 "monitor, depth 10 (MQI)" --force-check --option OCF_CHECK_LEVEL=10
        expect_rc 0 "monitor, depth 20 (persistent put and get)" --force-check --option OCF_CHECK_LEVEL=20
        expect_rc 0 "stop" --force-stop
        expect_rc 7 "monitor after stop" --force-check
        check "no process of the queue manager left after stop" no_exe_pids "$mq/"
    else
        bad "could not make the simulated installation: $(tail -3 "$scratch/sim.log")"
    fi
    "$mqsim" cleanup "$mq" >/dev/null 2>&1 || true
fi

dpkg -L mqha 2>/dev/null | grep -E "^($ocf|/usr/share/(man|doc)/.*mqha)" >"$scratch/owned" || true
rc=0
dpkg -r mqha >"$scratch/remove.log" 2>&1 || rc=$?
installed=""
check "dpkg -r mqha (exit $rc)" test "$rc" = 0
left=$(while read -r f; do if [ -e "$f" ] || [ -L "$f" ]; then echo "$f"; fi; done <"$scratch/owned" | grep -v "^/usr/share/doc$" || true)
check "dpkg -r removed every agent, page and document it installed${left:+ (left: $left)}" test -z "$left"

echo "deb stage: $(($(date +%s) - t0)) s"
summary
