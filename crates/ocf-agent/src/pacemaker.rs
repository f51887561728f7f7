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

/// This node and resource as Pacemaker named them for the action.
pub struct Pacemaker {
    /// OCF_RESKEY_CRM_meta_on_node, when Pacemaker gave it.
    node: Option<String>,
    /// The clone's primitive, without the instance number.
    resource: String,
}

impl Pacemaker {
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
        let value = score.map(|s| s.to_string());
        let promotion = format!("--promotion={}", self.resource);
        let mut args: Vec<&str> = vec![&promotion, "--lifetime=reboot"];
        match &value {
            Some(v) => args.extend(["--update", v.as_str()]),
            None => args.push("--delete"),
        }
        if let Some(n) = &self.node {
            args.extend(["--node", n.as_str()]);
        }
        let d = deadline.min(Instant::now() + Duration::from_secs(10));
        match runner().run(&bin, &args, None, d) {
            Ok(o) if o.rc == 0 => Ok(()),
            Ok(o) => Err(format!("crm_attribute {} exited {}: {}", args.join(" "), o.rc, o.explaining_line())),
            Err(e) => Err(format!("crm_attribute: {e}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attrd_query_parsed() {
        let out = "name=\"mqha-mq-ids-mqm\" host=\"node1\" value=\"1001:1001\"\nname=\"mqha-mq-ids-mqm\" host=\"node2\" value=\"1002:1001\"\n";
        let want = [("node1", "1001:1001"), ("node2", "1002:1001")].map(|(h, v)| (h.to_string(), v.to_string()));
        assert_eq!(parse_attrd_query(out), want);
    }
}
