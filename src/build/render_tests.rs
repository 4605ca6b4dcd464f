use serde_json::json;

use super::*;
use crate::failure::InputFailure;
use crate::model::cache::{CacheFromInput, CacheToInput};
use crate::model::export::ExportInput;
use crate::wire::PropertyPath;

fn from(json: serde_json::Value) -> Result<CacheFrom, InputFailure> {
    serde_json::from_value::<CacheFromInput>(json)
        .unwrap()
        .validate(&PropertyPath::key("cacheFrom").index(0))
}

fn to(json: serde_json::Value) -> Result<CacheTo, InputFailure> {
    serde_json::from_value::<CacheToInput>(json)
        .unwrap()
        .validate(&PropertyPath::key("cacheTo").index(1))
}

#[test]
fn cache_from_renders_each_backend() {
    let table = [
        (
            json!({"registry": {"ref": "r.example/app:cache"}}),
            "type=registry,ref=r.example/app:cache",
        ),
        (
            json!({"local": {"src": "/tmp/c", "digest": "sha256:ab"}}),
            "type=local,src=/tmp/c,digest=sha256:ab",
        ),
        (json!({"gha": {}}), "type=gha,scope=buildkit"),
        (json!({"gha": {"scope": "main"}}), "type=gha,scope=main"),
        (
            json!({"s3": {"bucket": "b", "region": "eu-west-1", "usePathStyle": true, "name": "n"}}),
            "type=s3,bucket=b,region=eu-west-1,name=n,use_path_style=true",
        ),
        (
            json!({"azblob": {"name": "n", "accountUrl": "https://a.blob"}}),
            "type=azblob,account_url=https://a.blob,name=n",
        ),
        (
            json!({"raw": "type=registry,ref=x/y:z"}),
            "type=registry,ref=x/y:z",
        ),
    ];
    for (input, expected) in table {
        assert_eq!(from(input.clone()).unwrap().render(), expected, "{input}");
    }
}

#[test]
fn cache_to_renders_each_backend_without_dropping_settings() {
    let table = [
        (
            json!({"registry": {"ref": "r/app:cache", "mode": "max", "imageManifest": true, "ociMediaTypes": true, "ignoreError": true}}),
            "type=registry,ref=r/app:cache,mode=max,ignore-error=true,oci-mediatypes=true,image-manifest=true",
        ),
        // The Go provider dropped `mode` on local exports.
        (
            json!({"local": {"dest": "/c", "mode": "max"}}),
            "type=local,dest=/c,mode=max",
        ),
        // ...and `compression` when no level was given.
        (
            json!({"local": {"dest": "/c", "compression": "zstd", "compressionLevel": 0}}),
            "type=local,dest=/c,compression=zstd",
        ),
        (
            json!({"registry": {"ref": "r/a:c", "compression": "zstd", "compressionLevel": 30, "forceCompression": true}}),
            "type=registry,ref=r/a:c,compression=zstd,compression-level=22,force-compression=true",
        ),
        (json!({"inline": {}}), "type=inline"),
        (
            json!({"gha": {"mode": "max"}}),
            "type=gha,scope=buildkit,mode=max",
        ),
        (
            json!({"s3": {"bucket": "b", "region": "r", "secretAccessKey": "", "mode": "min"}}),
            "type=s3,bucket=b,region=r,mode=min",
        ),
        (json!({"raw": "type=local,dest=x"}), "type=local,dest=x"),
    ];
    for (input, expected) in table {
        assert_eq!(to(input.clone()).unwrap().render(), expected, "{input}");
    }
}

#[test]
fn values_with_commas_are_quoted_as_one_csv_field() {
    let rendered = from(json!({"local": {"src": "/tmp/a,b"}}))
        .unwrap()
        .render();
    assert_eq!(rendered, r#"type=local,"src=/tmp/a,b""#);
}

#[test]
fn zero_or_several_backends_name_the_entry() {
    let none = to(json!({})).unwrap_err();
    assert_eq!(none.property.to_string(), "cacheTo[1]");
    assert!(none.reason.contains("exactly one of"), "{}", none.reason);
    let two = to(json!({"inline": {}, "local": {"dest": "x"}})).unwrap_err();
    assert_eq!(two.property.to_string(), "cacheTo[1]");
    assert!(
        two.reason.contains("`inline` and `local`"),
        "{}",
        two.reason
    );
    let two = from(json!({"registry": {"ref": "a"}, "raw": "b"})).unwrap_err();
    assert_eq!(two.property.to_string(), "cacheFrom[0]");
}

#[test]
fn empty_required_fields_name_the_field() {
    let failure = from(json!({"registry": {"ref": " "}})).unwrap_err();
    assert_eq!(failure.property.to_string(), "cacheFrom[0].registry.ref");
    let failure = to(json!({"local": {"dest": ""}})).unwrap_err();
    assert_eq!(failure.property.to_string(), "cacheTo[1].local.dest");
}

fn export(json: serde_json::Value) -> Export {
    serde_json::from_value::<ExportInput>(json)
        .unwrap()
        .validate(&PropertyPath::key("exports").index(0))
        .unwrap()
}

#[test]
fn renders_each_exporter() {
    let table = [
        (json!({"registry": {}}), "type=image,push=true"),
        (
            json!({"registry": {"names": ["r/a:1", "r/a:2"], "ociMediaTypes": true}}),
            r#"type=image,"name=r/a:1,r/a:2",push=true,oci-mediatypes=true"#,
        ),
        (
            json!({"image": {"push": true, "insecure": true}}),
            "type=image,push=true,registry.insecure=true",
        ),
        (json!({"image": {}}), "type=image,push=false"),
        (
            json!({"docker": {"dest": "out.tar"}}),
            "type=docker,dest=out.tar",
        ),
        (
            json!({"oci": {"dest": "o.tar", "tar": true, "annotations": {"org.x": "y"}}}),
            "type=oci,dest=o.tar,tar=true,annotation.org.x=y",
        ),
        (json!({"local": {"dest": "out"}}), "type=local,dest=out"),
        (json!({"tar": {"dest": "out.tar"}}), "type=tar,dest=out.tar"),
        (json!({"cacheonly": {}}), "type=cacheonly"),
        (json!({"raw": "type=local,dest=x"}), "type=local,dest=x"),
    ];
    for (input, expected) in table {
        assert_eq!(
            export(input.clone()).render(false).as_deref(),
            Some(expected),
            "{input}"
        );
    }
}

#[test]
fn previews_never_push() {
    assert_eq!(
        export(json!({"registry": {}})).render(true).as_deref(),
        Some("type=image,push=false")
    );
    assert_eq!(
        export(json!({"image": {"push": true}}))
            .render(true)
            .as_deref(),
        Some("type=image,push=false")
    );
    assert_eq!(
        export(json!({"raw": "type=registry,name=r/a"})).render(true),
        None
    );
    assert_eq!(
        export(json!({"raw": "type=local,dest=x"}))
            .render(true)
            .as_deref(),
        Some("type=local,dest=x")
    );
}

#[test]
fn zero_or_several_exporters_name_the_entry() {
    let failure = serde_json::from_value::<ExportInput>(json!({}))
        .unwrap()
        .validate(&PropertyPath::key("exports").index(3))
        .unwrap_err();
    assert_eq!(failure.property.to_string(), "exports[3]");
    let failure = serde_json::from_value::<ExportInput>(
        json!({"tar": {"dest": "a"}, "local": {"dest": "b"}}),
    )
    .unwrap()
    .validate(&PropertyPath::key("exports").index(0))
    .unwrap_err();
    assert!(
        failure.reason.contains("`local` and `tar`"),
        "{}",
        failure.reason
    );
}
