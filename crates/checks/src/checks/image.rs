//! Image supply chain: where images come from and whether they are immutable.

use std::borrow::Cow;

use palisade_crds::{Profile, Severity};

use crate::catalog::{Category, CheckDef, Eval, Expect, Fixture};
use crate::engine::{ContainerView, Violation, WorkloadCtx};

const NSA_IMAGES: &[&str] = &["Pod security: building secure container images"];

pub static CHECKS: &[CheckDef] = &[
    CheckDef {
        id: "image.mutable-tag",
        title: "Images name an immutable version",
        severity: Severity::Medium,
        category: Category::ImageSupplyChain,
        required_in: Some(Profile::Restricted),
        pss: None,
        cis: &[],
        nsa: NSA_IMAGES,
        fails_when: "an image has no tag or the `latest` tag",
        remediation: "Reference a released version tag (better, a digest) instead of `latest` or no tag, so every replica runs the same image.",
        reads_secret_data: false,
        eval: Eval::Workload(mutable_tag),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: a, image: nginx}, {name: b, image: 'ghcr.io/acme/api:latest'}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: a, image: 'localhost:5000/api:1.2.3'}, {name: b, image: 'nginx@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'}]}}",
            },
        ],
    },
    CheckDef {
        id: "image.digest-unpinned",
        title: "Images are pinned by digest",
        severity: Severity::Low,
        category: Category::ImageSupplyChain,
        required_in: None,
        pss: None,
        cis: &[],
        nsa: NSA_IMAGES,
        fails_when: "an image is not pinned by digest",
        remediation: "Reference images as `name@sha256:<digest>` (tools such as `crane digest` resolve a tag); set `parameters.requireImageDigest: true` to make this Required.",
        reads_secret_data: false,
        eval: Eval::Workload(digest_unpinned),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: a, image: 'nginx:1.27'}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: a, image: 'nginx:1.27@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'}]}}",
            },
        ],
    },
    CheckDef {
        id: "image.registry-not-allowed",
        title: "Images come from allowed registries",
        severity: Severity::High,
        category: Category::ImageSupplyChain,
        required_in: Some(Profile::Restricted),
        pss: None,
        cis: &["5.5.1"],
        nsa: NSA_IMAGES,
        fails_when: "an image comes from a registry outside the baseline's allow-list",
        remediation: "Pull the image from (or mirror it into) a registry listed in `parameters.allowedRegistries`. Entries match a registry host or a repository prefix such as `ghcr.io/example`; Docker Hub images are `docker.io/library/nginx` and `docker.io/<org>/<name>`. The check does nothing while the list is empty.",
        reads_secret_data: false,
        eval: Eval::Workload(registry_not_allowed),
        changes_at: None,
        fixtures: &[
            Fixture {
                expect: Expect::Fail,
                manifests: "{apiVersion: palisade.dev/v1alpha1, kind: HardeningBaseline, metadata: {name: b}, spec: {profile: restricted, namespaces: [default], parameters: {allowedRegistries: [registry.k8s.io, ghcr.io/example]}}}\n---\n{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: a, image: 'ghcr.io/examples/evil:1'}, {name: b, image: 'nginx:1.27'}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: palisade.dev/v1alpha1, kind: HardeningBaseline, metadata: {name: b}, spec: {profile: restricted, namespaces: [default], parameters: {allowedRegistries: [registry.k8s.io, ghcr.io/example, docker.io/library]}}}\n---\n{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: a, image: 'ghcr.io/example/api:1'}, {name: b, image: 'registry.k8s.io/pause:3.10'}, {name: c, image: 'nginx:1.27'}]}}",
            },
            Fixture {
                expect: Expect::Pass,
                manifests: "{apiVersion: v1, kind: Pod, metadata: {name: p}, spec: {containers: [{name: a, image: 'anywhere.example.com/x:1'}]}}",
            },
        ],
    },
];

/// The parts of an image reference, following the distribution reference grammar:
/// `[registry/]repository[:tag][@digest]`.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ImageRef<'a> {
    /// The registry host, `docker.io` when the reference names none.
    pub registry: &'a str,
    /// The repository path; Docker Hub's official images are under `library/`.
    pub repository: Cow<'a, str>,
    pub tag: Option<&'a str>,
    pub digest: Option<&'a str>,
}

pub(crate) fn parse_image(image: &str) -> ImageRef<'_> {
    let (name, digest) = match image.split_once('@') {
        Some((name, digest)) => (name, Some(digest)),
        None => (image, None),
    };
    let last_slash = name.rfind('/').map_or(0, |index| index + 1);
    let (name, tag) = match name[last_slash..].rfind(':') {
        Some(colon) => (&name[..last_slash + colon], Some(&name[last_slash + colon + 1..])),
        None => (name, None),
    };
    let (registry, repository) = match name.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => (first, Cow::Borrowed(rest)),
        Some(_) => ("docker.io", Cow::Borrowed(name)),
        None => ("docker.io", Cow::Owned(format!("library/{name}"))),
    };
    let registry = if registry == "index.docker.io" {
        "docker.io"
    } else {
        registry
    };
    ImageRef {
        registry,
        repository,
        tag,
        digest,
    }
}

fn each_image(ctx: &WorkloadCtx, violation: impl Fn(&str) -> Option<String>) -> Vec<Violation> {
    ctx.containers()
        .filter_map(|container: ContainerView| {
            let image = container.image?;
            violation(image).map(|message| Violation::container(&container, message))
        })
        .collect()
}

fn mutable_tag(ctx: &WorkloadCtx) -> Vec<Violation> {
    each_image(ctx, |image| {
        let reference = parse_image(image);
        if reference.digest.is_some() {
            return None;
        }
        match reference.tag {
            None => Some(format!("image {image} has no tag")),
            Some("latest") => Some(format!("image {image} uses the latest tag")),
            Some(_) => None,
        }
    })
}

fn digest_unpinned(ctx: &WorkloadCtx) -> Vec<Violation> {
    each_image(ctx, |image| {
        parse_image(image)
            .digest
            .is_none()
            .then(|| format!("image {image} is not pinned by digest"))
    })
}

fn registry_not_allowed(ctx: &WorkloadCtx) -> Vec<Violation> {
    let allowed = &ctx.params.allowed_registries;
    if allowed.is_empty() {
        return Vec::new();
    }
    each_image(ctx, |image| {
        let reference = parse_image(image);
        let full = format!("{}/{}", reference.registry, reference.repository);
        let permitted = allowed.iter().any(|entry| {
            let entry = entry.trim_end_matches('/');
            full == entry || full.starts_with(&format!("{entry}/"))
        });
        (!permitted).then(|| format!("image {image} comes from {}, which is not allowed", reference.registry))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_references() {
        let cases = [
            ("nginx", ("docker.io", "library/nginx", None, None)),
            ("nginx:1.27", ("docker.io", "library/nginx", Some("1.27"), None)),
            ("acme/api", ("docker.io", "acme/api", None, None)),
            ("localhost:5000/api:2", ("localhost:5000", "api", Some("2"), None)),
            ("localhost/api", ("localhost", "api", None, None)),
            (
                "ghcr.io/a/b/c:v1@sha256:00",
                ("ghcr.io", "a/b/c", Some("v1"), Some("sha256:00")),
            ),
            (
                "index.docker.io/library/redis",
                ("docker.io", "library/redis", None, None),
            ),
            ("", ("docker.io", "library/", None, None)),
        ];
        for (image, (registry, repository, tag, digest)) in cases {
            let parsed = parse_image(image);
            assert_eq!(
                (parsed.registry, parsed.repository.as_ref(), parsed.tag, parsed.digest),
                (registry, repository, tag, digest),
                "{image}"
            );
        }
    }
}
