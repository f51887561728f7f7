//! Renders an agent's table as OCF 1.1 meta-data that also passes resource-agents' ra-api-1.dtd
//! (what ocf-tester checks): the DOCTYPE's internal subset declares the OCF 1.1 attributes the
//! DTD lacks. Internal-subset declarations are read first and bind, so `reload-agent` is added
//! to the DTD's action-name list the same way. quick-xml escapes every text and attribute value.

use quick_xml::events::{BytesDecl, BytesText, Event};
use quick_xml::Writer;

use crate::params::{ActionSpec, AgentSpec, ParamSpec};

const ACTION_NAMES: &str =
    "start|stop|recover|monitor|restart|migrate_to|migrate_from|promote|demote|notify|status|reload|reload-agent|meta-data|usage|methods|validate-all";

/// The long description of a parameter as published: the table's text plus the rule its type
/// enforces.
pub fn param_longdesc(p: &ParamSpec) -> String {
    let mut s = p.longdesc.trim().to_string();
    if let Some(rule) = p.ty.rule() {
        s.push(' ');
        s.push_str(&rule);
    }
    s
}

/// The meta-data document, one element per line as resource-agents' own agents print it.
pub fn render(spec: &AgentSpec) -> String {
    // Indentation of width 0: a line break before every tag, and no indentation.
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 0);
    write_document(&mut w, spec).expect("writing to memory cannot fail");
    String::from_utf8(w.into_inner()).expect("quick-xml writes the UTF-8 it is given")
}

type Xml = Writer<Vec<u8>>;

fn write_document(w: &mut Xml, spec: &AgentSpec) -> quick_xml::Result<()> {
    w.write_event(Event::Decl(BytesDecl::new("1.0", None, None)))?;
    let subset = format!(
        "resource-agent SYSTEM \"ra-api-1.dtd\" [\n\
         <!ATTLIST parameter unique-group CDATA #IMPLIED>\n\
         <!ATTLIST parameter reloadable (0|1) #IMPLIED>\n\
         <!ATTLIST action name ({ACTION_NAMES}) #REQUIRED>\n]"
    );
    // The internal subset is markup, not text: written as it is.
    w.write_event(Event::DocType(BytesText::from_escaped(subset)))?;
    w.create_element("resource-agent")
        .with_attributes([("name", spec.name), ("version", spec.version)])
        .write_inner_content(|w| {
            w.create_element("version").write_text_content(BytesText::new("1.1"))?;
            write_descriptions(w, spec.longdesc.trim(), spec.shortdesc)?;
            w.create_element("parameters")
                .write_inner_content(|w| spec.params.iter().try_for_each(|p| parameter(w, p, sole_member(spec, p))))?;
            w.create_element("actions").write_inner_content(|w| spec.actions.iter().try_for_each(|a| action(w, a)))?;
            Ok::<(), quick_xml::Error>(())
        })?;
    w.write_event(Event::Text(BytesText::from_escaped("\n")))
}

fn write_descriptions(w: &mut Xml, longdesc: &str, shortdesc: &str) -> quick_xml::Result<()> {
    w.create_element("longdesc")
        .with_attribute(("lang", "en"))
        .write_text_content(BytesText::new(&format!("\n{longdesc}\n")))?;
    w.create_element("shortdesc")
        .with_attribute(("lang", "en"))
        .write_text_content(BytesText::new(shortdesc.trim()))?;
    Ok(())
}

fn action(w: &mut Xml, a: &ActionSpec) -> quick_xml::Result<()> {
    let timeout = format!("{}s", a.timeout_s);
    let interval = a.interval_s.map(|i| format!("{i}s"));
    let depth = a.depth.map(|d| d.to_string());
    let mut attrs = vec![("name", a.name), ("timeout", timeout.as_str())];
    attrs.extend(interval.as_deref().map(|i| ("interval", i)));
    attrs.extend(depth.as_deref().map(|d| ("depth", d)));
    attrs.extend(a.role.map(|r| ("role", r)));
    w.create_element("action").with_attributes(attrs).write_empty()?;
    Ok(())
}

/// Whether `p` is the only parameter of its unique group. Such a group means the same as OCF 1.0's
/// `unique="1"`, which crmsh and pcs before 0.10.9 understand and OCF 1.1 keeps (deprecated) for
/// them, so the parameter carries both; a group of several parameters must not be split that way
/// (`unique="1"` on each would forbid equal values of one member alone).
fn sole_member(spec: &AgentSpec, p: &ParamSpec) -> bool {
    p.unique_group.is_some_and(|g| spec.params.iter().filter(|q| q.unique_group == Some(g)).count() == 1)
}

fn parameter(w: &mut Xml, p: &ParamSpec, sole_member: bool) -> quick_xml::Result<()> {
    let mut attrs = vec![("name", p.name)];
    attrs.extend(p.required.then_some(("required", "1")));
    attrs.extend(sole_member.then_some(("unique", "1")));
    attrs.extend(p.unique_group.map(|g| ("unique-group", g)));
    attrs.extend(p.reloadable.then_some(("reloadable", "1")));
    w.create_element("parameter").with_attributes(attrs).write_inner_content(|w| {
        write_descriptions(w, &param_longdesc(p), p.shortdesc)?;
        let mut content = vec![("type", p.ty.ocf_type())];
        content.extend(p.default.map(|d| ("default", d)));
        w.create_element("content").with_attributes(content).write_empty()?;
        Ok::<(), quick_xml::Error>(())
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::ParamType;

    const PARAMS: &[ParamSpec] = &[ParamSpec {
        name: "path",
        ty: ParamType::String,
        default: Some("a<b>&\"c'"),
        required: false,
        unique_group: Some("g"),
        reloadable: true,
        shortdesc: "Short <b>",
        longdesc: "Long & 'quoted'.",
    }];
    const ACTIONS: &[ActionSpec] =
        &[ActionSpec { name: "monitor", timeout_s: 20, interval_s: Some(10), depth: Some(0), role: Some("Promoted") }];
    const SPEC: AgentSpec = AgentSpec {
        name: "demo",
        version: "1.0",
        shortdesc: "Demo",
        longdesc: "A demo agent.",
        params: PARAMS,
        actions: ACTIONS,
    };

    #[test]
    fn one_element_a_line_with_escaped_values() {
        let xml = render(&SPEC);
        assert!(xml.starts_with("<?xml version=\"1.0\"?>\n<!DOCTYPE resource-agent SYSTEM \"ra-api-1.dtd\" [\n"));
        assert!(xml.contains("<resource-agent name=\"demo\" version=\"1.0\">\n<version>1.1</version>\n"), "{xml}");
        assert!(xml.contains(
            "<parameter name=\"path\" unique=\"1\" unique-group=\"g\" reloadable=\"1\">\n<longdesc lang=\"en\">\nLong &amp; &apos;quoted&apos;.\n</longdesc>\n<shortdesc lang=\"en\">Short &lt;b&gt;</shortdesc>\n<content type=\"string\" default=\"a&lt;b&gt;&amp;&quot;c&apos;\"/>\n</parameter>\n"
        ), "{xml}");
        assert!(xml.contains(
            "<actions>\n<action name=\"monitor\" timeout=\"20s\" interval=\"10s\" depth=\"0\" role=\"Promoted\"/>\n</actions>\n</resource-agent>\n"
        ));
        assert!(xml.ends_with("</resource-agent>\n"));
    }

    #[test]
    fn a_group_of_two_is_not_split_into_two_unique_parameters() {
        const TWO: &[ParamSpec] = &[
            ParamSpec { name: "port", unique_group: Some("endpoint"), ..PARAMS[0] },
            ParamSpec { name: "ipaddr", unique_group: Some("endpoint"), ..PARAMS[0] },
            ParamSpec { name: "other", unique_group: None, ..PARAMS[0] },
        ];
        let xml = render(&AgentSpec { params: TWO, ..SPEC });
        assert!(xml.contains("<parameter name=\"port\" unique-group=\"endpoint\" reloadable=\"1\">"), "{xml}");
        assert!(xml.contains("<parameter name=\"ipaddr\" unique-group=\"endpoint\" reloadable=\"1\">"), "{xml}");
        assert!(xml.contains("<parameter name=\"other\" reloadable=\"1\">"), "{xml}");
        assert!(!xml.contains("unique=\"1\""), "{xml}");
    }
}
