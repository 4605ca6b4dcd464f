//! Naming rules shared by the generators: schema names are camelCase;
//! Python wants snake_case attributes and UPPER_SNAKE enum members; Node
//! keeps camelCase and uses PascalCase enum members.

/// `cacheFrom` → `cache_from`; `ociMediaTypes` → `oci_media_types`.
pub fn snake(name: &str) -> String {
    let mut out = String::with_capacity(name.len() + 4);
    let chars: Vec<char> = name.chars().collect();
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() {
            let after_lower =
                i > 0 && (chars[i - 1].is_ascii_lowercase() || chars[i - 1].is_ascii_digit());
            let ends_acronym = i > 0
                && chars[i - 1].is_ascii_uppercase()
                && chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            if after_lower || ends_acronym {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

/// A Python enum member for `value`: `linux/arm64` → `LINUX_ARM64`.
pub fn python_enum_member(value: &str, explicit: Option<&str>) -> String {
    let base = explicit.map_or_else(|| value.to_owned(), snake);
    let mut out: String = base
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect();
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// A Node enum member for `value`: `linux/arm64` → `Linux_arm64`,
/// `max` → `Max`.
pub fn node_enum_member(value: &str, explicit: Option<&str>) -> String {
    if let Some(name) = explicit {
        return upper_first(name);
    }
    let mut out: String = value
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    out = upper_first(&out);
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out
}

/// `image` → `Image`.
pub fn upper_first(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_ascii_uppercase().to_string() + chars.as_str()
    })
}

/// `Image` → `image`; `CacheTo` → `cacheTo`.
pub fn lower_first(name: &str) -> String {
    let mut chars = name.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_ascii_lowercase().to_string() + chars.as_str()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn camel_case_becomes_snake_case() {
        assert_eq!(snake("cacheFrom"), "cache_from");
        assert_eq!(snake("ociMediaTypes"), "oci_media_types");
        assert_eq!(snake("hashOnlyBuildSources"), "hash_only_build_sources");
        assert_eq!(snake("ref"), "ref");
        assert_eq!(snake("s3"), "s3");
        assert_eq!(snake("endpointURL"), "endpoint_url");
    }

    #[test]
    fn enum_members_are_valid_identifiers() {
        assert_eq!(python_enum_member("linux/arm64", None), "LINUX_ARM64");
        assert_eq!(python_enum_member("min", None), "MIN");
        assert_eq!(node_enum_member("linux/arm64", None), "Linux_arm64");
        assert_eq!(node_enum_member("max", None), "Max");
        assert_eq!(node_enum_member("386", None), "_386");
    }
}
