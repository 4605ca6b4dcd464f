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

/// `platform` as containerd normalizes it (`os/arch[/variant]`, lower
/// case, `x86_64` as `amd64`, `linux/arm` as `linux/arm/v7`, `arm64/v8`
/// as `arm64`): the form BuildKit lists its workers' platforms in. A lone
/// `os` or `arch` stays as it is (its other half is the daemon's).
pub fn normalize_platform(platform: &str) -> String {
    let parts: Vec<String> = platform.split('/').map(str::to_ascii_lowercase).collect();
    match parts.as_slice() {
        [os, arch] | [os, arch, _] => {
            let variant = parts.get(2).map_or("", String::as_str);
            let os = if os == "macos" { "darwin" } else { os };
            match normalize_arch(arch, variant) {
                (arch, variant) if variant.is_empty() => format!("{os}/{arch}"),
                (arch, variant) => format!("{os}/{arch}/{variant}"),
            }
        }
        _ => platform.to_owned(),
    }
}

/// An architecture and variant as containerd normalizes them.
pub fn normalize_arch(arch: &str, variant: &str) -> (String, String) {
    let (arch, variant) = (arch.to_ascii_lowercase(), variant.to_ascii_lowercase());
    let (arch, variant): (&str, &str) = match (arch.as_str(), variant.as_str()) {
        ("i386", _) => ("386", ""),
        ("x86_64" | "x86-64" | "amd64", "v1") => ("amd64", ""),
        ("x86_64" | "x86-64" | "amd64", v) => ("amd64", v),
        ("aarch64" | "arm64", "8" | "v8" | "v8.0") => ("arm64", ""),
        ("aarch64" | "arm64", "9" | "9.0" | "v9.0") => ("arm64", "v9"),
        ("aarch64" | "arm64", v) => ("arm64", v),
        ("armhf", _) => ("arm", "v7"),
        ("armel", _) => ("arm", "v6"),
        ("arm", "" | "7") => ("arm", "v7"),
        ("arm", v @ ("5" | "6" | "8")) => return ("arm".into(), format!("v{v}")),
        (a, v) => (a, v),
    };
    (arch.to_owned(), variant.to_owned())
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
    use super::{check_platform, normalize_platform};

    #[test]
    fn platforms_are_normalized_as_containerd_normalizes_them() {
        for (given, normal) in [
            ("linux/amd64", "linux/amd64"),
            ("Linux/AMD64", "linux/amd64"),
            ("linux/x86_64", "linux/amd64"),
            ("linux/amd64/v1", "linux/amd64"),
            ("linux/amd64/v3", "linux/amd64/v3"),
            ("linux/arm", "linux/arm/v7"),
            ("linux/armhf", "linux/arm/v7"),
            ("linux/arm/6", "linux/arm/v6"),
            ("linux/aarch64", "linux/arm64"),
            ("linux/arm64/v8", "linux/arm64"),
            ("macos/arm64", "darwin/arm64"),
            ("linux", "linux"),
        ] {
            assert_eq!(normalize_platform(given), normal, "{given}");
        }
    }

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
