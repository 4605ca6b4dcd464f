//! Which paths of the context a Dockerfile can read: the sources of its
//! `COPY` and `ADD` instructions and of `RUN --mount=type=bind`, when every
//! one of them can be resolved without running the build.
//!
//! Used by the opt-in `hashOnlyBuildSources`: in a monorepo, an edit
//! outside everything the Dockerfile copies then causes no rebuild.

use super::dockerignore::IgnoreRules;

/// What a Dockerfile reads from its main context.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildSources {
    /// These path patterns (relative to the context root).
    Paths(Vec<String>),
    /// Anything: some source could not be resolved statically (a build
    /// argument in a path, the whole context mounted, a parse problem).
    Everything(String),
}

impl BuildSources {
    /// The patterns as matching rules, or `None` for everything.
    pub fn rules(&self) -> Option<IgnoreRules> {
        match self {
            BuildSources::Paths(paths) => {
                Some(IgnoreRules::from_patterns(paths.iter().map(String::as_str)))
            }
            BuildSources::Everything(_) => None,
        }
    }
}

/// Joins continuation lines and drops comments and heredoc bodies.
fn instructions(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut heredoc: Option<String> = None;
    for line in text.lines() {
        if let Some(end) = &heredoc {
            if line.trim() == end {
                heredoc = None;
            }
            continue;
        }
        let trimmed = line.trim_start();
        if current.is_empty() && (trimmed.starts_with('#') || trimmed.is_empty()) {
            continue;
        }
        if let Some(body) = line.trim_end().strip_suffix('\\') {
            current.push_str(body);
            current.push(' ');
            continue;
        }
        current.push_str(line);
        if let Some(at) = current.find("<<") {
            let marker: String = current[at + 2..]
                .trim_start_matches('-')
                .trim_matches(|c| c == '"' || c == '\'')
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if !marker.is_empty() {
                heredoc = Some(marker);
            }
        }
        out.push(std::mem::take(&mut current));
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// The sources `dockerfile` reads from the main context.
pub fn build_sources(dockerfile: &str) -> BuildSources {
    let mut paths = Vec::new();
    for instruction in instructions(dockerfile) {
        let mut words = instruction.split_whitespace();
        let Some(keyword) = words.next() else {
            continue;
        };
        let rest: Vec<&str> = words.collect();
        match keyword.to_ascii_uppercase().as_str() {
            "COPY" | "ADD" => {
                let (flags, operands): (Vec<&str>, Vec<&str>) = split_flags(&rest);
                if flags.iter().any(|f| f.starts_with("--from")) {
                    continue;
                }
                let operands = match json_array(&operands.join(" ")) {
                    Some(items) => items,
                    None => operands.iter().map(|s| (*s).to_owned()).collect(),
                };
                if operands.len() < 2 {
                    return BuildSources::Everything(format!("cannot read `{instruction}`"));
                }
                for source in &operands[..operands.len() - 1] {
                    if source.contains("://") || source.starts_with("git@") {
                        continue;
                    }
                    match resolve(source) {
                        Ok(path) => paths.push(path),
                        Err(why) => return BuildSources::Everything(why),
                    }
                }
            }
            "RUN" => {
                for flag in rest.iter().take_while(|w| w.starts_with("--")) {
                    let Some(mount) = flag.strip_prefix("--mount=") else {
                        continue;
                    };
                    let fields: Vec<(&str, &str)> =
                        mount.split(',').filter_map(|f| f.split_once('=')).collect();
                    let kind = fields
                        .iter()
                        .find(|(k, _)| *k == "type")
                        .map_or("bind", |(_, v)| *v);
                    if kind != "bind" || fields.iter().any(|(k, _)| *k == "from") {
                        continue;
                    }
                    let source = fields
                        .iter()
                        .find(|(k, _)| *k == "source" || *k == "src")
                        .map_or(".", |(_, v)| *v);
                    match resolve(source) {
                        Ok(path) => paths.push(path),
                        Err(why) => return BuildSources::Everything(why),
                    }
                }
            }
            _ => {}
        }
    }
    BuildSources::Paths(paths)
}

fn split_flags<'a>(words: &[&'a str]) -> (Vec<&'a str>, Vec<&'a str>) {
    let flags = words
        .iter()
        .take_while(|w| w.starts_with("--"))
        .copied()
        .collect::<Vec<_>>();
    let operands = words[flags.len()..].to_vec();
    (flags, operands)
}

fn json_array(text: &str) -> Option<Vec<String>> {
    let text = text.trim();
    if !text.starts_with('[') {
        return None;
    }
    serde_json::from_str(text).ok()
}

/// A source as a context-relative pattern; the whole context or a path
/// with a variable cannot be narrowed down.
fn resolve(source: &str) -> Result<String, String> {
    if source.contains('$') {
        return Err(format!("`{source}` depends on a build argument"));
    }
    let cleaned = source
        .trim_start_matches("./")
        .trim_start_matches('/')
        .trim_end_matches('/');
    if cleaned.is_empty() || cleaned == "." {
        return Err("the whole context is copied".to_owned());
    }
    Ok(cleaned.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn paths(dockerfile: &str) -> Vec<String> {
        match build_sources(dockerfile) {
            BuildSources::Paths(p) => p,
            BuildSources::Everything(why) => panic!("fell back: {why}"),
        }
    }

    #[test]
    fn collects_copy_add_and_bind_mount_sources() {
        let dockerfile = "# syntax=docker/dockerfile:1\nFROM busybox AS build\nCOPY --chown=1:1 go.mod go.sum ./\nCOPY [\"cmd/app\", \"/src/cmd\"]\nADD \\\n  assets/*.png /assets/\nCOPY --from=build /out /out\nADD https://example.com/x.tar /x\nRUN --mount=type=bind,source=scripts,target=/s --mount=type=cache,target=/c sh /s/go.sh\n";
        assert_eq!(
            paths(dockerfile),
            ["go.mod", "go.sum", "cmd/app", "assets/*.png", "scripts"]
        );
    }

    #[test]
    fn unresolvable_sources_fall_back_to_everything() {
        assert!(matches!(
            build_sources("FROM x\nARG DIR\nCOPY $DIR /d\n"),
            BuildSources::Everything(_)
        ));
        assert!(matches!(
            build_sources("FROM x\nCOPY . /app\n"),
            BuildSources::Everything(_)
        ));
        assert!(matches!(
            build_sources("FROM x\nRUN --mount=type=bind make\n"),
            BuildSources::Everything(_)
        ));
    }

    #[test]
    fn heredocs_and_comments_are_not_instructions() {
        let dockerfile =
            "FROM x\nRUN <<EOF\nCOPY not-real /x\nEOF\n# COPY commented /x\nCOPY real /x\n";
        assert_eq!(paths(dockerfile), ["real"]);
    }

    #[test]
    fn rules_match_files_below_sources_and_globs() {
        let rules = BuildSources::Paths(vec!["cmd/app".into(), "assets/*.png".into()])
            .rules()
            .unwrap();
        assert!(rules.is_excluded("cmd/app/main.go"));
        assert!(rules.is_excluded("assets/logo.png"));
        assert!(!rules.is_excluded("docs/readme.md"));
        assert!(rules.may_match_below("cmd"));
        assert!(!rules.may_match_below("docs"));
    }
}
