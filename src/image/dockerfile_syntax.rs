//! Dockerfile syntax, checked at Check as the official provider checks it
//! (BuildKit's parser, then its instruction parser): an unknown
//! instruction, an empty file, an instruction before the first `FROM` or
//! one missing its arguments is reported with its line, at preview, before
//! any build.
//!
//! A `# syntax=` directive naming a frontend other than
//! `docker/dockerfile:1` means another language: such a file is not
//! checked (the frontend will parse it). Heredocs (`RUN <<EOF`) are
//! skipped to their terminator; line continuations follow the `# escape=`
//! directive.

/// The instructions of the Dockerfile language.
const INSTRUCTIONS: [&str; 18] = [
    "add",
    "arg",
    "cmd",
    "copy",
    "entrypoint",
    "env",
    "expose",
    "from",
    "healthcheck",
    "label",
    "maintainer",
    "onbuild",
    "run",
    "shell",
    "stopsignal",
    "user",
    "volume",
    "workdir",
];

/// One syntax error: the 1-based line it starts on and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// The line the instruction starts on.
    pub line: usize,
    /// What is wrong, in BuildKit's words where it has them.
    pub message: String,
}

impl std::fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// The first syntax error in `text`, if any.
pub fn syntax_error(text: &str) -> Option<SyntaxError> {
    let directives = Directives::read(text);
    if directives.other_frontend {
        return None;
    }
    let lines: Vec<&str> = text.lines().collect();
    let mut seen_from = false;
    let mut any = false;
    let mut at = 0;
    while at < lines.len() {
        let start = at;
        let trimmed = lines[at].trim_start();
        at += 1;
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let logical = logical_line(trimmed, &lines, &mut at, directives.escape);
        let (word, rest) = logical
            .split_once(char::is_whitespace)
            .unwrap_or((logical.as_str(), ""));
        if let Some(message) = instruction_error(word, rest, seen_from) {
            return Some(SyntaxError {
                line: start + 1,
                message,
            });
        }
        let name = word.to_ascii_lowercase();
        seen_from |= name == "from";
        any = true;
        if matches!(name.as_str(), "run" | "copy" | "add") {
            at = skip_heredocs(rest, &lines, at);
        }
    }
    (!any).then(|| SyntaxError {
        line: 1,
        message: "the Dockerfile has no instructions".to_owned(),
    })
}

/// The instruction starting with `first`, continuation lines joined
/// (comment and blank lines inside are dropped); `at` moves past them.
fn logical_line(first: &str, lines: &[&str], at: &mut usize, escape: char) -> String {
    let mut logical = first.trim_end().to_owned();
    while logical.ends_with(escape) && *at < lines.len() {
        logical.pop();
        while lines
            .get(*at)
            .is_some_and(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
        {
            *at += 1;
        }
        if let Some(next) = lines.get(*at) {
            logical.push_str(next.trim());
            *at += 1;
        }
    }
    logical
}

/// What is wrong with instruction `word` given `rest`, if anything.
fn instruction_error(word: &str, rest: &str, seen_from: bool) -> Option<String> {
    let name = word.to_ascii_lowercase();
    if !INSTRUCTIONS.contains(&name.as_str()) {
        return Some(format!("unknown instruction: {word}"));
    }
    if rest.trim().is_empty() {
        return Some(format!(
            "{} requires at least one argument",
            word.to_ascii_uppercase()
        ));
    }
    (!seen_from && name != "from" && name != "arg").then(|| {
        format!(
            "{} before the first FROM: no build stage in current context",
            word.to_ascii_uppercase()
        )
    })
}

/// Parser directives at the top of a Dockerfile.
struct Directives {
    escape: char,
    other_frontend: bool,
}

impl Directives {
    fn read(text: &str) -> Directives {
        let mut directives = Directives {
            escape: '\\',
            other_frontend: false,
        };
        for line in text.lines() {
            let Some(comment) = line.trim().strip_prefix('#') else {
                break;
            };
            let Some((key, value)) = comment.split_once('=') else {
                break;
            };
            match key.trim().to_ascii_lowercase().as_str() {
                "escape" if value.trim() == "`" => directives.escape = '`',
                "syntax" => directives.other_frontend = !is_dockerfile_v1(value.trim()),
                _ => {}
            }
        }
        directives
    }
}

/// Whether a `# syntax=` image is the standard Dockerfile frontend 1.x.
fn is_dockerfile_v1(image: &str) -> bool {
    let image = image.strip_prefix("docker.io/").unwrap_or(image);
    let Some(tag) = image.strip_prefix("docker/dockerfile:") else {
        return false;
    };
    tag == "1" || tag.starts_with("1.") || tag.starts_with("1-")
}

/// Skips the bodies of the heredocs that `arguments` opens (`<<EOF`,
/// `<<-EOF`, quoted names), returning the line after the last one.
fn skip_heredocs(arguments: &str, lines: &[&str], mut at: usize) -> usize {
    for word in arguments.split_whitespace() {
        let Some(marker) = word.strip_prefix("<<") else {
            continue;
        };
        let strip_tabs = marker.starts_with('-');
        let name: String = marker
            .trim_start_matches('-')
            .trim_matches(|c| c == '"' || c == '\'')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if name.is_empty() {
            continue;
        }
        while at < lines.len() {
            let line = if strip_tabs {
                lines[at].trim_start_matches('\t')
            } else {
                lines[at]
            };
            at += 1;
            if line.trim_end() == name {
                break;
            }
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_name_the_line_and_the_problem() {
        let table = [
            (
                "FROM scratch\nRUNN echo\n",
                Some((2, "unknown instruction: RUNN")),
            ),
            (
                "# syntax=docker/dockerfile:1\nFROM busybox\nRUNN x\n",
                Some((3, "unknown instruction: RUNN")),
            ),
            ("", Some((1, "the Dockerfile has no instructions"))),
            (
                "# only a comment\n",
                Some((1, "the Dockerfile has no instructions")),
            ),
            ("FROM\n", Some((1, "FROM requires at least one argument"))),
            (
                "RUN echo\nFROM x\n",
                Some((
                    1,
                    "RUN before the first FROM: no build stage in current context",
                )),
            ),
            (
                "ARG BASE=busybox\nFROM $BASE\nRUN echo \\\n  hi\nCOPY . /\n",
                None,
            ),
            ("from x\nrun echo\n", None),
            (
                "FROM x\nRUN <<EOF\nRUNN is text here\nEOF\nCOPY <<-'END' /f\n\tnot an instruction\n\tEND\n",
                None,
            ),
            ("# escape=`\nFROM x\nRUN echo `\n  RUNN\n", None),
            ("FROM x\nRUN echo \\\n# a comment inside\n  done\n", None),
            // Another frontend parses its own language.
            ("# syntax=example.com/other:2\nNOT DOCKERFILE\n", None),
        ];
        for (text, expected) in table {
            let found = syntax_error(text).map(|e| (e.line, e.message));
            let expected = expected.map(|(l, m)| (l, m.to_owned()));
            assert_eq!(found, expected, "{text:?}");
        }
    }
}
