//! Platform specifiers (`os[/arch[/variant]]`, `linux/arm/v7`) accepted as
//! containerd's `platforms.Parse` accepts them, which is what buildx, the
//! official provider's Check and BuildKit read. The schema's `Platform`
//! enum lists common values for the SDKs; it is not the set of platforms
//! a build can target.

/// Operating systems a lone specifier may name (Go's `GOOS` values).
const KNOWN_OS: &[&str] = &[
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "hurd",
    "illumos",
    "ios",
    "js",
    "linux",
    "nacl",
    "netbsd",
    "openbsd",
    "plan9",
    "solaris",
    "windows",
    "zos",
];

/// Architectures a lone specifier may name (Go's `GOARCH` values).
const KNOWN_ARCH: &[&str] = &[
    "386",
    "amd64",
    "amd64p32",
    "arm",
    "armbe",
    "arm64",
    "arm64be",
    "ppc64",
    "ppc64le",
    "loong64",
    "mips",
    "mipsle",
    "mips64",
    "mips64le",
    "mips64p32",
    "mips64p32le",
    "ppc",
    "riscv",
    "riscv64",
    "s390",
    "s390x",
    "sparc",
    "sparc64",
    "wasm",
];

/// Whether `specifier` is a platform; why not.
pub fn check_platform(specifier: &str) -> Result<(), String> {
    if specifier.contains('*') {
        return Err("wildcards are not supported".into());
    }
    let parts: Vec<&str> = specifier.splitn(4, '/').collect();
    let os = os_name(parts[0]).ok_or_else(|| {
        format!(
            "`{}` is not an operating system (letters, digits, `_` or `-`, optionally a version in parentheses)",
            parts[0]
        )
    })?;
    if let Some(part) = parts[1..].iter().find(|p| !component(p)) {
        return Err(format!(
            "`{part}` is not an architecture or variant (letters, digits, `_`, `.` or `-`)"
        ));
    }
    match parts.len() {
        1 if KNOWN_OS.contains(&os.as_str()) || KNOWN_ARCH.contains(&arch(&os)) => Ok(()),
        1 => Err("names no known operating system or architecture".into()),
        2 | 3 => Ok(()),
        _ => Err("has more than `os/arch/variant`".into()),
    }
}

/// The operating system of a first component, `os` or `os(version)`,
/// lower-cased (`macos` is `darwin`).
fn os_name(part: &str) -> Option<String> {
    let (name, version) = match part.split_once('(') {
        Some((name, rest)) => (name, Some(rest.strip_suffix(')')?)),
        None => (part, None),
    };
    let name_ok = !name.is_empty()
        && (name.bytes()).all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-'));
    let version_ok = version.is_none_or(|v| {
        v.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'%' | b'-' | b'+'))
    });
    (name_ok && version_ok).then(|| match name.to_ascii_lowercase().as_str() {
        "macos" => "darwin".to_owned(),
        other => other.to_owned(),
    })
}

/// A later component: `^[A-Za-z0-9_.-]+$`.
fn component(part: &str) -> bool {
    !part.is_empty()
        && (part.bytes()).all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'))
}

/// An architecture's usual name (`x86_64` is `amd64`).
fn arch(name: &str) -> &str {
    match name {
        "i386" => "386",
        "x86_64" | "x86-64" => "amd64",
        "aarch64" => "arm64",
        "armhf" | "armel" => "arm",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::check_platform;

    #[test]
    fn platforms_are_read_as_containerd_reads_them() {
        for ok in [
            "linux/amd64",
            "linux/arm/v7",
            "linux/amd64/v3",
            "Linux/AMD64",
            "linux",
            "arm64",
            "x86_64",
            "linux/sparc",
            "windows(10.0.17763)/amd64",
            "macos/arm64",
        ] {
            assert_eq!(check_platform(ok), Ok(()), "{ok}");
        }
        for bad in [
            "",
            "linux/*",
            "sparcy",
            "linux/amd64/v3/extra",
            "linux//amd64",
            "linux/am d64",
            "lin ux/amd64",
            "windows(10/amd64",
        ] {
            assert!(check_platform(bad).is_err(), "{bad}");
        }
    }
}
