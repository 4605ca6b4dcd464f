//! Image references (`registry.example.com:5000/team/app:tag@sha256:...`),
//! parsed by the grammar Docker's distribution library uses, so a tag
//! rejected here would be rejected by buildx too.

use std::fmt;

use crate::credential::RegistryHost;

/// A parsed image reference.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Reference {
    /// The registry host (with port), when one was written.
    pub domain: Option<String>,
    /// The repository path, e.g. `team/app`.
    pub path: String,
    /// The tag, if any.
    pub tag: Option<String>,
    /// The digest, if any.
    pub digest: Option<String>,
}

impl Reference {
    /// Parses `text`, explaining what is wrong when it is not a reference.
    pub fn parse(text: &str) -> Result<Reference, String> {
        if text.is_empty() {
            return Err("an image reference must not be empty".into());
        }
        let (rest, digest) = match text.split_once('@') {
            Some((rest, digest)) => {
                check_digest(digest)?;
                (rest, Some(digest.to_owned()))
            }
            None => (text, None),
        };
        // A tag follows the last colon that comes after the last slash; a
        // colon before it belongs to a registry port.
        let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
        let (name, tag) = match rest[last_slash..].rfind(':') {
            Some(i) => {
                let at = last_slash + i;
                (&rest[..at], Some(rest[at + 1..].to_owned()))
            }
            None => (rest, None),
        };
        if let Some(tag) = &tag {
            check_tag(tag)?;
        }
        if name.len() > 255 {
            return Err("the repository name is longer than 255 characters".into());
        }
        let (domain, path) = match name.split_once('/') {
            Some((first, remainder)) if first.contains(['.', ':']) || first == "localhost" => {
                check_domain(first)?;
                (Some(first.to_owned()), remainder)
            }
            _ => (None, name),
        };
        if path.is_empty() {
            return Err("the repository name is missing".into());
        }
        for component in path.split('/') {
            check_path_component(component)?;
        }
        Ok(Reference {
            domain,
            path: path.to_owned(),
            tag,
            digest,
        })
    }

    /// The registry host, with Docker Hub for references that name none.
    pub fn registry(&self) -> RegistryHost {
        RegistryHost::parse(self.domain.as_deref().unwrap_or("docker.io"))
    }

    /// The same repository at `digest` alone (`repository@digest`), with
    /// no tag: the manifest a tag pointed at.
    pub fn pinned(&self, digest: &str) -> Reference {
        Reference {
            tag: None,
            digest: Some(digest.to_owned()),
            ..self.clone()
        }
    }

    /// The repository alone, with neither tag nor digest: the name an
    /// engine pushes or a registry stores it under.
    pub fn without_tag(&self) -> Reference {
        Reference {
            tag: None,
            digest: None,
            ..self.clone()
        }
    }

    /// The same repository under `tag` alone (no digest).
    pub fn tagged(&self, tag: &str) -> Reference {
        Reference {
            tag: Some(tag.to_owned()),
            digest: None,
            ..self.clone()
        }
    }

    /// The same reference with Docker Hub's implicit names written out
    /// (`app` is `docker.io/library/app`, `team/app` `docker.io/team/app`),
    /// as buildx pushes it.
    pub fn qualified(&self) -> Reference {
        match &self.domain {
            Some(_) => self.clone(),
            None => Reference {
                domain: Some("docker.io".into()),
                path: match self.path.contains('/') {
                    true => self.path.clone(),
                    false => format!("library/{}", self.path),
                },
                ..self.clone()
            },
        }
    }

    /// The repository as buildx would push to it: `registry/path`, with
    /// Docker Hub's `library/` for single-component official images.
    pub fn repository(&self) -> String {
        self.qualified().without_tag().to_string()
    }
}

/// `references` written out, one after another with `separator` between.
pub fn names(references: &[Reference], separator: &str) -> String {
    references
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(separator)
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(domain) = &self.domain {
            write!(f, "{domain}/")?;
        }
        f.write_str(&self.path)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

fn check_tag(tag: &str) -> Result<(), String> {
    let mut chars = tag.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let rest_ok = chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
    if first_ok && rest_ok && tag.len() <= 128 {
        Ok(())
    } else {
        Err(format!(
            "`{tag}` is not a valid tag: use up to 128 letters, digits, `_`, `.` and `-`, not starting with `.` or `-`"
        ))
    }
}

fn check_domain(domain: &str) -> Result<(), String> {
    let (host, port) = if let Some(rest) = domain.strip_prefix('[') {
        // A bracketed IPv6 address, optionally with a port.
        let (ip, after) = rest
            .split_once(']')
            .ok_or_else(|| format!("`{domain}` is not a valid registry host"))?;
        if ip.is_empty()
            || !ip
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
        {
            return Err(format!("`{domain}` is not a valid registry host"));
        }
        (None, after.strip_prefix(':'))
    } else {
        match domain.split_once(':') {
            Some((host, port)) => (Some(host), Some(port)),
            None => (Some(domain), None),
        }
    };
    if let Some(host) = host {
        let valid = !host.is_empty()
            && host.split('.').all(|label| {
                !label.is_empty()
                    && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                    && !label.starts_with('-')
                    && !label.ends_with('-')
            });
        if !valid {
            return Err(format!("`{domain}` is not a valid registry host"));
        }
    }
    if let Some(port) = port
        && (port.is_empty() || !port.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(format!("`{domain}` has an invalid port"));
    }
    Ok(())
}

fn check_path_component(component: &str) -> Result<(), String> {
    let invalid = || {
        if component.chars().any(|c| c.is_ascii_uppercase()) {
            format!("`{component}`: repository names must be lowercase")
        } else {
            format!(
                "`{component}` is not a valid repository name component: use lowercase letters and digits, separated by `.`, `_`, `__` or dashes"
            )
        }
    };
    let bytes = component.as_bytes();
    let alnum = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    if bytes.is_empty() || !alnum(bytes[0]) || !alnum(bytes[bytes.len() - 1]) {
        return Err(invalid());
    }
    let mut i = 0;
    while i < bytes.len() {
        if alnum(bytes[i]) {
            i += 1;
            continue;
        }
        // A separator: `.`, `_`, `__` or one or more `-`.
        let start = i;
        while i < bytes.len() && !alnum(bytes[i]) {
            i += 1;
        }
        let separator = &component[start..i];
        let ok = matches!(separator, "." | "_" | "__") || separator.chars().all(|c| c == '-');
        if !ok {
            return Err(invalid());
        }
    }
    Ok(())
}

fn check_digest(digest: &str) -> Result<(), String> {
    let invalid = || {
        format!(
            "`{digest}` is not a valid digest: expected `<algorithm>:<hex>`, e.g. `sha256:` and 64 hex digits"
        )
    };
    let (algorithm, hex) = digest.split_once(':').ok_or_else(invalid)?;
    let algorithm_ok = !algorithm.is_empty()
        && algorithm.chars().all(|c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '+' | '.' | '_' | '-')
        });
    let hex_ok = hex.len() >= 32 && hex.chars().all(|c| c.is_ascii_hexdigit());
    let sha256_ok = algorithm != "sha256" || hex.len() == 64;
    if algorithm_ok && hex_ok && sha256_ok {
        Ok(())
    } else {
        Err(invalid())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_what_docker_accepts() {
        for text in [
            "app",
            "app:latest",
            "team/app:v1.2",
            "localhost/app",
            "localhost:5000/app:dev",
            "127.0.0.1:5000/a/b/c:x",
            "123456789012.dkr.ecr.us-east-1.amazonaws.com/base-receipt:stable",
            "[::1]:5000/app",
            "a__b/c-d--e.f:_x",
            "app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
        ] {
            assert!(
                Reference::parse(text).is_ok(),
                "{text}: {:?}",
                Reference::parse(text)
            );
        }
    }

    #[test]
    fn rejects_what_docker_rejects() {
        for (text, why) in [
            ("", "empty"),
            ("App:latest", "lowercase"),
            ("app:", "tag"),
            ("app:-x", "tag"),
            ("app:has space", "tag"),
            ("team//app", "component"),
            ("-app", "component"),
            ("app.", "component"),
            ("a___b", "component"),
            ("registry.example.com:port/app", "port"),
            ("app@sha256:abc", "digest"),
            ("registry.example.com/", "missing"),
        ] {
            let err = Reference::parse(text).unwrap_err();
            assert!(err.contains(why), "{text}: {err}");
        }
    }

    #[test]
    fn splits_port_from_tag() {
        let r = Reference::parse("localhost:5000/app").unwrap();
        assert_eq!(
            (r.domain.as_deref(), r.path.as_str(), r.tag.as_deref()),
            (Some("localhost:5000"), "app", None)
        );
        let r = Reference::parse("127.0.0.1:5000/app:dev").unwrap();
        assert_eq!(r.repository(), "127.0.0.1:5000/app");
        assert_eq!(r.tag.as_deref(), Some("dev"));
        assert_eq!(
            Reference::parse("nginx").unwrap().repository(),
            "docker.io/library/nginx"
        );
    }
}
