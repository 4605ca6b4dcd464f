//! Which caches a build uses, as pure functions of its spec: the user's
//! `cacheFrom`/`cacheTo` as given or, when the image is pushed with tags
//! and names no cache at all, the automatic registry cache at
//! `<repository of the first tag>:cache` (per platform with several
//! platforms); registry caches in AWS ECR always in the form ECR accepts.
//! A preview never exports a cache (the build engine leaves the exports
//! out of a preview's solve).

use super::ImageSpec;
use crate::build::{CachePlan, Mode};
use crate::ecr::parse_ecr_host;
use crate::model::Reference;
use crate::model::cache::{CacheFrom, CacheTo, cache_from_registry, cache_to_registry};

/// The tag the automatic cache lives under, next to the image.
pub const CACHE_TAG: &str = "cache";

/// The caches of one image's build.
#[derive(Debug, Clone, PartialEq)]
pub struct CachePolicy {
    /// The automatic cache ref, when the automatic cache applies.
    pub automatic: Option<Reference>,
    /// Whether each platform is built on its own, with its own cache
    /// (`platform_cache_ref`), and the results joined into one index.
    pub per_platform: bool,
    /// What the build imports and exports (before the registry is asked
    /// whether the imports exist).
    pub plan: CachePlan,
}

/// The cache policy for `spec`: `auto_cache_default` is the provider's
/// `autoCache` setting, which the image's own overrides.
pub fn cache_policy(spec: &ImageSpec, auto_cache_default: bool, mode: Mode) -> CachePolicy {
    let args = &spec.args;
    let automatic = automatic_cache_ref(spec, auto_cache_default);
    let mut plan = cache_plan(spec, automatic.as_ref());
    let platforms = &args.platforms;
    if let Some(automatic) = automatic.as_ref().filter(|_| platforms.len() > 1) {
        // What the per-platform builds read (a preview reads them too).
        if !plan.imports.is_empty() {
            plan.imports = platforms
                .iter()
                .map(|p| {
                    CacheFrom::Registry(cache_from_registry(&platform_cache_ref(automatic, p)))
                })
                .collect();
        }
    }
    require_ecr_cache_format(&mut plan);
    // BuildKit exports one cache per build: a build of several platforms
    // that exports only the image is split, so each keeps its own.
    let per_platform = automatic.is_some()
        && mode == Mode::Deploy
        && platforms.len() > 1
        && spec.exports.is_empty()
        && !args.load.unwrap_or(false);
    CachePolicy {
        automatic,
        per_platform,
        plan,
    }
}

/// The automatic cache ref for `spec`, if the automatic cache applies:
/// pushed, tagged, no cache settings of its own, and not turned off (the
/// image's `autoCache`, else the provider's default).
pub fn automatic_cache_ref(spec: &ImageSpec, default_on: bool) -> Option<Reference> {
    let args = &spec.args;
    let enabled = args.auto_cache.unwrap_or(default_on);
    if !enabled || !args.push || !args.cache_from.is_empty() || !args.cache_to.is_empty() {
        return None;
    }
    let first = spec.tags.first()?;
    Some(first.qualified().tagged(CACHE_TAG))
}

/// The automatic cache ref of one platform: `r/app:cache` for
/// `linux/arm64` is `r/app:cache-linux-arm64`.
pub fn platform_cache_ref(automatic: &Reference, platform: &str) -> Reference {
    let tag = automatic.tag.as_deref().unwrap_or(CACHE_TAG);
    automatic.tagged(&format!("{tag}-{}", platform_suffix(platform)))
}

/// `linux/arm64` → `linux-arm64`: a platform as a tag suffix.
pub fn platform_suffix(platform: &str) -> String {
    platform
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect()
}

/// The cache export the automatic cache uses: every stage (`mode=max`), in
/// the image-manifest form AWS ECR requires, and never fatal.
pub fn automatic_export(reference: &Reference) -> CacheTo {
    CacheTo::Registry(cache_to_registry(reference))
}

/// The caches for a build before the registry is asked about imports.
/// `noCache` drops every import; exports stay (they refresh the cache).
pub fn cache_plan(spec: &ImageSpec, automatic: Option<&Reference>) -> CachePlan {
    let no_cache = spec.args.no_cache.unwrap_or(false);
    if let Some(reference) = automatic {
        let imports = if no_cache {
            Vec::new()
        } else {
            vec![CacheFrom::Registry(cache_from_registry(reference))]
        };
        return CachePlan {
            imports,
            exports: vec![automatic_export(reference)],
        };
    }
    CachePlan {
        imports: if no_cache {
            Vec::new()
        } else {
            spec.cache_from.clone()
        },
        exports: spec.cache_to.clone(),
    }
}

/// ECR accepts a registry cache only as an OCI image manifest: exports to
/// ECR hosts always carry `image-manifest=true,oci-mediatypes=true`.
pub fn require_ecr_cache_format(plan: &mut CachePlan) {
    for export in &mut plan.exports {
        let CacheTo::Registry(registry) = export else {
            continue;
        };
        if parse_ecr_host(registry.reference.registry().as_str()).is_none() {
            continue;
        }
        if registry.image_manifest == Some(false) || registry.oci_media_types == Some(false) {
            tracing::warn!(
                "{} is in AWS ECR, which only accepts a cache stored as an OCI image manifest: exporting it with imageManifest and ociMediaTypes on",
                registry.reference
            );
        }
        registry.image_manifest = Some(true);
        registry.oci_media_types = Some(true);
    }
}

/// The registry refs among a plan's imports: the ones to preflight.
pub fn registry_imports(plan: &CachePlan) -> Vec<Reference> {
    plan.imports
        .iter()
        .filter_map(|c| match c {
            CacheFrom::Registry(r) => Some(r.reference.clone()),
            _ => None,
        })
        .collect()
}

/// The registry refs among a plan's exports: the ones whose failure is
/// worth a warning.
pub fn registry_exports(plan: &CachePlan) -> Vec<Reference> {
    plan.exports
        .iter()
        .filter_map(|c| match c {
            CacheTo::Registry(r) => Some(r.reference.clone()),
            _ => None,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::build::render::CacheSyntax;

    fn reference(text: &str) -> Reference {
        Reference::parse(text).unwrap()
    }

    fn texts(references: &[Reference]) -> Vec<String> {
        references.iter().map(ToString::to_string).collect()
    }

    fn args(json: serde_json::Value) -> ImageSpec {
        let args: crate::image::ImageArgs = serde_json::from_value(json).unwrap();
        ImageSpec::parse(&args).unwrap()
    }

    #[test]
    fn automatic_cache_sits_next_to_the_first_tag() {
        let a = args(
            json!({"push": true, "tags": ["127.0.0.1:5000/team/app:v1", "127.0.0.1:5000/team/app:latest"]}),
        );
        assert_eq!(
            automatic_cache_ref(&a, true)
                .map(|r| r.to_string())
                .as_deref(),
            Some("127.0.0.1:5000/team/app:cache")
        );
        let ecr = args(
            json!({"push": true, "tags": ["123456789012.dkr.ecr.us-east-1.amazonaws.com/base-receipt-dynamo-dev:stable"]}),
        );
        assert_eq!(
            automatic_cache_ref(&ecr, true)
                .map(|r| r.to_string())
                .as_deref(),
            Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/base-receipt-dynamo-dev:cache")
        );
        let digest = args(
            json!({"push": true, "tags": ["r.example/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"]}),
        );
        assert_eq!(
            automatic_cache_ref(&digest, true)
                .map(|r| r.to_string())
                .as_deref(),
            Some("r.example/app:cache")
        );
    }

    #[test]
    fn automatic_cache_applies_only_when_nothing_else_is_said() {
        let base = json!({"push": true, "tags": ["r.example/app:1"]});
        assert!(automatic_cache_ref(&args(base.clone()), true).is_some());
        assert!(
            automatic_cache_ref(&args(base.clone()), false).is_none(),
            "provider default off"
        );
        let mut on = base.clone();
        on["autoCache"] = json!(true);
        assert!(
            automatic_cache_ref(&args(on), false).is_some(),
            "the image's own setting wins"
        );
        let mut off = base.clone();
        off["autoCache"] = json!(false);
        assert!(automatic_cache_ref(&args(off), true).is_none());
        let mut own = base.clone();
        own["cacheTo"] = json!([{"inline": {}}]);
        assert!(automatic_cache_ref(&args(own), true).is_none());
        assert!(
            automatic_cache_ref(
                &args(json!({"push": false, "tags": ["r.example/app:1"]})),
                true
            )
            .is_none()
        );
        let names_only =
            json!({"push": true, "exports": [{"registry": {"names": ["r.example/app:1"]}}]});
        assert!(
            automatic_cache_ref(&args(names_only), true).is_none(),
            "no tags"
        );
    }

    #[test]
    fn automatic_cache_is_max_mode_image_manifest_and_never_fatal() {
        let plan = cache_plan(
            &args(json!({"push": true, "tags": ["r/a:1"]})),
            Some(&reference("r/a:cache")),
        );
        assert_eq!(plan.imports[0].render(), "type=registry,ref=r/a:cache");
        assert_eq!(
            plan.exports[0].render(),
            "type=registry,ref=r/a:cache,mode=max,ignore-error=true,oci-mediatypes=true,image-manifest=true"
        );
    }

    #[test]
    fn no_cache_drops_imports_but_keeps_exports() {
        let plan = cache_plan(
            &args(json!({"push": true, "tags": ["r/a:1"], "noCache": true})),
            Some(&reference("r/a:cache")),
        );
        assert!(plan.imports.is_empty());
        assert_eq!(plan.exports.len(), 1);
        let explicit = args(
            json!({"push": true, "tags": ["x/y:1"], "noCache": true, "cacheFrom": [{"registry": {"ref": "x/y:c"}}], "cacheTo": [{"inline": {}}]}),
        );
        let plan = cache_plan(&explicit, None);
        assert!(plan.imports.is_empty());
        assert_eq!(plan.exports, vec![CacheTo::Inline]);
    }

    #[test]
    fn explicit_caches_are_used_as_given() {
        let explicit = args(
            json!({"push": true, "tags": ["x/y:1"], "cacheFrom": [{"registry": {"ref": "x/y:c"}}, {"disabled": true, "gha": {}}, {"local": {"src": "/c"}}]}),
        );
        let plan = cache_plan(&explicit, None);
        assert_eq!(plan.imports.len(), 2);
        assert_eq!(texts(&registry_imports(&plan)), ["x/y:c"]);
    }

    #[test]
    fn several_platforms_with_the_automatic_cache_build_one_by_one() {
        let spec = args(
            json!({"push": true, "tags": ["r.example/app:1"], "platforms": ["linux/amd64", "linux/arm64"]}),
        );
        let policy = cache_policy(&spec, true, Mode::Deploy);
        assert!(policy.per_platform);
        assert_eq!(
            texts(&registry_imports(&policy.plan)),
            [
                "r.example/app:cache-linux-amd64",
                "r.example/app:cache-linux-arm64"
            ]
        );
        let preview = cache_policy(&spec, true, Mode::Preview);
        assert!(
            !preview.per_platform,
            "a preview builds once and exports no cache"
        );
        assert_eq!(
            preview.plan.imports, policy.plan.imports,
            "but reads the same caches"
        );
        let loaded = args(
            json!({"push": true, "load": true, "tags": ["r/a:1"], "platforms": ["linux/amd64", "linux/arm64"]}),
        );
        assert!(!cache_policy(&loaded, true, Mode::Deploy).per_platform);
        let one = args(json!({"push": true, "tags": ["r/a:1"], "platforms": ["linux/amd64"]}));
        let single = cache_policy(&one, true, Mode::Deploy);
        assert!(!single.per_platform);
        assert_eq!(
            single.automatic.map(|r| r.to_string()).as_deref(),
            Some("docker.io/r/a:cache")
        );
        assert_eq!(
            texts(&registry_imports(&single.plan)),
            ["docker.io/r/a:cache"]
        );
    }

    #[test]
    fn caches_in_ecr_are_always_image_manifests() {
        let ecr = "123456789012.dkr.ecr.us-east-1.amazonaws.com/app";
        let spec = args(json!({"push": true, "tags": [format!("{ecr}:1")],
            "cacheTo": [{"registry": {"ref": format!("{ecr}:cache"), "imageManifest": false}}]}));
        let policy = cache_policy(&spec, true, Mode::Deploy);
        assert_eq!(policy.automatic, None, "the user's own cache");
        assert_eq!(
            policy.plan.exports[0].render(),
            format!("type=registry,ref={ecr}:cache,oci-mediatypes=true,image-manifest=true")
        );
        let elsewhere = args(json!({"push": true, "tags": ["r.example/app:1"],
            "cacheTo": [{"registry": {"ref": "r.example/app:cache", "imageManifest": false}}]}));
        assert_eq!(
            cache_policy(&elsewhere, true, Mode::Deploy).plan.exports[0].render(),
            "type=registry,ref=r.example/app:cache,image-manifest=false",
            "other registries get what was asked"
        );
    }
    #[test]
    fn ecr_cache_exports_always_use_the_image_manifest_form() {
        let spec = args(json!({
            "push": true,
            "tags": ["r.example/app:1"],
            "cacheTo": [
                {"registry": {"ref": "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:cache", "imageManifest": false}},
                {"registry": {"ref": "r.example/app:cache", "imageManifest": false}},
            ],
        }));
        let mut cache = cache_plan(&spec, None);
        require_ecr_cache_format(&mut cache);
        let rendered: Vec<String> = cache.exports.iter().map(|c| c.render()).collect();
        assert!(
            rendered[0].contains("oci-mediatypes=true")
                && rendered[0].contains("image-manifest=true"),
            "{}",
            rendered[0]
        );
        assert!(
            rendered[1].contains("image-manifest=false"),
            "other registries keep what was asked: {}",
            rendered[1]
        );
    }
}
