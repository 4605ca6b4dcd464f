//! `.dockerignore` rules, with Docker's semantics exactly: patterns are
//! relative to the context root (a leading `/` changes nothing), cleaned
//! like Go's `filepath.Clean`; `*` and `?` never cross `/`; `**` spans any
//! number of directories; a pattern that matches a parent directory
//! excludes everything below it; `!` lines re-include; the last matching
//! line wins. (Docker compiles each pattern to a regular expression; this
//! module matches the same language with a small backtracking matcher.)

use super::location::clean;
use std::path::Path;

/// The parsed rules of one `.dockerignore` file.
#[derive(Debug, Clone, Default)]
pub struct IgnoreRules {
    patterns: Vec<Pattern>,
}

#[derive(Debug, Clone)]
struct Pattern {
    tokens: Vec<Token>,
    exclusion: bool,
}

impl Pattern {
    /// The literal text a match must start with (before any wildcard).
    fn literal_prefix(&self) -> String {
        self.tokens
            .iter()
            .map_while(|t| match t {
                Token::Literal(c) => Some(*c),
                _ => None,
            })
            .collect()
    }

    /// Whether this pattern could match `dir` itself, a parent of it, or
    /// something below it.
    fn may_match_below(&self, dir: &str) -> bool {
        let prefix = self.literal_prefix();
        let dir_slash = format!("{dir}/");
        let literal = prefix.chars().count() == self.tokens.len();
        if literal {
            prefix == dir
                || prefix.starts_with(&dir_slash)
                || dir.starts_with(&format!("{prefix}/"))
        } else {
            dir_slash.starts_with(&prefix) || prefix.starts_with(&dir_slash)
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Literal(char),
    /// `?`: one character other than `/`.
    AnyChar,
    /// `*`: any run of characters other than `/`.
    AnyRun,
    /// `**` followed by `/` or more pattern: any prefix of whole
    /// directories, possibly none (`(.*/)?`).
    AnyDirs,
    /// `**` at the end: anything at all (`.*`).
    AnyTail,
    /// `[...]`: a character class, possibly negated with `^`.
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

impl IgnoreRules {
    /// Parses the text of a `.dockerignore` file.
    pub fn parse(text: &str) -> IgnoreRules {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut patterns = Vec::new();
        for line in text.lines() {
            if line.starts_with('#') {
                continue;
            }
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let (exclusion, body) = match line.strip_prefix('!') {
                Some(rest) => (true, rest.trim()),
                None => (false, line),
            };
            if body.is_empty() {
                continue;
            }
            let cleaned = clean(body);
            let cleaned = cleaned
                .strip_prefix('/')
                .filter(|s| !s.is_empty())
                .unwrap_or(&cleaned);
            patterns.push(Pattern {
                tokens: compile(cleaned),
                exclusion,
            });
        }
        IgnoreRules { patterns }
    }

    /// Reads and parses a file; a missing file means no rules.
    pub fn load(path: &Path) -> std::io::Result<IgnoreRules> {
        match std::fs::read_to_string(path) {
            Ok(text) => Ok(IgnoreRules::parse(&text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(IgnoreRules::default()),
            Err(e) => Err(e),
        }
    }

    /// Whether there are no rules at all.
    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    /// Whether any `!` rule exists, i.e. whether an excluded directory may
    /// still hold included files.
    pub fn has_exceptions(&self) -> bool {
        self.patterns.iter().any(|p| p.exclusion)
    }

    /// Whether a `!` rule could re-include something below the directory
    /// `dir`, so an excluded directory must still be walked.
    pub fn may_reinclude_below(&self, dir: &str) -> bool {
        self.patterns
            .iter()
            .filter(|p| p.exclusion)
            .any(|p| p.may_match_below(dir))
    }

    /// Whether any (non-`!`) rule could match something below `dir`.
    pub fn may_match_below(&self, dir: &str) -> bool {
        self.patterns
            .iter()
            .filter(|p| !p.exclusion)
            .any(|p| p.may_match_below(dir))
    }

    /// Rules from a list of patterns (for matching build sources).
    pub fn from_patterns<'a>(patterns: impl IntoIterator<Item = &'a str>) -> IgnoreRules {
        let text: Vec<&str> = patterns.into_iter().collect();
        IgnoreRules::parse(&text.join("\n"))
    }

    /// Whether `path` (relative to the context root, `/`-separated) is
    /// excluded from the context, directly or through a parent directory.
    pub fn is_excluded(&self, path: &str) -> bool {
        if self.patterns.is_empty() {
            return false;
        }
        // One conversion per path: the parents are prefixes of it, cut
        // before each `/`.
        let chars: Vec<char> = path.chars().collect();
        let cuts: Vec<usize> = chars
            .iter()
            .enumerate()
            .filter(|(_, c)| **c == '/')
            .map(|(i, _)| i)
            .collect();
        let mut excluded = false;
        for pattern in &self.patterns {
            // An inclusion can only change an excluded verdict and vice versa.
            if pattern.exclusion != excluded {
                continue;
            }
            let matched = matches(&pattern.tokens, &chars)
                || cuts
                    .iter()
                    .any(|&cut| matches(&pattern.tokens, &chars[..cut]));
            if matched {
                excluded = !pattern.exclusion;
            }
        }
        excluded
    }
}

fn compile(pattern: &str) -> Vec<Token> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '*' if chars.get(i + 1) == Some(&'*') => {
                i += 2;
                if chars.get(i) == Some(&'/') {
                    i += 1;
                }
                tokens.push(if i >= chars.len() {
                    Token::AnyTail
                } else {
                    Token::AnyDirs
                });
                continue;
            }
            '*' => tokens.push(Token::AnyRun),
            '?' => tokens.push(Token::AnyChar),
            '\\' if i + 1 < chars.len() => {
                i += 1;
                tokens.push(Token::Literal(chars[i]));
            }
            '[' => {
                if let Some((class, next)) = parse_class(&chars, i + 1) {
                    tokens.push(class);
                    i = next;
                    continue;
                }
                tokens.push(Token::Literal('['));
            }
            c => tokens.push(Token::Literal(c)),
        }
        i += 1;
    }
    tokens
}

/// Parses a class body starting after `[`; returns the token and the index
/// after the closing `]`, or `None` when the class is not closed.
fn parse_class(chars: &[char], mut i: usize) -> Option<(Token, usize)> {
    let negated = matches!(chars.get(i), Some('^'));
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    while i < chars.len() {
        let mut c = chars[i];
        if c == ']' && !first {
            return Some((Token::Class { negated, ranges }, i + 1));
        }
        first = false;
        if c == '\\' && i + 1 < chars.len() {
            i += 1;
            c = chars[i];
        }
        if chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_some_and(|e| *e != ']') {
            ranges.push((c, chars[i + 2]));
            i += 3;
        } else {
            ranges.push((c, c));
            i += 1;
        }
    }
    None
}

fn matches(tokens: &[Token], text: &[char]) -> bool {
    let Some((token, rest)) = tokens.split_first() else {
        return text.is_empty();
    };
    match token {
        Token::Literal(c) => text.first() == Some(c) && matches(rest, &text[1..]),
        Token::AnyChar => text.first().is_some_and(|c| *c != '/') && matches(rest, &text[1..]),
        Token::Class { negated, ranges } => {
            text.first().is_some_and(|c| {
                *c != '/' && ranges.iter().any(|(lo, hi)| (*lo..=*hi).contains(c)) != *negated
            }) && matches(rest, &text[1..])
        }
        Token::AnyRun => {
            let run = text.iter().take_while(|c| **c != '/').count();
            (0..=run).any(|n| matches(rest, &text[n..]))
        }
        Token::AnyTail => true,
        Token::AnyDirs => {
            // Either no directories at all, or any prefix ending in `/`.
            matches(rest, text)
                || text
                    .iter()
                    .enumerate()
                    .any(|(i, c)| *c == '/' && matches(rest, &text[i + 1..]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(text: &str) -> IgnoreRules {
        IgnoreRules::parse(text)
    }

    #[test]
    fn docker_docs_example_one_level_wildcards() {
        let r = rules("# comment\n*/temp*\n*/*/temp*\ntemp?\n");
        assert!(r.is_excluded("somedir/temporary.txt"));
        assert!(r.is_excluded("somedir/temp"));
        assert!(r.is_excluded("somedir/temp/inner.txt"));
        assert!(r.is_excluded("somedir/subdir/temporary.txt"));
        assert!(r.is_excluded("tempa"));
        assert!(
            !r.is_excluded("temporary.txt"),
            "`*/temp*` needs one directory"
        );
        assert!(!r.is_excluded("tempab"));
        assert!(
            !r.is_excluded("a/b/c/temp.txt"),
            "three levels is neither pattern"
        );
    }

    #[test]
    fn docker_docs_example_double_star() {
        let r = rules("**/*.go");
        assert!(r.is_excluded("main.go"));
        assert!(r.is_excluded("cmd/tool/main.go"));
        assert!(!r.is_excluded("main.go.txt"));
    }

    #[test]
    fn docker_docs_example_exceptions_last_match_wins() {
        let r = rules("*.md\n!README*.md\nREADME-secret.md\n");
        assert!(r.is_excluded("CHANGELOG.md"));
        assert!(!r.is_excluded("README.md"));
        assert!(!r.is_excluded("README-public.md"));
        assert!(r.is_excluded("README-secret.md"));

        let r = rules("*.md\nREADME-secret.md\n!README*.md\n");
        assert!(
            !r.is_excluded("README-secret.md"),
            "the later exception wins"
        );
        assert!(r.is_excluded("CHANGELOG.md"));
    }

    #[test]
    fn patterns_are_root_anchored_and_cleaned() {
        let r = rules("/build\n./dist/\nlogs/../tmp\n");
        assert!(r.is_excluded("build"));
        assert!(r.is_excluded("build/out.o"));
        assert!(
            !r.is_excluded("src/build"),
            "unlike .gitignore, names are not matched at any depth"
        );
        assert!(r.is_excluded("dist/app.js"));
        assert!(r.is_excluded("tmp/x"));
        assert!(!r.is_excluded("logs/x"));
    }

    #[test]
    fn parent_directory_match_excludes_children_unless_re_included() {
        let r = rules("node_modules\n");
        assert!(r.is_excluded("node_modules/a/b/index.js"));
        let r = rules("vendor\n!vendor/keep.txt\n");
        assert!(r.is_excluded("vendor/drop.txt"));
        assert!(!r.is_excluded("vendor/keep.txt"));
        assert!(r.has_exceptions());
    }

    #[test]
    fn question_mark_and_star_never_cross_slashes() {
        let r = rules("a?b\nx*z\n");
        assert!(r.is_excluded("a_b"));
        assert!(!r.is_excluded("a/b"));
        assert!(r.is_excluded("xyz"));
        assert!(!r.is_excluded("x/z"));
    }

    #[test]
    fn double_star_in_the_middle_spans_zero_or_more_directories() {
        let r = rules("src/**/gen");
        assert!(r.is_excluded("src/gen"));
        assert!(r.is_excluded("src/a/b/gen/file.rs"));
        assert!(!r.is_excluded("src/agen"));
        let r = rules("cache/**");
        assert!(r.is_excluded("cache/x/y"));
        assert!(!r.is_excluded("cachex"));
    }

    #[test]
    fn classes_and_escapes() {
        let r = rules("file[0-9].txt\nlog[^a].txt\nliteral\\*star\n");
        assert!(r.is_excluded("file7.txt"));
        assert!(!r.is_excluded("filex.txt"));
        assert!(r.is_excluded("logb.txt"));
        assert!(!r.is_excluded("loga.txt"));
        assert!(r.is_excluded("literal*star"));
        assert!(!r.is_excluded("literalXstar"));
    }

    #[test]
    fn blank_lines_comments_and_whitespace() {
        let r = rules("\n   \n# *.txt\n  *.log  \n!\n");
        assert!(r.is_excluded("a.log"));
        assert!(!r.is_excluded("a.txt"));
        assert_eq!(r.patterns.len(), 1);
    }

    #[test]
    fn exceptions_decide_which_excluded_directories_are_walked() {
        let r = rules("vendor\n!vendor/keep/*.txt\nnode_modules\n");
        assert!(r.may_reinclude_below("vendor"));
        assert!(r.may_reinclude_below("vendor/keep"));
        assert!(!r.may_reinclude_below("node_modules"));
        assert!(!r.may_reinclude_below("vendor/other"));
        let r = rules("*\n!**/*.go\n");
        assert!(
            r.may_reinclude_below("anything/deep"),
            "a leading wildcard can match anywhere"
        );
    }

    #[test]
    fn go_clean_semantics() {
        assert_eq!(clean("a//b/./c/.."), "a/b");
        assert_eq!(clean("/../x"), "/x");
        assert_eq!(clean("../x"), "../x");
        assert_eq!(clean("./"), ".");
    }
}
