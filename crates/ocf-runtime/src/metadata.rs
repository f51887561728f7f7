//! Renders an agent's table as OCF 1.1 meta-data that also passes resource-agents' ra-api-1.dtd
//! (what ocf-tester checks): the DOCTYPE's internal subset declares the OCF 1.1 attributes the
//! DTD lacks. Internal-subset declarations are read first and bind, so `reload-agent` is added
//! to the DTD's action-name list the same way.

use crate::params::{AgentSpec, ParamSpec};

const ACTION_NAMES: &str =
    "start|stop|recover|monitor|restart|migrate_to|migrate_from|promote|demote|notify|status|reload|reload-agent|meta-data|usage|methods|validate-all";

/// Escapes text for element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// The long description of a parameter as published: the table's text plus the rule its type
/// enforces and its default.
pub fn param_longdesc(p: &ParamSpec) -> String {
    let mut s = p.longdesc.trim().to_string();
    if let Some(rule) = p.ty.rule() {
        s.push(' ');
        s.push_str(&rule);
    }
    s
}

pub fn render(spec: &AgentSpec) -> String {
    let mut x = String::new();
    x.push_str("<?xml version=\"1.0\"?>\n");
    x.push_str("<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\" [\n");
    x.push_str("<!ATTLIST parameter unique-group CDATA #IMPLIED>\n");
    x.push_str("<!ATTLIST parameter reloadable (0|1) #IMPLIED>\n");
    x.push_str(&format!("<!ATTLIST action name ({ACTION_NAMES}) #REQUIRED>\n"));
    x.push_str("]>\n");
    x.push_str(&format!("<resource-agent name=\"{}\" version=\"{}\">\n", escape(spec.name), escape(spec.version)));
    x.push_str("<version>1.1</version>\n");
    x.push_str(&format!("<longdesc lang=\"en\">\n{}\n</longdesc>\n", escape(spec.longdesc.trim())));
    x.push_str(&format!("<shortdesc lang=\"en\">{}</shortdesc>\n", escape(spec.shortdesc.trim())));
    x.push_str("<parameters>\n");
    for p in spec.params {
        x.push_str(&format!("<parameter name=\"{}\"", escape(p.name)));
        if p.required {
            x.push_str(" required=\"1\"");
        }
        if let Some(g) = p.unique_group {
            x.push_str(&format!(" unique-group=\"{}\"", escape(g)));
        }
        if p.reloadable {
            x.push_str(" reloadable=\"1\"");
        }
        x.push_str(">\n");
        x.push_str(&format!("<longdesc lang=\"en\">\n{}\n</longdesc>\n", escape(&param_longdesc(p))));
        x.push_str(&format!("<shortdesc lang=\"en\">{}</shortdesc>\n", escape(p.shortdesc.trim())));
        match p.default {
            Some(d) => x.push_str(&format!("<content type=\"{}\" default=\"{}\"/>\n", p.ty.ocf_type(), escape(d))),
            None => x.push_str(&format!("<content type=\"{}\"/>\n", p.ty.ocf_type())),
        }
        x.push_str("</parameter>\n");
    }
    x.push_str("</parameters>\n");
    x.push_str("<actions>\n");
    for a in spec.actions {
        x.push_str(&format!("<action name=\"{}\" timeout=\"{}s\"", a.name, a.timeout_s));
        if let Some(i) = a.interval_s {
            x.push_str(&format!(" interval=\"{i}s\""));
        }
        if let Some(d) = a.depth {
            x.push_str(&format!(" depth=\"{d}\""));
        }
        if let Some(r) = a.role {
            x.push_str(&format!(" role=\"{r}\""));
        }
        x.push_str("/>\n");
    }
    x.push_str("</actions>\n");
    x.push_str("</resource-agent>\n");
    x
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
    }
}
