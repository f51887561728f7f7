//! MQ's stanza files (mqs.ini, qm.ini, mqinst.ini, qmstatus.ini): `Key:` on its own line,
//! `   Attr=Value` indented beneath it. Order and repeated stanzas are kept, as MQ keeps them.

use std::path::Path;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Stanza {
    pub key: String,
    pub attrs: Vec<(String, String)>,
}

impl Stanza {
    pub fn new(key: &str) -> Stanza {
        Stanza { key: key.to_string(), attrs: Vec::new() }
    }
    pub fn with(mut self, k: &str, v: impl Into<String>) -> Stanza {
        self.attrs.push((k.to_string(), v.into()));
        self
    }
    pub fn get(&self, k: &str) -> Option<&str> {
        self.attrs.iter().find(|(a, _)| a.eq_ignore_ascii_case(k)).map(|(_, v)| v.as_str())
    }
    pub fn set(&mut self, k: &str, v: impl Into<String>) {
        let v = v.into();
        match self.attrs.iter_mut().find(|(a, _)| a.eq_ignore_ascii_case(k)) {
            Some(slot) => slot.1 = v,
            None => self.attrs.push((k.to_string(), v)),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IniFile {
    /// Comment lines before the first stanza, kept so a rewrite looks like MQ's file.
    pub header: Vec<String>,
    pub stanzas: Vec<Stanza>,
}

impl IniFile {
    pub fn parse(text: &str) -> IniFile {
        let mut f = IniFile::default();
        for raw in text.lines() {
            let line = raw.trim_end();
            let trimmed = line.trim_start();
            if trimmed.is_empty() {
                continue;
            }
            if trimmed.starts_with('#') || trimmed.starts_with(';') {
                if f.stanzas.is_empty() {
                    f.header.push(line.to_string());
                }
                continue;
            }
            let indented = line.starts_with(' ') || line.starts_with('\t');
            if !indented && trimmed.ends_with(':') && !trimmed.contains('=') {
                f.stanzas.push(Stanza::new(trimmed.trim_end_matches(':')));
            } else if let Some((k, v)) = trimmed.split_once('=') {
                if let Some(s) = f.stanzas.last_mut() {
                    s.attrs.push((k.trim().to_string(), v.trim().to_string()));
                }
            }
        }
        f
    }

    pub fn read(path: &Path) -> std::io::Result<IniFile> {
        Ok(IniFile::parse(&std::fs::read_to_string(path)?))
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        for h in &self.header {
            out.push_str(h);
            out.push('\n');
        }
        for s in &self.stanzas {
            out.push_str(&s.key);
            out.push_str(":\n");
            for (k, v) in &s.attrs {
                out.push_str("   ");
                out.push_str(k);
                out.push('=');
                out.push_str(v);
                out.push('\n');
            }
        }
        out
    }

    /// Written through a temporary file and rename so a reader never sees half a file.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        std::fs::write(&tmp, self.render())?;
        std::fs::rename(&tmp, path)
    }

    pub fn first(&self, key: &str) -> Option<&Stanza> {
        self.stanzas.iter().find(|s| s.key.eq_ignore_ascii_case(key))
    }

    pub fn first_mut(&mut self, key: &str) -> Option<&mut Stanza> {
        self.stanzas.iter_mut().find(|s| s.key.eq_ignore_ascii_case(key))
    }

    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a Stanza> + 'a {
        self.stanzas.iter().filter(move |s| s.key.eq_ignore_ascii_case(key))
    }

    /// The stanza `key` whose attribute `attr` equals `value` (e.g. QueueManager with Name=QM1).
    pub fn find(&self, key: &str, attr: &str, value: &str) -> Option<&Stanza> {
        self.stanzas.iter().find(|s| s.key.eq_ignore_ascii_case(key) && s.get(attr) == Some(value))
    }

    pub fn remove(&mut self, key: &str, attr: &str, value: &str) -> bool {
        let before = self.stanzas.len();
        self.stanzas.retain(|s| !(s.key.eq_ignore_ascii_case(key) && s.get(attr) == Some(value)));
        before != self.stanzas.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_renders_dspmqinf_stanza() {
        let text =
            "QueueManager:\n   Name=foo\n   Directory=foo\n   Prefix=/var/mqm\n   InstallationName=Installation1\n";
        let f = IniFile::parse(text);
        assert_eq!(f.stanzas.len(), 1);
        assert_eq!(f.find("QueueManager", "Name", "foo").unwrap().get("Prefix"), Some("/var/mqm"));
        assert_eq!(f.render(), text);
    }

    #[test]
    fn keeps_repeated_stanzas_and_comments() {
        let text = "#* comment\nAllQueueManagers:\n   DefaultPrefix=/var/mqm\nQueueManager:\n   Name=A\nQueueManager:\n   Name=B\n";
        let mut f = IniFile::parse(text);
        assert_eq!(f.all("QueueManager").count(), 2);
        assert!(f.remove("QueueManager", "Name", "A"));
        assert_eq!(f.all("QueueManager").count(), 1);
        assert!(f.render().starts_with("#* comment\n"));
    }
}
