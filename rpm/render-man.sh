#!/usr/bin/env bash
# Writes the man pages ocf_mqha_<agent>.7 of every agent name the ibmmq binary answers to, from
# the meta-data each name prints, through ocf-metadata-to-man.xsl (as resource-agents does).
# Used by the spec's %build; runnable by hand:  rpm/render-man.sh target/release/ibmmq OUTDIR [VERSION]
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
agents=(ibmmq ibmmq-listener ibmmq-trigger)
provider=mqha

if [ $# -lt 2 ] || [ $# -gt 3 ]; then
    echo "usage: $0 AGENT_BINARY OUTDIR [VERSION]" >&2
    exit 2
fi
bin=$1
out=$2
version=${3:-}
if [ ! -x "$bin" ]; then
    echo "render-man.sh: agent binary '$bin' is missing or not executable" >&2
    exit 1
fi
command -v xsltproc >/dev/null || { echo "render-man.sh: xsltproc not found (Debian: xsltproc, RHEL: libxslt)" >&2; exit 1; }
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")

# The page date follows SOURCE_DATE_EPOCH (set by rpmbuild from the changelog) so rebuilds match.
date=$(date -u -d "@${SOURCE_DATE_EPOCH:-$(date +%s)}" +%Y-%m-%d)

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"
for a in "${agents[@]}"; do
    # The binary picks its agent from the name it is called by, as it will under resource.d.
    ln -s "$bin" "$work/$a"
    # meta-data must not depend on the environment (pcs runs it with a bare one): give it none.
    rc=0
    env -i PATH=/usr/bin:/bin "$work/$a" meta-data >"$work/$a.xml" || rc=$?
    if [ "$rc" != 0 ]; then
        echo "render-man.sh: '$a meta-data' failed (exit $rc)" >&2
        exit 1
    fi
    if [ ! -s "$work/$a.xml" ]; then
        echo "render-man.sh: '$a meta-data' printed nothing" >&2
        exit 1
    fi
    name=$(xsltproc --nonet --novalid - "$work/$a.xml" <<'XSL'
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
<xsl:output method="text"/><xsl:template match="/"><xsl:value-of select="/resource-agent/@name"/></xsl:template>
</xsl:stylesheet>
XSL
)
    if [ "$name" != "$a" ]; then
        echo "render-man.sh: called as '$a', the agent's meta-data names itself '$name'" >&2
        exit 1
    fi
    xsltproc --nonet --novalid \
        --stringparam provider "$provider" \
        --stringparam package "$provider${version:+ $version}" \
        --stringparam date "$date" \
        --stringparam siblings "${agents[*]}" \
        "$here/ocf-metadata-to-man.xsl" "$work/$a.xml" >"$out/ocf_${provider}_$a.7"
done
