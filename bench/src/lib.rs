//! Shared inputs of Palisade's benchmarks.

use serde_json::{Value, json};

/// The ReplicaSet (as the operator watches it: metadata only) that owns [`typical_pod`]s, so they
/// are reported as one Deployment, as on a cluster.
pub fn typical_replica_set(namespace: &str) -> Value {
    json!({"apiVersion": "apps/v1", "kind": "ReplicaSet", "metadata": {
        "name": "web-7d9f8c6b5", "namespace": namespace,
        "labels": {"app": "web", "pod-template-hash": "7d9f8c6b5"},
        "ownerReferences": [{"apiVersion": "apps/v1", "kind": "Deployment", "name": "web", "uid": "d",
            "controller": true}]},
        "spec": {"selector": {"matchLabels": {"app": "web"}}}})
}

/// A pod as a Deployment's ReplicaSet creates it on a real cluster: two containers, probes,
/// resources, a partial security context, env and the injected service-account token volume.
/// It fails some checks and passes others, so evaluation walks every code path it usually does.
pub fn typical_pod(namespace: &str, index: usize) -> Value {
    let container = |name: &str, image: &str| {
        json!({
            "name": name, "image": image,
            "ports": [{"containerPort": 8080, "name": "http"}],
            "env": [
                {"name": "LOG_LEVEL", "value": "info"},
                {"name": "DB_HOST", "value": "postgres.db.svc"},
                {"name": "DB_PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
                {"name": "POD_NAME", "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}},
            ],
            "envFrom": [{"configMapRef": {"name": "settings"}}],
            "resources": {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"memory": "256Mi"}},
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080}},
            "readinessProbe": {"httpGet": {"path": "/ready", "port": 8080}},
            "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}},
            "volumeMounts": [
                {"name": "config", "mountPath": "/etc/app"},
                {"name": "tmp", "mountPath": "/tmp"},
                {"name": "kube-api-access-x7k2p", "mountPath": "/var/run/secrets/kubernetes.io/serviceaccount", "readOnly": true},
            ],
        })
    };
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {
            "name": format!("web-7d9f8c6b5-{index:05}"), "namespace": namespace,
            "labels": {"app": "web", "pod-template-hash": "7d9f8c6b5"},
            "annotations": {"prometheus.io/scrape": "true"},
            "ownerReferences": [{"apiVersion": "apps/v1", "kind": "ReplicaSet", "name": "web-7d9f8c6b5",
                "uid": "6f1c", "controller": true, "blockOwnerDeletion": true}],
        },
        "spec": {
            "serviceAccountName": "web",
            "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [container("app", "ghcr.io/example/web:1.4.2"), container("proxy", "envoyproxy/envoy:v1.31.0")],
            "volumes": [
                {"name": "config", "configMap": {"name": "web-config"}},
                {"name": "tmp", "emptyDir": {}},
                {"name": "kube-api-access-x7k2p", "projected": {"sources": [
                    {"serviceAccountToken": {"path": "token", "expirationSeconds": 3607}},
                    {"configMap": {"name": "kube-root-ca.crt", "items": [{"key": "ca.crt", "path": "ca.crt"}]}},
                ]}},
            ],
        },
    })
}
