# tests/cluster/man-examples.awk — the example commands of a man page rendered by
# rpm/ocf-metadata-to-man.xsl (its "EXAMPLE ..." sections), one command a line with the
# continuation lines joined, and an empty line after each example block (.nf ... .fi).
# A placeholder NAME=\fIvalue\fR becomes NAME=<value given in -v vals="NAME=V NAME=V">, or stays
# as it is (with its \fI) when vals does not name it, so that the caller can refuse it.
BEGIN {
    n = split(vals, kv, " ")
    for (i = 1; i <= n; i++) { eq = index(kv[i], "="); val[substr(kv[i], 1, eq - 1)] = substr(kv[i], eq + 1) }
}
/^\.SH / { ex = ($0 ~ /^\.SH "EXAMPLE /); next }
ex && /^\.nf/ { blk = 1; cmd = ""; next }
ex && /^\.fi/ { if (blk) print ""; blk = 0; next }
ex && blk && /^\./ { next }
ex && blk {
    line = $0
    cont = sub(/ \\e$/, "", line)
    sub(/^ +/, " ", line)
    out = ""
    while (match(line, /[A-Za-z_]+=\\fI[^\\]*\\fR/)) {
        word = substr(line, RSTART, RLENGTH)
        name = substr(word, 1, index(word, "=") - 1)
        if (name in val) word = name "=" val[name]
        out = out substr(line, 1, RSTART - 1) word
        line = substr(line, RSTART + RLENGTH)
    }
    cmd = cmd out line
    if (!cont) { print cmd; cmd = "" }
}
