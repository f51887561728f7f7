//! The MQSC lexer and parser: a command's tokens (keyword, optional parenthesised value), the
//! verb and object keywords with their abbreviations, object names, and the attribute list a
//! DISPLAY asks for. Continuation lines are joined by runmqsc before a command gets here.

use crate::engine::objects;

/// One token of an MQSC command: a keyword, optionally with a parenthesised value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token {
    pub(super) word: String,
    pub(super) value: Option<String>,
    /// End offset of the token in the command text (for AMQ8405I's segment).
    pub(super) end: usize,
    /// End offset of the keyword alone (an unknown keyword is reported up to itself).
    pub(super) word_end: usize,
}

/// A command past its verb and object keyword, as every object handler reads it.
pub(super) struct Command<'a> {
    /// The whole command, for the AMQ8405I segment.
    pub(super) text: &'a str,
    /// The object keyword's value: a name or a generic pattern.
    pub(super) name: Option<String>,
    /// End offset of the object keyword and its value (a missing name is reported up to it).
    pub(super) name_end: usize,
    /// The tokens after the object keyword.
    pub(super) rest: &'a [Token],
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct SyntaxError {
    pub(super) at: usize,
}

/// Splits a command into tokens. Unquoted text is upper-cased (MQSC folds it); quoted text is
/// kept as written with `''` standing for one quote. Blanks and commas separate tokens.
pub(super) fn tokenize(cmd: &str) -> Result<Vec<Token>, SyntaxError> {
    let chars: Vec<(usize, char)> = cmd.char_indices().collect();
    let mut i = 0;
    let mut out = Vec::new();
    let len = cmd.len();
    let pos = |i: usize| chars.get(i).map(|c| c.0).unwrap_or(len);
    while i < chars.len() {
        let c = chars[i].1;
        if c.is_whitespace() || c == ',' {
            i += 1;
            continue;
        }
        if c == '(' || c == ')' {
            return Err(SyntaxError { at: pos(i + 1) });
        }
        let start = i;
        while i < chars.len()
            && !chars[i].1.is_whitespace()
            && chars[i].1 != '('
            && chars[i].1 != ')'
            && chars[i].1 != ','
        {
            i += 1;
        }
        let word = cmd[pos(start)..pos(i)].to_ascii_uppercase();
        let word_end = pos(i);
        let mut j = i;
        while j < chars.len() && chars[j].1.is_whitespace() {
            j += 1;
        }
        if j < chars.len() && chars[j].1 == '(' {
            let (value, next) = parse_value(cmd, &chars, j + 1).ok_or(SyntaxError { at: len })?;
            i = next;
            out.push(Token { word, value: Some(value), end: pos(i), word_end });
        } else {
            out.push(Token { word, value: None, end: pos(i), word_end });
        }
    }
    Ok(out)
}

/// Parses from just after `(` to the matching `)`; returns the value and the index after `)`.
fn parse_value(cmd: &str, chars: &[(usize, char)], mut i: usize) -> Option<(String, usize)> {
    let _ = cmd;
    let mut out = String::new();
    let mut depth = 0;
    while i < chars.len() {
        let c = chars[i].1;
        match c {
            '\'' => {
                i += 1;
                loop {
                    let c = chars.get(i)?.1;
                    if c == '\'' {
                        if chars.get(i + 1).map(|c| c.1) == Some('\'') {
                            out.push('\'');
                            i += 2;
                            continue;
                        }
                        i += 1;
                        break;
                    }
                    out.push(c);
                    i += 1;
                }
                // Mark quoted runs so lists keep their items apart: \u{1} never occurs in MQSC.
                out.push('\u{1}');
                continue;
            }
            '(' => {
                depth += 1;
                out.push(c);
            }
            ')' => {
                if depth == 0 {
                    return Some((finish_value(&out), i + 1));
                }
                depth -= 1;
                out.push(c);
            }
            c => out.extend(c.to_uppercase()),
        }
        i += 1;
    }
    None
}

fn finish_value(raw: &str) -> String {
    raw.replace('\u{1}', "").trim().to_string()
}

/// Items of a list value such as USERLIST('*MQADMIN','APP').
pub(super) fn split_list(v: &str) -> Vec<String> {
    v.split([',', ' ']).map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect()
}

pub(super) fn verb(word: &str) -> Option<&'static str> {
    Some(match word {
        "DEFINE" | "DEF" => "DEFINE",
        "ALTER" | "ALT" => "ALTER",
        "DELETE" | "DEL" => "DELETE",
        "DISPLAY" | "DIS" => "DISPLAY",
        "START" | "STA" => "START",
        "STOP" => "STOP",
        "PING" => "PING",
        "REFRESH" | "REF" => "REFRESH",
        "SET" => "SET",
        "CLEAR" => "CLEAR",
        _ => return None,
    })
}

pub(super) fn object_word(word: &str) -> Option<&'static str> {
    Some(match word {
        "QLOCAL" | "QL" => "QLOCAL",
        "QMODEL" | "QM" => "QMODEL",
        "QUEUE" | "Q" => "QUEUE",
        "LISTENER" | "LSTR" => "LISTENER",
        "CHANNEL" | "CHL" => "CHANNEL",
        "AUTHINFO" => "AUTHINFO",
        "AUTHREC" => "AUTHREC",
        "QMGR" => "QMGR",
        "QMSTATUS" => "QMSTATUS",
        "LSSTATUS" => "LSSTATUS",
        "SVSTATUS" => "SVSTATUS",
        "CHSTATUS" | "CHS" => "CHSTATUS",
        "QSTATUS" | "QS" => "QSTATUS",
        "CHLAUTH" => "CHLAUTH",
        "SECURITY" => "SECURITY",
        "SERVICE" => "SERVICE",
        _ => return None,
    })
}

pub(super) fn valid_name(name: &str, max: usize) -> bool {
    !name.is_empty()
        && name.len() <= max
        && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '/' | '_' | '%'))
}

/// Which attributes a DISPLAY asks for: None = ALL, else the named ones (status ones included).
pub(super) fn requested(rest: &[Token], skip: &[&str]) -> Result<Option<Vec<String>>, usize> {
    let mut all = false;
    let mut names = Vec::new();
    for t in rest {
        if skip.contains(&t.word.as_str()) {
            continue;
        }
        if t.word == "ALL" && t.value.is_none() {
            all = true;
        } else if t.value.is_none() {
            names.push(objects::canonical_attr(&t.word).to_string());
        } else {
            return Err(t.end);
        }
    }
    Ok(if all { None } else { Some(names) })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_fold_unquoted_and_keep_quoted() {
        let t = tokenize("define qlocal(test) descr('My Queue') defpsist(yes) replace").unwrap();
        assert_eq!(t[0].word, "DEFINE");
        assert_eq!(t[1].value.as_deref(), Some("TEST"));
        assert_eq!(t[2].value.as_deref(), Some("My Queue"));
        assert_eq!(t[3].value.as_deref(), Some("YES"));
        assert_eq!(t[4].word, "REPLACE");
        let q = tokenize("DEFINE QLOCAL('test') DESCR('it''s')").unwrap();
        assert_eq!(q[1].value.as_deref(), Some("test"));
        assert_eq!(q[2].value.as_deref(), Some("it's"));
        assert!(tokenize("DEFINE QLOCAL(X").is_err());
    }

    #[test]
    fn lists_split() {
        assert_eq!(split_list("*MQADMIN,APP"), vec!["*MQADMIN", "APP"]);
    }
}
