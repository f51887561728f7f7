//! Pacemaker's side of mq-core's cluster traits: node attributes through attrd_updater (kept by
//! the attribute daemons, not written to the CIB) and promotion scores through crm_attribute.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use mq_core::cluster::{NodeAttributes, PromotionScores};
use mq_core::exec::Runner;

use crate::ocf::Env;

/// One of Pacemaker's tools, wherever the distribution put it.
fn tool(name: &str) -> Option<PathBuf> {
    ["/usr/sbin", "/usr/bin"].iter().map(|d| Path::new(d).join(name)).find(|p| p.is_file())
}

/// Pacemaker's tools run as root in a cleared environment, so the node and resource are named.
fn runner() -> Runner {
    Runner::new(Path::new("/usr/sbin"), None)
}

/// crm_resource for the crash watcher: the first one in `path` (the agent's PATH, as
/// pacemaker-execd gives it), else in /usr/sbin or /usr/bin, that only root can change: a regular
/// file owned by root, in a directory owned by root, neither writable by group or others. A
/// candidate anyone else could replace is passed over (the watcher runs it as hacluster).
pub fn crm_resource(path: Option<&std::ffi::OsStr>) -> Result<PathBuf, String> {
    let dirs: Vec<PathBuf> = path
        .map(|p| std::env::split_paths(p).filter(|d| d.is_absolute()).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/bin")])
        .collect();
    let mut passed = Vec::new();
    for d in dirs {
        let bin = d.join("crm_resource");
        let Ok(md) = std::fs::symlink_metadata(&bin) else { continue };
        match only_root_changes(&bin).and_then(|()| only_root_changes(&d)) {
            Ok(()) if md.is_file() => return Ok(bin),
            Ok(()) => passed.push(format!("{} is not a regular file", bin.display())),
            Err(why) => passed.push(why),
        }
    }
    Err(if passed.is_empty() {
        "crm_resource not found (PATH, /usr/sbin, /usr/bin)".into()
    } else {
        format!("no crm_resource that only root can change: {}", passed.join("; "))
    })
}

/// Whether `p` (not followed) is owned by root and not writable by group or others.
fn only_root_changes(p: &Path) -> Result<(), String> {
    use std::os::unix::fs::MetadataExt;
    let md = std::fs::symlink_metadata(p).map_err(|e| format!("{}: {e}", p.display()))?;
    if md.uid() != 0 || md.mode() & 0o022 != 0 {
        return Err(format!("{} is owned by uid {} with mode {:o}", p.display(), md.uid(), md.mode() & 0o7777));
    }
    Ok(())
}

/// The arguments of crm_resource that tell the controller `resource` failed on `node`: it records
/// a failed operation and recovers the resource as after a failed monitor. The same options in
/// Pacemaker 2.0 and 2.1 (docs/reference/pacemaker-ocf.md#crm-resource-fail); `resource` is
/// OCF_RESOURCE_INSTANCE as given, a clone instance with its suffix (crm_resource takes only a
/// primitive).
pub fn fail_args(resource: &str, node: &str) -> Vec<String> {
    ["--fail", "--resource", resource, "--node", node].map(str::to_string).to_vec()
}

/// This node and resource as Pacemaker named them for the action.
pub struct Pacemaker {
    /// OCF_RESKEY_CRM_meta_on_node, when Pacemaker gave it.
    node: Option<String>,
    /// The clone's primitive, without the instance number.
    resource: String,
}

impl Pacemaker {
    /// This node, outside any action (`ibmmq check`): its host name, no resource.
    pub fn this_node() -> Pacemaker {
        Pacemaker { node: None, resource: String::new() }
    }

    pub fn from_env(env: &Env) -> Pacemaker {
        Pacemaker {
            node: std::env::var("OCF_RESKEY_CRM_meta_on_node").ok().filter(|n| !n.is_empty()),
            resource: env.instance.split(':').next().unwrap_or_default().to_string(),
        }
    }
}

/// (host, value) pairs of `attrd_updater -Q -A -n NAME` output lines such as
/// `name="mqha-mq-ids-mqm" host="node1" value="1001:1001"`.
pub fn parse_attrd_query(out: &str) -> Vec<(String, String)> {
    let field = |l: &str, key: &str| -> Option<String> {
        let start = l.find(&format!("{key}=\""))? + key.len() + 2;
        let end = l[start..].find('"')? + start;
        Some(l[start..end].to_string())
    };
    out.lines().filter_map(|l| Some((field(l, "host")?, field(l, "value")?))).collect()
}

impl NodeAttributes for Pacemaker {
    fn node(&self) -> String {
        self.node
            .clone()
            .unwrap_or_else(|| nix::unistd::gethostname().map(|h| h.to_string_lossy().into_owned()).unwrap_or_default())
    }

    fn publish(&self, name: &str, value: &str, deadline: Instant) -> Result<(), String> {
        let bin = tool("attrd_updater").ok_or("attrd_updater not installed")?;
        // -p: kept by the attribute daemons only, not written to the CIB.
        match runner().run(&bin, &["-n", name, "-U", value, "-p"], None, deadline) {
            Ok(o) if o.rc == 0 => Ok(()),
            Ok(o) => {
                Err(format!("attrd_updater -U exited {} ({}): Pacemaker not running here?", o.rc, o.explaining_line()))
            }
            Err(e) => Err(format!("attrd_updater: {e}")),
        }
    }

    fn read_all(&self, name: &str, deadline: Instant) -> Result<Vec<(String, String)>, String> {
        let bin = tool("attrd_updater").ok_or("attrd_updater not installed")?;
        match runner().run(&bin, &["-n", name, "-Q", "-A"], None, deadline) {
            Ok(o) if o.rc == 0 => Ok(parse_attrd_query(&o.stdout)),
            Ok(o) => Err(format!("attrd_updater -Q exited {} ({})", o.rc, o.explaining_line())),
            Err(e) => Err(format!("attrd_updater: {e}")),
        }
    }
}

impl PromotionScores for Pacemaker {
    fn set(&self, score: Option<u32>, deadline: Instant) -> Result<(), String> {
        let bin = tool("crm_attribute").ok_or("crm_attribute not found: cannot set the promotion score")?;
        if self.resource.is_empty() {
            return Err("OCF_RESOURCE_INSTANCE is not set: cannot set the promotion score".into());
        }
        let d = deadline.min(Instant::now() + Duration::from_secs(10));
        let run = |style| {
            let args = promotion_args(style, &self.resource, score, self.node.as_deref());
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            (runner().run(&bin, &argv, None, d), args)
        };
        let (mut result, mut args) = run(ScoreOption::Promotion);
        if matches!(&result, Ok(o) if promotion_option_unknown(o.rc, &o.stderr)) {
            // Pacemaker 2.0: crm_attribute has no --promotion yet; the same node attribute by name.
            (result, args) = run(ScoreOption::Name);
        }
        match result {
            Ok(o) if o.rc == 0 => Ok(()),
            Ok(o) => Err(format!("crm_attribute {} exited {}: {}", args.join(" "), o.rc, o.explaining_line())),
            Err(e) => Err(format!("crm_attribute: {e}")),
        }
    }
}

/// How a promotion score is named to crm_attribute.
#[derive(Clone, Copy, Debug)]
enum ScoreOption {
    /// `--promotion=RSC` (Pacemaker 2.1 and later), which names the node attribute `master-RSC`.
    Promotion,
    /// `--name master-RSC`: the same attribute for Pacemaker 2.0, whose crm_attribute lacks
    /// `--promotion` (its crm_master wrapper did this).
    Name,
}

/// The arguments of crm_attribute that set (Some) or delete (None) this node's promotion score,
/// kept until the node reboots.
fn promotion_args(style: ScoreOption, resource: &str, score: Option<u32>, node: Option<&str>) -> Vec<String> {
    let mut args = match style {
        ScoreOption::Promotion => vec![format!("--promotion={resource}")],
        ScoreOption::Name => vec!["--name".to_string(), format!("master-{resource}")],
    };
    args.push("--lifetime=reboot".into());
    match score {
        Some(v) => args.extend(["--update".to_string(), v.to_string()]),
        None => args.push("--delete".into()),
    }
    if let Some(n) = node {
        args.extend(["--node".to_string(), n.to_string()]);
    }
    args
}

/// Whether crm_attribute refused `--promotion` as an option it does not know (a usage error,
/// exit 64 = CRM_EX_USAGE, naming the option), rather than failing to set the score.
fn promotion_option_unknown(rc: i32, stderr: &str) -> bool {
    rc == 64 && stderr.contains("promotion")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn promotion_scores_name_the_same_attribute_on_pacemaker_2_1_and_2_0() {
        assert_eq!(
            promotion_args(ScoreOption::Promotion, "qm1", Some(10), Some("node1")),
            ["--promotion=qm1", "--lifetime=reboot", "--update", "10", "--node", "node1"]
        );
        assert_eq!(
            promotion_args(ScoreOption::Name, "qm1", None, None),
            ["--name", "master-qm1", "--lifetime=reboot", "--delete"]
        );
    }

    #[test]
    fn only_a_usage_error_about_promotion_falls_back() {
        assert!(promotion_option_unknown(64, "crm_attribute: unrecognized option '--promotion=qm1'\n"));
        assert!(!promotion_option_unknown(64, "crm_attribute: option '--node' requires an argument\n"));
        assert!(!promotion_option_unknown(105, "Could not connect to the CIB: promotion failed"));
        assert!(!promotion_option_unknown(0, ""));
    }

    #[test]
    fn the_fail_request_names_the_instance_and_the_node() {
        assert_eq!(fail_args("qm1:0", "node1"), ["--fail", "--resource", "qm1:0", "--node", "node1"]);
    }

    #[test]
    fn only_a_crm_resource_that_root_alone_can_change_is_used() {
        use std::os::unix::fs::PermissionsExt;
        if !nix::unistd::geteuid().is_root() {
            return;
        }
        let base = tempfile::tempdir().unwrap();
        let (open, closed) = (base.path().join("open"), base.path().join("closed"));
        for d in [&open, &closed] {
            std::fs::create_dir(d).unwrap();
            std::fs::write(d.join("crm_resource"), "#!/bin/sh\n").unwrap();
            std::fs::set_permissions(d.join("crm_resource"), std::fs::Permissions::from_mode(0o755)).unwrap();
        }
        std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
        std::fs::set_permissions(&closed, std::fs::Permissions::from_mode(0o755)).unwrap();
        let path = std::env::join_paths([Path::new("relative"), &open, &closed]).unwrap();
        assert_eq!(crm_resource(Some(&path)).unwrap(), closed.join("crm_resource"));
        std::fs::set_permissions(closed.join("crm_resource"), std::fs::Permissions::from_mode(0o775)).unwrap();
        let found = crm_resource(Some(&std::env::join_paths([&closed]).unwrap()));
        assert_ne!(found.as_deref().ok(), Some(closed.join("crm_resource").as_path()), "{found:?}");
    }

    #[test]
    fn attrd_query_parsed() {
        let out = "name=\"mqha-mq-ids-mqm\" host=\"node1\" value=\"1001:1001\"\nname=\"mqha-mq-ids-mqm\" host=\"node2\" value=\"1002:1001\"\n";
        let want = [("node1", "1001:1001"), ("node2", "1002:1001")].map(|(h, v)| (h.to_string(), v.to_string()));
        assert_eq!(parse_attrd_query(out), want);
    }
}
