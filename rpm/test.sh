#!/usr/bin/env bash
# The RPM stage of tests/run.sh (root, Debian 12, after tests/setup.sh): builds the package with
# rpm/build.sh and checks it as an administrator would meet it:
#  - the payload is the OCF layout (agent, two links to it, three man pages, README, docs/, LICENSE)
#    and nothing of the simulator;
#  - rpmlint finds no errors (its warnings are listed);
#  - extracted into a scratch directory, every agent name prints meta-data, run as nobody with an
#    empty environment, that pcs's schema and resource-agents' DTD accept; the man pages name
#    every parameter of that meta-data;
#  - the binary is stripped and needs no GLIBC symbol newer than 2.28 (RHEL 8), and the package
#    requires nothing newer either;
#  - the source RPM rebuilds with no network at all (unshare --net), from its vendored crates.
# Set MQHA_RPM_SKIP_REBUILD=1 to leave out the last, slowest check.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

glibc_floor=2.28
agents=(ibmmq ibmmq-listener ibmmq-trigger)
pcs_rng=/usr/share/pcs/data/ocf-1.1.rng
ra_dtd_dir=/usr/share/resource-agents

# ok, bad, check (counted; a failed check does not stop the run), quiet, summary; exe_pids
# shellcheck source=tests/cluster/lib.sh
source tests/cluster/lib.sh

for t in rpm rpm2cpio cpio rpmlint xmllint xsltproc objdump readelf groff setpriv unshare; do
    command -v "$t" >/dev/null || { echo "rpm/test.sh: '$t' not found (run tests/setup.sh as root)" >&2; exit 1; }
done
for f in "$pcs_rng" "$ra_dtd_dir/ra-api-1.dtd"; do
    [ -f "$f" ] || { echo "rpm/test.sh: $f missing (pcs / resource-agents packages; tests/setup.sh)" >&2; exit 1; }
done

scratch=$(mktemp -d /tmp/mqha-rpm-test.XXXXXX)
cleanup() { rm -rf "$scratch"; }
trap cleanup EXIT
chmod 0755 "$scratch"

# --- the stylesheet: free text from meta-data cannot become troff requests --------------------------
cat >"$scratch/tricky.xml" <<'XML'
<?xml version="1.0"?>
<resource-agent name="tricky" version="1">
<version>1.1</version>
<longdesc lang="en">First paragraph with a back\slash.
.leading dot line
'leading quote line

Second paragraph.</longdesc>
<shortdesc lang="en">Tricky text</shortdesc>
<parameters>
<parameter name="path" required="1"><longdesc lang="en">.so /etc/passwd</longdesc><shortdesc lang="en">A path</shortdesc>
<content type="string" default="C:\dir"/></parameter>
</parameters>
<actions><action name="start" timeout="20s"/></actions>
</resource-agent>
XML
xsltproc --nonet --novalid --stringparam date 2026-01-01 rpm/ocf-metadata-to-man.xsl "$scratch/tricky.xml" >"$scratch/tricky.7"
# Long lines and squeezed spaces, so that filling and justification do not split what we look for.
LC_ALL=C.UTF-8 groff -ww -man -rLL=400n -Tutf8 -P-c -P-b -P-u "$scratch/tricky.7" 2>"$scratch/tricky.warn" |
    tr -s " " >"$scratch/tricky.txt"
check "stylesheet: groff reads the page of tricky meta-data without warnings" test ! -s "$scratch/tricky.warn"
for want in 'back\slash.' '.leading dot line' "'leading quote line" '.so /etc/passwd' 'Default: C:\dir' 'ocf_mqha_tricky - Tricky text'; do
    check "stylesheet: the page shows '$want' as text" grep -qF -- "$want" "$scratch/tricky.txt"
done

# --- the spec asks for a Rust new enough for every crate the agent is built from -------------------
# Offline: tests/setup.sh --fetch put every crate of Cargo.lock, for every target, in the cache.
msrv=""
if meta=$(cargo metadata --format-version 1 --locked --offline 2>"$scratch/metadata.err") && [ -n "$meta" ]; then
msrv=$(printf '%s' "$meta" | python3 -c '
import json, sys
m = json.load(sys.stdin)
pk = {p["id"]: p for p in m["packages"]}
nodes = {n["id"]: n for n in m["resolve"]["nodes"]}
todo = [i for i, p in pk.items() if p["name"] == "ocf-agent"]
seen = set()
while todo:
    i = todo.pop()
    if i in seen:
        continue
    seen.add(i)
    for d in nodes[i]["deps"]:
        if any(k["kind"] in (None, "build") for k in d["dep_kinds"]):
            todo.append(d["pkg"])
v = [tuple(int(x) for x in pk[i]["rust_version"].split(".")) for i in seen if pk[i].get("rust_version")]
print(".".join(map(str, max(v))) if v else "")
')
else
    bad "cargo metadata --locked --offline failed (run tests/setup.sh --fetch first): $(tail -1 "$scratch/metadata.err")"
fi
spec_rust=$(sed -n 's/^BuildRequires:[[:space:]]*cargo >= //p' rpm/mqha.spec)
check "spec's BuildRequires cargo >= $spec_rust covers the agent's crates (highest rust-version: ${msrv:-unknown})" \
    bash -c '[ -n "$1" ] && [ -n "$2" ] && [ "$(printf "%s\n%s\n" "$1" "$2" | sort -V | tail -1)" = "$2" ]' _ "$msrv" "$spec_rust"

# --- the package builds ---------------------------------------------------------------------------
t0=$(date +%s)
if ! rpm/build.sh; then
    echo "FAIL rpm/build.sh" >&2
    exit 1
fi
t1=$(date +%s)
ok "rpm/build.sh built the packages in $((t1 - t0)) s"

version=$(sed -n 's/^Version:[[:space:]]*//p' rpm/mqha.spec)
release=$(rpm --define 'dist %{nil}' -q --qf '%{RELEASE}\n' --specfile rpm/mqha.spec 2>/dev/null | head -1)
arch=$(rpm --eval '%{_target_cpu}')
bin_rpm=$root/target/rpm/mqha-$version-$release.$arch.rpm
src_rpm=$root/target/rpm/mqha-$version-$release.src.rpm
check "binary RPM exists: ${bin_rpm#"$root"/}" test -s "$bin_rpm"
check "source RPM exists: ${src_rpm#"$root"/}" test -s "$src_rpm"
[ -s "$bin_rpm" ] && [ -s "$src_rpm" ] || { echo "0 passed after build, cannot go on" >&2; exit 1; }

# --- layout -------------------------------------------------------------------------------------
ocf=/usr/lib/ocf/resource.d/mqha
expected_files() {
    printf '%s\n' /usr/lib/ocf /usr/lib/ocf/resource.d "$ocf" \
        "$ocf/ibmmq" "$ocf/ibmmq-listener" "$ocf/ibmmq-trigger" \
        "/usr/share/doc/mqha-$version" "/usr/share/doc/mqha-$version/README.md" \
        "/usr/share/licenses/mqha-$version" "/usr/share/licenses/mqha-$version/LICENSE" \
        /usr/share/man/man7/ocf_mqha_ibmmq-listener.7.gz \
        /usr/share/man/man7/ocf_mqha_ibmmq-trigger.7.gz \
        /usr/share/man/man7/ocf_mqha_ibmmq.7.gz
    # docs/ as it is in the repository (what the README links to), directories included.
    (cd "$root" && find docs \( -type d -o -name '*.md' \)) | sed "s|^|/usr/share/doc/mqha-$version/|"
}
rpm -qlp "$bin_rpm" | sort >"$scratch/files"
expected_files | sort >"$scratch/expected"
if diff -u "$scratch/expected" "$scratch/files" >"$scratch/files.diff"; then
    ok "rpm -qlp: exactly the OCF agent layout, man pages (gzipped), README, docs/ and LICENSE"
else
    bad "rpm -qlp differs from the expected layout:"
    cat "$scratch/files.diff"
fi
check "nothing of the simulator in the package (mqsim, libmqm, mq-sim)" \
    bash -c '! rpm -qlp "$1" | grep -Ei "mqsim|mq-sim|libmqm|mqic"' _ "$bin_rpm"
# Links, not copies: the agent is one binary under three names (rpm's --dump: path ... linkto).
rpm -qp --dump "$bin_rpm" >"$scratch/dump"
for a in ibmmq-listener ibmmq-trigger; do
    check "$ocf/$a is a symlink to ibmmq" \
        bash -c 'awk -v p="$1" '"'"'$1 == p { print $NF }'"'"' "$2" | grep -qx ibmmq' _ "$ocf/$a" "$scratch/dump"
done
check "$ocf/ibmmq is mode 0755" \
    bash -c 'awk -v p="$1" '"'"'$1 == p { print $5 }'"'"' "$2" | grep -qx 0100755' _ "$ocf/ibmmq" "$scratch/dump"

# --- dependencies ----------------------------------------------------------------------------------
rpm -qp --requires "$bin_rpm" >"$scratch/requires"
echo "Requires of the binary RPM:"
sed 's/^/    /' "$scratch/requires"
max_req=$(grep -o 'GLIBC_[0-9.]*' "$scratch/requires" | sed 's/GLIBC_//' | sort -V | tail -1)
check "package requires GLIBC <= $glibc_floor (highest: ${max_req:-none})" \
    test "$(printf '%s\n%s\n' "${max_req:-0}" "$glibc_floor" | sort -V | tail -1)" = "$glibc_floor"
check "requires only glibc libraries and rpmlib features (no MQ, no simulator)" \
    bash -c '! grep -Ev "^(libc\.so\.6|libdl\.so\.2|libpthread\.so\.0|librt\.so\.1|libm\.so\.6|libgcc_s\.so\.1|rtld\(GNU_HASH\)|rpmlib\()" "$1"' _ "$scratch/requires"

# --- rpmlint ---------------------------------------------------------------------------------------
rc=0
rpmlint -c rpm/rpmlint.toml "$bin_rpm" "$src_rpm" rpm/mqha.spec >"$scratch/rpmlint" 2>&1 || rc=$?
echo "rpmlint (exit $rc):"
grep -E ': [EW]: |errors|warnings' "$scratch/rpmlint" | sed 's/^/    /'
check "rpmlint: no errors" bash -c '[ "$1" = 0 ] && grep -q " 0 errors" "$2"' _ "$rc" "$scratch/rpmlint"

# --- the extracted package --------------------------------------------------------------------------
ex=$scratch/root
mkdir -p "$ex"
(cd "$ex" && rpm2cpio "$bin_rpm" | cpio -idm --quiet)
chmod -R a+rX "$ex"
agent_bin=$ex$ocf/ibmmq
for a in "${agents[@]}"; do
    md=$scratch/$a.xml
    rc=0
    # As ocf-tester runs it: user nobody, no environment to lean on.
    setpriv --reuid=nobody --regid=nogroup --clear-groups \
        env -i PATH=/usr/bin:/bin "$ex$ocf/$a" meta-data >"$md" 2>"$scratch/$a.err" || rc=$?
    check "$a meta-data (as nobody, empty environment) exits 0 (got $rc)" test "$rc" = 0
    check "$a meta-data names the agent $a" \
        bash -c '[ "$(xmllint --xpath "string(/resource-agent/@name)" "$1" 2>/dev/null)" = "$2" ]' _ "$md" "$a"
    check "$a meta-data is valid for pcs ($pcs_rng)" \
        quiet xmllint --noout --nonet --relaxng "$pcs_rng" "$md"
    # What ocf-tester checks: the DTD of resource-agents, found from its directory.
    check "$a meta-data is valid against ra-api-1.dtd (as ocf-tester checks)" \
        quiet bash -c 'cd "$1" && xmllint --noout --nonet --valid - <"$2"' _ "$ra_dtd_dir" "$md"

    page=$ex/usr/share/man/man7/ocf_mqha_$a.7.gz
    zcat "$page" >"$scratch/$a.7" 2>/dev/null || : >"$scratch/$a.7"
    check "ocf_mqha_$a.7: groff renders it without warnings" \
        bash -c 'w=$(LC_ALL=C.UTF-8 groff -ww -z -man -t "$1" 2>&1) && [ -z "$w" ] && [ -s "$1" ]' _ "$scratch/$a.7"
    check "ocf_mqha_$a.7: NAME is ocf_mqha_$a" grep -q "^ocf_mqha_$a \\\\- " "$scratch/$a.7"
    missing=""
    for p in $(xmllint --xpath '//parameters/parameter/@name' "$md" 2>/dev/null | sed 's/ name="\([^"]*\)"/\1 /g'); do
        grep -q "^\\\\fB$p\\\\fR (" "$scratch/$a.7" || missing="$missing $p"
    done
    check "ocf_mqha_$a.7 documents every parameter of the meta-data${missing:+ (missing:$missing)}" test -z "$missing"
done

size=$(stat -c %s "$agent_bin")
glibc_max=$(objdump -T "$agent_bin" | grep -o 'GLIBC_[0-9.]*' | sed 's/GLIBC_//' | sort -Vu | tail -1)
check "agent binary needs GLIBC <= $glibc_floor (objdump -T: highest GLIBC_$glibc_max)" \
    test "$(printf '%s\n%s\n' "$glibc_max" "$glibc_floor" | sort -V | tail -1)" = "$glibc_floor"
check "agent binary is stripped (no .symtab), $size bytes" \
    bash -c '! readelf -S "$1" | grep -q "\.symtab"' _ "$agent_bin"
echo "agent binary: $size bytes, highest GLIBC symbol version $glibc_max, needs:" \
    "$(readelf -d "$agent_bin" | sed -n 's/.*Shared library: \[\(.*\)\]/\1/p' | tr '\n' ' ')"

# --- the packaged agent drives a queue manager -----------------------------------------------------
# The zig-linked binary must do everything the workspace build does, above all dlopen() the
# installation's libmqm_r.so in its MQI child: run it against a simulated installation.
mqsim=$root/target/release/mqsim
if [ ! -x "$mqsim" ]; then
    bad "build first: cargo build --workspace --release ($mqsim missing)"
else
    mq=$scratch/mq
    qm=RPMT$$
    inst=$mq/opt/mqm
    sim_cleanup() { "$mqsim" cleanup "$mq" >/dev/null 2>&1 || true; }
    trap 'sim_cleanup; cleanup' EXIT
    agent() { # agent ACTION [NAME=VALUE...]: the extracted ibmmq, called as Pacemaker calls it
        local action=$1
        shift
        env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin OCF_ROOT=/usr/lib/ocf \
            OCF_RA_VERSION_MAJOR=1 OCF_RA_VERSION_MINOR=1 \
            OCF_RESOURCE_INSTANCE=rpm_qm OCF_RESOURCE_TYPE=ibmmq OCF_RESOURCE_PROVIDER=mqha \
            OCF_RESKEY_CRM_meta_timeout=60000 OCF_RESKEY_qmgr="$qm" OCF_RESKEY_mq_installation="$inst" \
            "$@" "$agent_bin" "$action" >>"$scratch/agent.log" 2>&1
    }
    expect_rc() { # expect_rc RC DESCRIPTION ACTION [NAME=VALUE...]
        local want=$1 what=$2 rc=0
        shift 2
        agent "$@" || rc=$?
        check "packaged agent: $what: exit $rc (want $want)" test "$rc" = "$want"
        [ "$rc" = "$want" ] || tail -5 "$scratch/agent.log" | sed 's/^/    | /'
    }
    if "$mqsim" install "$mq" >"$scratch/sim.log" 2>&1 && setpriv --reuid=mqm --regid=mqm --init-groups "$inst/bin/crtmqm" "$qm" >>"$scratch/sim.log" 2>&1; then
        ok "simulated installation $inst with queue manager $qm"
        mon=(OCF_RESKEY_CRM_meta_interval=20000)
        expect_rc 7 "probe before start (stopped)" monitor
        expect_rc 0 "start" start
        expect_rc 0 "monitor, OCF_CHECK_LEVEL=0 (processes and dspmq)" monitor "${mon[@]}" OCF_CHECK_LEVEL=0
        expect_rc 0 "monitor, OCF_CHECK_LEVEL=10 (MQI through libmqm_r.so)" monitor "${mon[@]}" OCF_CHECK_LEVEL=10
        expect_rc 0 "monitor, OCF_CHECK_LEVEL=20 (persistent put and get)" monitor "${mon[@]}" OCF_CHECK_LEVEL=20
        expect_rc 0 "stop" stop
        expect_rc 7 "monitor after stop" monitor "${mon[@]}"
        check "no process of the queue manager left after stop" no_exe_pids "$mq/"
    else
        bad "could not make the simulated installation: $(tail -3 "$scratch/sim.log")"
    fi
    sim_cleanup
fi

# --- rpm installs, verifies and erases it (in a scratch root: --nodeps, Debian has no RHEL rpmdb) -----
inst_root=$scratch/instroot
mkdir -p "$inst_root"
rc=0
rpm --root "$inst_root" --nodeps -i "$bin_rpm" >"$scratch/install.log" 2>&1 || rc=$?
check "rpm -i into a scratch root (exit $rc)" test "$rc" = 0
check "installed agent answers under its OCF path" \
    bash -c '"$1/usr/lib/ocf/resource.d/mqha/ibmmq-trigger" meta-data | grep -q "<resource-agent name=\"ibmmq-trigger\""' _ "$inst_root"
check "rpm -V finds the installed files intact" rpm --root "$inst_root" --nodeps -V mqha
rc=0
rpm --root "$inst_root" --nodeps -e mqha >>"$scratch/install.log" 2>&1 || rc=$?
check "rpm -e removes it, leaving no agent behind (exit $rc)" \
    bash -c '[ "$1" = 0 ] && [ ! -e "$2/usr/lib/ocf/resource.d/mqha" ]' _ "$rc" "$inst_root"

# --- the source RPM -----------------------------------------------------------------------------------
rpm -qlp "$src_rpm" | sort >"$scratch/src-files"
check "source RPM holds the spec and the source archive" \
    bash -c 'diff -q <(printf "mqha-%s.tar.gz\nmqha.spec\n" "$1") "$2" >/dev/null' _ "$version" "$scratch/src-files"
tarball=$root/target/rpm/mqha-$version.tar.gz
tar -tzf "$tarball" >"$scratch/tar-list"
check "source archive carries vendored crates and the cargo config that selects them" \
    bash -c 'grep -qx "mqha-$1/.cargo/config.toml" "$2" && grep -q "^mqha-$1/vendor/.*/Cargo.toml$" "$2"' _ "$version" "$scratch/tar-list"

if [ "${MQHA_RPM_SKIP_REBUILD:-0}" = 1 ]; then
    echo "skip source RPM rebuild without network (MQHA_RPM_SKIP_REBUILD=1)"
else
    # shellcheck source=rpm/zig-tools.sh
    . rpm/zig-tools.sh
    rb=$scratch/rebuild
    mkdir -p "$rb"
    t2=$(date +%s)
    rc=0
    # A new network namespace has no interface but a down loopback: any download fails.
    unshare --net -- rpmbuild --rebuild --nodeps --with zigbuild \
        --define "__brp_compress bash $(rpm --eval '%{_rpmconfigdir}')/brp-compress $(rpm --eval '%{_prefix}')" \
        --define "_topdir $rb" --define "_rpmdir $rb/out" \
        --define "_build_name_fmt %%{NAME}-%%{VERSION}-%%{RELEASE}.%%{ARCH}.rpm" \
        "$src_rpm" >"$scratch/rebuild.log" 2>&1 || rc=$?
    t3=$(date +%s)
    check "source RPM rebuilds with no network (unshare --net rpmbuild --rebuild) in $((t3 - t2)) s" test "$rc" = 0
    [ "$rc" = 0 ] || tail -30 "$scratch/rebuild.log"
    rebuilt=$rb/out/$(basename "$bin_rpm")
    check "the rebuilt package has the same files" \
        bash -c '[ -s "$1" ] && diff -q <(rpm -qlp "$1" | sort) "$2" >/dev/null' _ "$rebuilt" "$scratch/files"
fi

t4=$(date +%s)
echo "rpm stage: $((t4 - t0)) s"
summary
