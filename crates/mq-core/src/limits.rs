//! Resource limits of the programs the agent starts (strmqm and, through it, the whole queue
//! manager): no PAM session is opened for them, so without this they would inherit
//! pacemaker-execd's limits. Per limit the agent applies what the resource's `limits` parameter
//! sets, else the higher of the mq user's pam_limits values and IBM's documented minimum
//! (docs/reference/limits.md). The hard limit is raised as needed; the values are set with
//! setrlimit in the child before it drops to the mq user (`exec::Runner::with_limits`).
//!
//! Not for anything else: the limits of the agent itself are Pacemaker's business.

use std::path::{Path, PathBuf};

/// No limit (RLIM_INFINITY on Linux).
pub const UNLIMITED: u64 = libc::RLIM_INFINITY;

/// The limits the agent manages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Resource {
    Nofile,
    Nproc,
    Core,
    Stack,
}

impl Resource {
    pub const ALL: [Resource; 4] = [Resource::Nofile, Resource::Nproc, Resource::Core, Resource::Stack];

    /// The item's name in limits.conf and in the `limits` parameter.
    pub fn name(self) -> &'static str {
        match self {
            Resource::Nofile => "nofile",
            Resource::Nproc => "nproc",
            Resource::Core => "core",
            Resource::Stack => "stack",
        }
    }

    pub fn from_name(s: &str) -> Option<Resource> {
        Resource::ALL.into_iter().find(|r| r.name() == s)
    }

    /// limits.conf gives core and stack in KiB (limits.conf(5)); the kernel counts bytes.
    fn scale(self) -> u64 {
        match self {
            Resource::Core | Resource::Stack => 1024,
            Resource::Nofile | Resource::Nproc => 1,
        }
    }

    /// IBM's documented minimum for the mq user (docs/reference/limits.md#ibm-minimums), in
    /// kernel units; None where IBM documents none.
    pub fn ibm_minimum(self) -> Option<u64> {
        match self {
            Resource::Nofile => Some(10240),
            Resource::Nproc => Some(4096),
            Resource::Core | Resource::Stack => None,
        }
    }

    /// The line of /proc/PID/limits that shows this limit.
    fn proc_label(self) -> &'static str {
        match self {
            Resource::Nofile => "Max open files",
            Resource::Nproc => "Max processes",
            Resource::Core => "Max core file size",
            Resource::Stack => "Max stack size",
        }
    }

    pub(crate) fn raw(self) -> libc::__rlimit_resource_t {
        match self {
            Resource::Nofile => libc::RLIMIT_NOFILE,
            Resource::Nproc => libc::RLIMIT_NPROC,
            Resource::Core => libc::RLIMIT_CORE,
            Resource::Stack => libc::RLIMIT_STACK,
        }
    }
}

/// A soft and a hard limit, in kernel units (bytes for core and stack).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rlimit {
    pub soft: u64,
    pub hard: u64,
}

/// A value in kernel units as an administrator reads it: "unlimited" or the number.
pub fn show(v: u64) -> String {
    if v == UNLIMITED {
        "unlimited".to_string()
    } else {
        v.to_string()
    }
}

/// What the `limits` parameter sets for one limit: the soft value and, optionally, the hard one
/// (else the hard limit is raised to the soft one when it is lower), in kernel units.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Setting {
    pub soft: u64,
    pub hard: Option<u64>,
}

/// The rule of the `limits` parameter, for its description.
pub const SETTINGS_RULE: &str = "Space-separated ITEM=VALUE words, ITEM one of nofile, nproc, core, stack \
(each at most once), VALUE a number, unlimited, or SOFT:HARD with HARD not below SOFT; core and stack in KiB \
as in limits.conf.";

fn parse_value(text: &str, r: Resource) -> Option<u64> {
    match text {
        "unlimited" | "infinity" => Some(UNLIMITED),
        _ if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) => {
            let v: u64 = text.parse().ok()?;
            v.checked_mul(r.scale()).filter(|v| *v < UNLIMITED)
        }
        _ => None,
    }
}

/// Parses the `limits` parameter; the error names the word at fault.
pub fn parse_settings(text: &str) -> Result<Vec<(Resource, Setting)>, String> {
    let mut out: Vec<(Resource, Setting)> = Vec::new();
    for word in text.split_whitespace() {
        let (item, value) = word.split_once('=').ok_or_else(|| format!("has '{word}', which is not ITEM=VALUE"))?;
        let r = Resource::from_name(item)
            .ok_or_else(|| format!("has '{word}': '{item}' is not one of nofile, nproc, core, stack"))?;
        if out.iter().any(|(o, _)| *o == r) {
            return Err(format!("sets {item} twice"));
        }
        let bad = || format!("has '{word}': the value must be a number, unlimited or SOFT:HARD");
        let setting = match value.split_once(':') {
            Some((s, h)) => {
                let (soft, hard) = (parse_value(s, r).ok_or_else(bad)?, parse_value(h, r).ok_or_else(bad)?);
                if hard < soft {
                    return Err(format!("has '{word}': the hard limit {h} is below the soft limit {s}"));
                }
                Setting { soft, hard: Some(hard) }
            }
            None => Setting { soft: parse_value(value, r).ok_or_else(bad)?, hard: None },
        };
        out.push((r, setting));
    }
    Ok(out)
}

/// The parameter's check, for the agent's table.
pub fn check_settings(text: &str) -> Result<(), String> {
    parse_settings(text).map(|_| ())
}

/// Who pam_limits would be setting limits for: the mq user's name, ids and group names.
pub struct PamUser<'a> {
    pub name: &'a str,
    pub uid: u32,
    pub gid: u32,
    /// Whether the user is a member of the named group (primary or supplementary).
    pub in_group: &'a dyn Fn(&str) -> bool,
    /// Whether gid is one of the user's groups (primary or supplementary).
    pub has_gid: &'a dyn Fn(u32) -> bool,
}

/// What limits.conf and limits.d give the user for one limit (None: left as inherited).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PamValue {
    pub soft: Option<u64>,
    pub hard: Option<u64>,
}

/// pam_limits' precedence of a domain (pam_limits.c): lower wins, an equal one read later
/// replaces the earlier value; None when the line is not for this user.
fn domain_rank(domain: &str, u: &PamUser) -> Option<u8> {
    let range = |s: &str| -> Option<(Option<u32>, Option<u32>)> {
        let (a, b) = s.split_once(':')?;
        let num = |t: &str| if t.is_empty() { Some(None) } else { t.parse().ok().map(Some) };
        Some((num(a)?, num(b)?))
    };
    let within = |v: u32, (lo, hi): (Option<u32>, Option<u32>)| match (lo, hi) {
        (None, Some(h)) => v == h,
        (Some(l), None) => v >= l,
        (Some(l), Some(h)) => v >= l && v <= h,
        (None, None) => false,
    };
    if domain == "*" {
        return Some(4);
    }
    if let Some(g) = domain.strip_prefix('@') {
        if let Some(r) = range(g) {
            // An exact gid looks at every group; a range at the primary group only (limits.conf(5)).
            let hit = match r {
                (None, Some(h)) => (u.has_gid)(h),
                _ => within(u.gid, r),
            };
            return hit.then_some(2);
        }
        return (u.in_group)(g).then_some(1);
    }
    if domain.starts_with('%') {
        return None; // maxlogins only
    }
    if let Some(r) = range(domain) {
        return within(u.uid, r).then_some(3);
    }
    (domain == u.name).then_some(0)
}

/// What pam_limits would set for `u` from the files' text, in the order pam_limits reads them
/// (limits.conf, then limits.d/*.conf sorted); `None` when a matching line `DOMAIN -` with no
/// item tells pam_limits to set no limits for the user at all.
pub fn pam_values(files: &[(PathBuf, String)], u: &PamUser) -> Option<[PamValue; 4]> {
    let mut vals = [PamValue::default(); 4];
    let mut rank = [(u8::MAX, u8::MAX); 4];
    for (_, text) in files {
        for line in text.lines() {
            let line = line.split('#').next().unwrap_or("");
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() == 2 && f[1] == "-" && domain_rank(f[0], u).is_some() {
                return None;
            }
            if f.len() != 4 {
                continue;
            }
            let (Some(r), Some(rk)) = (Resource::from_name(f[2]), domain_rank(f[0], u)) else { continue };
            let v = match f[3] {
                "unlimited" | "infinity" | "-1" => UNLIMITED,
                n => match n.parse::<u64>() {
                    Ok(v) if r.scale() == 1 => v,
                    Ok(v) => v.checked_mul(r.scale()).filter(|v| *v < UNLIMITED).unwrap_or(UNLIMITED),
                    Err(_) => continue, // pam_limits logs and skips a bad value
                },
            };
            let i = r as usize;
            let (soft, hard) = match f[1] {
                "soft" => (true, false),
                "hard" => (false, true),
                "-" => (true, true),
                _ => continue,
            };
            if soft && rk <= rank[i].0 {
                rank[i].0 = rk;
                vals[i].soft = Some(v);
            }
            if hard && rk <= rank[i].1 {
                rank[i].1 = rk;
                vals[i].hard = Some(v);
            }
        }
    }
    Some(vals)
}

/// The files pam_limits reads under `dir` (normally /etc/security), in its order: limits.conf,
/// then limits.d/*.conf in byte order. Root-owned configuration: a file that cannot be read is
/// passed over with its reason in the second list.
pub fn read_pam_files(dir: &Path) -> (Vec<(PathBuf, String)>, Vec<String>) {
    let mut paths = vec![dir.join("limits.conf")];
    let mut d: Vec<PathBuf> = std::fs::read_dir(dir.join("limits.d"))
        .map(|rd| {
            rd.flatten()
                .map(|e| e.path())
                .filter(|p| p.file_name().is_some_and(|n| n.as_encoded_bytes().ends_with(b".conf")))
                .collect()
        })
        .unwrap_or_default();
    d.sort();
    paths.extend(d);
    let (mut files, mut problems) = (Vec::new(), Vec::new());
    for p in paths {
        // pam_limits follows symbolic links here (root's own directory); the read is still bounded.
        let target = match std::fs::canonicalize(&p) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                problems.push(format!("{}: {e}", p.display()));
                continue;
            }
        };
        match crate::fsread::read_capped(&target, 256 * 1024).and_then(crate::fsread::utf8) {
            Ok(t) => files.push((p, t)),
            Err(e) => problems.push(format!("{} {e}; passed over", p.display())),
        }
    }
    (files, problems)
}

/// Where a planned value came from, for the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Source {
    Parameter,
    Pam,
    IbmMinimum,
    Inherited,
}

impl Source {
    fn word(self) -> &'static str {
        match self {
            Source::Parameter => "limits parameter",
            Source::Pam => "limits.conf",
            Source::IbmMinimum => "IBM minimum",
            Source::Inherited => "inherited",
        }
    }
}

/// One limit as the agent will set it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Planned {
    pub resource: Resource,
    pub limit: Rlimit,
    pub source: Source,
}

impl Planned {
    /// `nofile=10240:10240 (IBM minimum)`.
    pub fn describe(&self) -> String {
        format!("{}={}:{} ({})", self.resource.name(), show(self.limit.soft), show(self.limit.hard), self.source.word())
    }
}

/// Decides one limit: the parameter's value when it sets one; else the higher of pam_limits'
/// value (or the inherited one) and IBM's minimum; the hard limit never below the soft one.
/// `ceiling` caps both (the kernel refuses nofile above fs.nr_open, even to root).
pub fn plan(r: Resource, current: Rlimit, pam: PamValue, set: Option<Setting>, ceiling: u64) -> Planned {
    let (soft, hard, source) = match set {
        Some(s) => (s.soft, s.hard.unwrap_or(current.hard).max(s.soft), Source::Parameter),
        None => {
            let base = pam.soft.unwrap_or(current.soft);
            let base_hard = pam.hard.unwrap_or(current.hard);
            let min = r.ibm_minimum().unwrap_or(0);
            let source = if min > base {
                Source::IbmMinimum
            } else if pam.soft.is_some() || pam.hard.is_some() {
                Source::Pam
            } else {
                Source::Inherited
            };
            let soft = base.max(min);
            (soft, base_hard.max(soft), source)
        }
    };
    Planned { resource: r, limit: Rlimit { soft: soft.min(ceiling), hard: hard.min(ceiling) }, source }
}

/// This process's limit `r`.
pub fn current(r: Resource) -> Rlimit {
    let mut rl = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes the struct we pass.
    unsafe { libc::getrlimit(r.raw(), &mut rl) };
    Rlimit { soft: rl.rlim_cur, hard: rl.rlim_max }
}

/// The kernel's ceiling of `r` for setrlimit: fs.nr_open for nofile, none for the others.
pub fn ceiling(r: Resource) -> u64 {
    if r != Resource::Nofile {
        return UNLIMITED;
    }
    std::fs::read_to_string("/proc/sys/fs/nr_open").ok().and_then(|s| s.trim().parse().ok()).unwrap_or(1024 * 1024)
}

/// Where pam_limits reads its files.
pub const PAM_DIR: &str = "/etc/security";

/// What pam_limits' files under `pam_dir` give `user`, and the files it could not read. A group
/// named by an `@group` line is looked up (NSS, bounded like every lookup of `user.rs`); one that
/// cannot be looked up counts as not the user's.
pub fn pam_for(user: &crate::user::MqUser, pam_dir: &Path) -> (Option<[PamValue; 4]>, Vec<String>) {
    let (files, problems) = read_pam_files(pam_dir);
    let in_group = |g: &str| crate::user::group_gid(g).is_ok_and(|gid| user.is_member_of(gid));
    let has_gid = |gid: u32| user.is_member_of(gid);
    let u = PamUser { name: &user.name, uid: user.uid, gid: user.gid, in_group: &in_group, has_gid: &has_gid };
    (pam_values(&files, &u), problems)
}

/// Whether this process may raise a hard limit: CAP_SYS_RESOURCE in its effective set (root
/// normally has it; a container may not).
pub fn can_raise_hard() -> bool {
    const CAP_SYS_RESOURCE: u32 = 24;
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            let hex = s.lines().find_map(|l| l.strip_prefix("CapEff:"))?.trim().to_string();
            u64::from_str_radix(&hex, 16).ok()
        })
        .is_some_and(|caps| caps & (1 << CAP_SYS_RESOURCE) != 0)
}

/// Plans every limit: `settings` from the parameter, `pam` from pam_limits' files. Without
/// CAP_SYS_RESOURCE no hard limit can be raised: it is kept, the soft one capped by it, and the
/// second list says which planned values were cut.
pub fn plan_all(settings: &[(Resource, Setting)], pam: Option<[PamValue; 4]>) -> (Vec<Planned>, Vec<String>) {
    let raise = can_raise_hard();
    let mut cut = Vec::new();
    let planned = Resource::ALL
        .into_iter()
        .map(|r| {
            let cur = current(r);
            let set = settings.iter().find(|(s, _)| *s == r).map(|(_, s)| *s);
            let p = pam.map(|v| v[r as usize]).unwrap_or_default();
            let mut planned = plan(r, cur, p, set, ceiling(r));
            if !raise && planned.limit.hard > cur.hard {
                cut.push(format!(
                    "cannot raise the hard {} limit to {} (no CAP_SYS_RESOURCE): {} it stays",
                    r.name(),
                    show(planned.limit.hard),
                    show(cur.hard)
                ));
                planned.limit.hard = cur.hard;
                planned.limit.soft = planned.limit.soft.min(cur.hard);
            }
            planned
        })
        .collect();
    (planned, cut)
}

/// Limit `r` of a process from the text of its /proc/PID/limits.
pub fn from_proc_limits(text: &str, r: Resource) -> Option<Rlimit> {
    let line = text.lines().find(|l| l.starts_with(r.proc_label()))?;
    let mut f = line[r.proc_label().len()..].split_whitespace();
    let val = |s: &str| if s == "unlimited" { Some(UNLIMITED) } else { s.parse().ok() };
    Some(Rlimit { soft: val(f.next()?)?, hard: val(f.next()?)? })
}

/// The limits of `text` (a /proc/PID/limits) below IBM's minimum, as sentences naming the value
/// and the minimum.
pub fn below_minimum(text: &str) -> Vec<String> {
    Resource::ALL
        .into_iter()
        .filter_map(|r| {
            let min = r.ibm_minimum()?;
            let l = from_proc_limits(text, r)?;
            (l.soft < min).then(|| format!("{} {} (soft), IBM's minimum is {min}", r.name(), show(l.soft)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user<'a>(groups: &'a [&'a str]) -> PamUser<'a> {
        // Leaked closures keep the test short; the test process ends soon.
        let g: &'a [&'a str] = groups;
        let in_group: &'a dyn Fn(&str) -> bool = Box::leak(Box::new(move |n: &str| g.contains(&n)));
        let has_gid: &'a dyn Fn(u32) -> bool = Box::leak(Box::new(|gid: u32| gid == 1001 || gid == 2000));
        PamUser { name: "mqm", uid: 1001, gid: 1001, in_group, has_gid }
    }

    fn files(texts: &[&str]) -> Vec<(PathBuf, String)> {
        texts.iter().enumerate().map(|(i, t)| (PathBuf::from(format!("f{i}")), t.to_string())).collect()
    }

    fn nofile(v: &[PamValue; 4]) -> (Option<u64>, Option<u64>) {
        (v[0].soft, v[0].hard)
    }

    #[test]
    fn a_user_line_beats_a_group_line_beats_the_wildcard_whatever_the_order() {
        let u = user(&["mqm"]);
        let v = pam_values(&files(&["mqm soft nofile 20000\n@mqm soft nofile 30000\n* - nofile 40000\n"]), &u).unwrap();
        assert_eq!(nofile(&v), (Some(20000), Some(40000)));
        let v = pam_values(&files(&["* - nofile 40000\n@mqm hard nofile 30000\n"]), &u).unwrap();
        assert_eq!(nofile(&v), (Some(40000), Some(30000)));
    }

    #[test]
    fn a_later_line_of_the_same_kind_replaces_an_earlier_one_across_files() {
        let u = user(&["mqm"]);
        let v =
            pam_values(&files(&["mqm - nofile 20000\n", "# limits.d\nmqm soft nofile 25000 # tuned\n"]), &u).unwrap();
        assert_eq!(nofile(&v), (Some(25000), Some(20000)));
    }

    #[test]
    fn lines_for_others_bad_values_and_percent_are_ignored() {
        let u = user(&["mqm"]);
        let text = "root - nofile 1\nmqm2 - nofile 2\n@other - nofile 3\n% - nofile 4\nmqm - nofile lots\n\
                    mqm - nofile\n1000:1000 - nproc 5\n1001: soft nproc 6\n@:2000 hard nproc 7\n@2001: hard nproc 8\n";
        let v = pam_values(&files(&[text]), &u).unwrap();
        assert_eq!(nofile(&v), (None, None));
        assert_eq!((v[1].soft, v[1].hard), (Some(6), Some(7)));
    }

    #[test]
    fn unlimited_infinity_and_kib_units() {
        let u = user(&[]);
        let v =
            pam_values(&files(&["* - core unlimited\n* soft stack 8192\n* hard stack infinity\n* - nproc -1\n"]), &u)
                .unwrap();
        assert_eq!((v[2].soft, v[2].hard), (Some(UNLIMITED), Some(UNLIMITED)));
        assert_eq!((v[3].soft, v[3].hard), (Some(8192 * 1024), Some(UNLIMITED)));
        assert_eq!(v[1].soft, Some(UNLIMITED));
    }

    #[test]
    fn a_bare_dash_line_means_no_limits_from_the_files() {
        let u = user(&["mqm"]);
        assert_eq!(pam_values(&files(&["mqm - nofile 20000\n@mqm -\n"]), &u), None);
        assert!(pam_values(&files(&["@other -\n"]), &u).is_some());
    }

    #[test]
    fn the_plan_takes_the_higher_of_pam_and_ibm_and_raises_the_hard_limit() {
        let cur = Rlimit { soft: 1024, hard: 4096 };
        let none = PamValue::default();
        let p = plan(Resource::Nofile, cur, none, None, UNLIMITED);
        assert_eq!((p.limit, p.source), (Rlimit { soft: 10240, hard: 10240 }, Source::IbmMinimum));
        let pam = PamValue { soft: Some(65536), hard: Some(65536) };
        let p = plan(Resource::Nofile, cur, pam, None, UNLIMITED);
        assert_eq!((p.limit, p.source), (Rlimit { soft: 65536, hard: 65536 }, Source::Pam));
        let p = plan(Resource::Nofile, cur, pam, None, 50000);
        assert_eq!(p.limit, Rlimit { soft: 50000, hard: 50000 });
        let p = plan(Resource::Core, Rlimit { soft: 0, hard: UNLIMITED }, none, None, UNLIMITED);
        assert_eq!((p.limit, p.source), (Rlimit { soft: 0, hard: UNLIMITED }, Source::Inherited));
        // The parameter wins, even below IBM's minimum.
        let set = Setting { soft: 2048, hard: None };
        let p = plan(Resource::Nofile, cur, pam, Some(set), UNLIMITED);
        assert_eq!((p.limit, p.source), (Rlimit { soft: 2048, hard: 4096 }, Source::Parameter));
        let set = Setting { soft: 8000, hard: Some(9000) };
        assert_eq!(plan(Resource::Nproc, cur, pam, Some(set), UNLIMITED).limit, Rlimit { soft: 8000, hard: 9000 });
    }

    #[test]
    fn the_parameter_is_checked_word_by_word() {
        assert_eq!(
            parse_settings("nofile=65536 nproc=4096:8192 core=unlimited stack=16384").unwrap(),
            vec![
                (Resource::Nofile, Setting { soft: 65536, hard: None }),
                (Resource::Nproc, Setting { soft: 4096, hard: Some(8192) }),
                (Resource::Core, Setting { soft: UNLIMITED, hard: None }),
                (Resource::Stack, Setting { soft: 16384 * 1024, hard: None }),
            ]
        );
        assert_eq!(parse_settings("").unwrap(), vec![]);
        for (bad, why) in [
            ("nofile", "has 'nofile', which is not ITEM=VALUE"),
            ("files=10", "'files' is not one of"),
            ("nofile=lots", "has 'nofile=lots': the value must be"),
            ("nofile=-1", "has 'nofile=-1'"),
            ("nofile=10:5", "the hard limit 5 is below the soft limit 10"),
            ("nofile=10 nofile=20", "sets nofile twice"),
            ("stack=99999999999999999999", "has 'stack=9"),
        ] {
            let e = parse_settings(bad).unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
    }

    #[test]
    fn proc_limits_are_read_by_label() {
        let text = "Limit                     Soft Limit           Hard Limit           Units     \n\
Max cpu time              unlimited            unlimited            seconds   \n\
Max stack size            8388608              unlimited            bytes     \n\
Max core file size        0                    unlimited            bytes     \n\
Max processes             4096                 4096                 processes \n\
Max open files            1024                 524288               files     \n";
        assert_eq!(from_proc_limits(text, Resource::Nofile), Some(Rlimit { soft: 1024, hard: 524288 }));
        assert_eq!(from_proc_limits(text, Resource::Stack), Some(Rlimit { soft: 8388608, hard: UNLIMITED }));
        assert_eq!(below_minimum(text), vec!["nofile 1024 (soft), IBM's minimum is 10240".to_string()]);
        assert_eq!(from_proc_limits("garbage", Resource::Nofile), None);
    }

    #[test]
    fn pam_files_are_read_in_pam_limits_order() {
        let d = tempfile::tempdir().unwrap();
        std::fs::write(d.path().join("limits.conf"), "mqm - nofile 1\n").unwrap();
        std::fs::create_dir(d.path().join("limits.d")).unwrap();
        std::fs::write(d.path().join("limits.d/90-b.conf"), "mqm - nofile 3\n").unwrap();
        std::fs::write(d.path().join("limits.d/10-a.conf"), "mqm - nofile 2\n").unwrap();
        std::fs::write(d.path().join("limits.d/99-c.conf.rpmsave"), "mqm - nofile 4\n").unwrap();
        let (f, problems) = read_pam_files(d.path());
        assert!(problems.is_empty(), "{problems:?}");
        let names: Vec<_> = f.iter().map(|(p, _)| p.file_name().unwrap().to_string_lossy().into_owned()).collect();
        assert_eq!(names, ["limits.conf", "10-a.conf", "90-b.conf"]);
        assert_eq!(nofile(&pam_values(&f, &user(&[])).unwrap()), (Some(3), Some(3)));
    }
}
