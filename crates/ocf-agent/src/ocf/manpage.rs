//! Renders an agent's table as a man page (troff, section 7, named ocf_mqha_<agent>(7) as
//! resource-agents names its pages), so the page says exactly what the meta-data says.

use super::metadata::{param_longdesc, AGENT_VERSION};
use super::params::AgentSpec;

/// The OCF provider the agents are installed under.
pub const PROVIDER: &str = "mqha";

/// Escapes text for troff: backslashes, and a leading dot or quote that would start a request.
fn roff(s: &str) -> String {
    let s = s.replace('\\', "\\e").replace('-', "\\-");
    s.lines()
        .map(|l| {
            let l = l.trim();
            if l.starts_with('.') || l.starts_with('\'') {
                format!("\\&{l}")
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn render(spec: &AgentSpec) -> String {
    let page = format!("ocf_{PROVIDER}_{}", spec.name);
    let mut m = String::new();
    m.push_str(&format!(".TH {} 7 \"\" \"mqha {AGENT_VERSION}\" \"OCF resource agents\"\n", page.to_uppercase().replace('-', "\\-")));
    m.push_str(".SH NAME\n");
    m.push_str(&format!("{} \\- {}\n", roff(&page), roff(spec.shortdesc)));
    m.push_str(".SH SYNOPSIS\n");
    m.push_str(&format!(".B {}\n", roff(&format!("/usr/lib/ocf/resource.d/{PROVIDER}/{}", spec.name))));
    let names: Vec<&str> = spec.actions.iter().map(|a| a.name).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
    m.push_str(&format!("[{}]\n", roff(&names.join(" | "))));
    m.push_str(".SH DESCRIPTION\n");
    m.push_str(&roff(spec.longdesc.trim()));
    m.push('\n');
    m.push_str(".SH SUPPORTED PARAMETERS\n");
    for p in spec.params {
        m.push_str(".TP\n");
        let mut head = format!("\\fB{}\\fR", roff(p.name));
        let mut notes = vec![p.ty.ocf_type().to_string()];
        if let Some(d) = p.default {
            notes.push(format!("default \"{}\"", roff(d)));
        }
        if p.required {
            notes.push("required".into());
        }
        if let Some(g) = p.unique_group {
            notes.push(format!("unique group {}", roff(g)));
        }
        if p.reloadable {
            notes.push("reloadable".into());
        }
        head.push_str(&format!(" ({})", notes.join(", ")));
        m.push_str(&head);
        m.push('\n');
        m.push_str(&format!("{}.\n", roff(p.shortdesc.trim().trim_end_matches('.'))));
        m.push_str(".br\n");
        m.push_str(&roff(&param_longdesc(p)));
        m.push('\n');
        m.push_str(&format!(".br\nEnvironment variable: OCF_RESKEY_{}\n", roff(p.name)));
    }
    m.push_str(".SH SUPPORTED ACTIONS\n");
    for a in spec.actions {
        m.push_str(".TP\n");
        let mut line = format!("\\fB{}\\fR timeout={}s", roff(a.name), a.timeout_s);
        if let Some(i) = a.interval_s {
            line.push_str(&format!(" interval={i}s"));
        }
        if let Some(d) = a.depth {
            line.push_str(&format!(" OCF_CHECK_LEVEL={d}"));
        }
        if let Some(r) = a.role {
            line.push_str(&format!(" role={r}"));
        }
        m.push_str(&line);
        m.push('\n');
    }
    m.push_str(".SH EXAMPLE\n.nf\n");
    let req: Vec<String> = spec.params.iter().filter(|p| p.required).map(|p| format!("{}=VALUE", p.name)).collect();
    m.push_str(&roff(&format!("pcs resource create NAME ocf:{PROVIDER}:{} {}", spec.name, req.join(" "))));
    m.push_str("\n.fi\n");
    m.push_str(".SH SEE ALSO\n");
    m.push_str("\\fBpcs\\fR(8), \\fBcrm_resource\\fR(8), \\fBocf\\-tester\\fR(8)\n");
    m
}
