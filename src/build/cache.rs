//! Which caches a build uses: the user's `cacheFrom`/`cacheTo` as given,
//! or, when the image is pushed with tags and names no cache at all, the
//! automatic registry cache at `<repository of the first tag>:cache`.

use crate::image::{CacheFrom, CacheTo, ImageArgs, Reference};
use crate::wire::PropertyPath;

use super::plan::CachePlan;

/// The tag the automatic cache lives under, next to the image.
pub const CACHE_TAG: &str = "cache";

/// The automatic cache ref for `args`, if the automatic cache applies:
/// pushed, tagged, no cache settings of its own, and not turned off (the
/// image's `autoCache`, else the provider's default).
pub fn automatic_cache_ref(args: &ImageArgs, default_on: bool) -> Option<String> {
    let enabled = args.auto_cache.unwrap_or(default_on);
    if !enabled || !args.push || !args.cache_from.is_empty() || !args.cache_to.is_empty() {
        return None;
    }
    let first = Reference::parse(args.tags.first()?).ok()?;
    Some(format!("{}:{CACHE_TAG}", first.repository()))
}

/// The cache export the automatic cache uses: every stage (`mode=max`), in
/// the image-manifest form AWS ECR requires, and never fatal.
pub fn automatic_export(reference: &str) -> CacheTo {
    CacheTo::Registry(crate::image::cache_to_registry(reference))
}

/// The caches for a build before the registry is asked about imports.
/// `noCache` drops every import; exports stay (they refresh the cache).
pub fn cache_plan(args: &ImageArgs, automatic: Option<&str>) -> CachePlan {
    if let Some(reference) = automatic {
        let imports = if args.no_cache.unwrap_or(false) {
            Vec::new()
        } else {
            vec![CacheFrom::Registry(crate::image::cache_from_registry(
                reference,
            ))]
        };
        return CachePlan {
            imports,
            exports: vec![automatic_export(reference)],
        };
    }
    let imports = if args.no_cache.unwrap_or(false) {
        Vec::new()
    } else {
        args.cache_from
            .iter()
            .enumerate()
            .filter(|(_, c)| !c.is_disabled())
            .filter_map(|(i, c)| c.validate(&PropertyPath::key("cacheFrom").index(i)).ok())
            .collect()
    };
    let exports = args
        .cache_to
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.is_disabled())
        .filter_map(|(i, c)| c.validate(&PropertyPath::key("cacheTo").index(i)).ok())
        .collect();
    CachePlan { imports, exports }
}

/// The registry refs among a plan's imports: the ones to preflight.
pub fn registry_imports(plan: &CachePlan) -> Vec<String> {
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
pub fn registry_exports(plan: &CachePlan) -> Vec<String> {
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

    fn args(json: serde_json::Value) -> ImageArgs {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn automatic_cache_sits_next_to_the_first_tag() {
        let a = args(
            json!({"push": true, "tags": ["127.0.0.1:5000/team/app:v1", "127.0.0.1:5000/team/app:latest"]}),
        );
        assert_eq!(
            automatic_cache_ref(&a, true).as_deref(),
            Some("127.0.0.1:5000/team/app:cache")
        );
        let ecr = args(
            json!({"push": true, "tags": ["123456789012.dkr.ecr.us-east-1.amazonaws.com/base-receipt-dynamo-dev:stable"]}),
        );
        assert_eq!(
            automatic_cache_ref(&ecr, true).as_deref(),
            Some("123456789012.dkr.ecr.us-east-1.amazonaws.com/base-receipt-dynamo-dev:cache")
        );
        let digest = args(
            json!({"push": true, "tags": ["r.example/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"]}),
        );
        assert_eq!(
            automatic_cache_ref(&digest, true).as_deref(),
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
        assert!(automatic_cache_ref(&args(json!({"push": true})), true).is_none());
    }

    #[test]
    fn automatic_cache_is_max_mode_image_manifest_and_never_fatal() {
        let plan = cache_plan(
            &args(json!({"push": true, "tags": ["r/a:1"]})),
            Some("r/a:cache"),
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
            Some("r/a:cache"),
        );
        assert!(plan.imports.is_empty());
        assert_eq!(plan.exports.len(), 1);
        let explicit = args(
            json!({"push": true, "noCache": true, "cacheFrom": [{"registry": {"ref": "x/y:c"}}], "cacheTo": [{"inline": {}}]}),
        );
        let plan = cache_plan(&explicit, None);
        assert!(plan.imports.is_empty());
        assert_eq!(plan.exports, vec![CacheTo::Inline]);
    }

    #[test]
    fn explicit_caches_are_used_as_given() {
        let explicit = args(
            json!({"push": true, "cacheFrom": [{"registry": {"ref": "x/y:c"}}, {"disabled": true, "gha": {}}, {"local": {"src": "/c"}}]}),
        );
        let plan = cache_plan(&explicit, None);
        assert_eq!(plan.imports.len(), 2);
        assert_eq!(registry_imports(&plan), ["x/y:c"]);
    }
}
