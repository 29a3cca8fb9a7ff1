//! What is kept of a Secret's values when content checks read them: for each key, the cloud
//! credential its value holds (`secret.cloud-credentials`) and, when the value is worth comparing
//! across namespaces, a keyed digest of it (`secret.reused-value`). The values themselves are
//! dropped as each Secret is stored. The digest's key is drawn at random once per process, so
//! equal values match within the process and a digest means nothing outside it.

use std::hash::{BuildHasher, RandomState};
use std::sync::OnceLock;

use k8s_openapi::ByteString;
use k8s_openapi::api::core::v1::Secret;

use super::credential_shape::{CredentialShape, ends_of, find};

/// Shorter values (flags, ports, "true") repeat across namespaces without being shared secrets.
const MIN_REUSED_VALUE_LEN: usize = 8;
/// The keys where a secret's type puts a private key by design (the pattern is expected there).
const PRIVATE_KEY_SLOTS: &[(&str, &str)] = &[
    ("kubernetes.io/tls", "tls.key"),
    ("kubernetes.io/ssh-auth", "ssh-privatekey"),
];
/// The cloud credentials `secret.cloud-credentials` reports, as phrases for its messages.
const CLOUD_CREDENTIALS: [&str; 4] = [
    "an AWS access key ID",
    "a GCP service account key",
    "an Azure storage account key",
    "a PEM private key",
];
const RECORD_START: &str = "(palisade secret value: credential=";
const RECORD_DIGEST: &str = " digest=";
const RECORD_END: &str = ")";

/// What the checks know of one value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValueRecord {
    /// The cloud credential the value holds, as a phrase.
    pub credential: Option<&'static str>,
    /// The keyed digest of a value worth comparing across namespaces.
    pub digest: Option<u64>,
}

impl ValueRecord {
    fn of(value: &[u8], private_key_expected: bool) -> ValueRecord {
        ValueRecord {
            credential: credential_kind(value, private_key_expected),
            digest: is_shareable_secret(value).then(|| digest_key().hash_one(value)),
        }
    }

    fn encode(self) -> String {
        let credential = self
            .credential
            .and_then(|phrase| CLOUD_CREDENTIALS.iter().position(|known| *known == phrase))
            .map_or_else(|| "-".to_string(), |index| index.to_string());
        let digest = self
            .digest
            .map_or_else(|| "-".to_string(), |digest| format!("{digest:016x}"));
        format!("{RECORD_START}{credential}{RECORD_DIGEST}{digest}{RECORD_END}")
    }

    fn decode(stored: &[u8]) -> Option<ValueRecord> {
        let text = std::str::from_utf8(stored).ok()?;
        let fields = text.strip_prefix(RECORD_START)?.strip_suffix(RECORD_END)?;
        let (credential, digest) = fields.split_once(RECORD_DIGEST)?;
        let credential = match credential {
            "-" => None,
            index => Some(*CLOUD_CREDENTIALS.get(index.parse::<usize>().ok()?)?),
        };
        let digest = match digest {
            "-" => None,
            hex => Some(u64::from_str_radix(hex, 16).ok()?),
        };
        Some(ValueRecord { credential, digest })
    }
}

/// One key for the process's digests.
fn digest_key() -> &'static RandomState {
    static KEY: OnceLock<RandomState> = OnceLock::new();
    KEY.get_or_init(RandomState::new)
}

/// Replaces every value of `data` and `stringData` by its record, in `data`.
pub fn record_values(secret: &mut Secret) {
    if secret.data.is_none() && secret.string_data.is_none() {
        return;
    }
    let recorded = records(secret)
        .map(|(key, record)| (key.to_string(), ByteString(record.encode().into_bytes())))
        .collect();
    secret.data = Some(recorded);
    secret.string_data = None;
}

/// The record of each key's value: read from a stored record, or made from a value not recorded
/// yet (`stringData` wins over `data`, as the API server merges them).
pub fn records(secret: &Secret) -> impl Iterator<Item = (&str, ValueRecord)> {
    let data = secret
        .data
        .iter()
        .flatten()
        .filter(|(key, _)| {
            !secret
                .string_data
                .as_ref()
                .is_some_and(|strings| strings.contains_key(*key))
        })
        .map(|(key, value)| (key.as_str(), value.0.as_slice()));
    let string_data = secret
        .string_data
        .iter()
        .flatten()
        .map(|(key, value)| (key.as_str(), value.as_bytes()));
    data.chain(string_data).map(|(key, value)| {
        let record =
            ValueRecord::decode(value).unwrap_or_else(|| ValueRecord::of(value, private_key_expected(secret, key)));
        (key, record)
    })
}

fn private_key_expected(secret: &Secret, key: &str) -> bool {
    let secret_type = secret.type_.as_deref().unwrap_or("Opaque");
    PRIVATE_KEY_SLOTS.contains(&(secret_type, key))
}

/// What kind of cloud credential the value holds, if any, as a phrase for the message.
fn credential_kind(value: &[u8], private_key_expected: bool) -> Option<&'static str> {
    let [aws, gcp, azure, private_key] = CLOUD_CREDENTIALS;
    if CredentialShape::AwsAccessKeyId.matches(value) {
        Some(aws)
    } else if is_gcp_service_account_key(value) {
        Some(gcp)
    } else if find(value, b"AccountKey=").is_some() {
        Some(azure)
    } else if !private_key_expected && CredentialShape::PrivateKey.matches(value) {
        Some(private_key)
    } else {
        None
    }
}

/// A GCP service account key file: JSON with `"type": "service_account"` and a private key.
fn is_gcp_service_account_key(value: &[u8]) -> bool {
    let is_service_account = ends_of(value, b"\"type\"").any(|end| {
        value
            .get(end..)
            .map(<[u8]>::trim_ascii_start)
            .and_then(|rest| rest.strip_prefix(b":"))
            .is_some_and(|rest| rest.trim_ascii_start().starts_with(b"\"service_account\""))
    });
    is_service_account && find(value, b"\"private_key\"").is_some()
}

/// Whether a value is worth comparing across namespaces: long enough not to repeat by chance,
/// and not a public certificate (CA bundles are meant to be shared).
fn is_shareable_secret(value: &[u8]) -> bool {
    let public_certificate =
        value.trim_ascii_start().starts_with(b"-----BEGIN CERTIFICATE-----") && find(value, b"PRIVATE KEY").is_none();
    value.len() >= MIN_REUSED_VALUE_LEN && !public_certificate
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn stored_secrets_keep_records_and_never_their_values() {
        let aws = "AKIAIOSFODNN7EXAMPLE";
        let shared = "a-long-shared-database-password";
        let mut secret: Secret = serde_json::from_value(json!({"metadata": {"name": "s"},
            "stringData": {"aws": aws, "password": shared, "short": "on"},
            "data": {"password": "b3ZlcnJpZGRlbg=="}}))
        .expect("a secret");
        let before: Vec<(String, ValueRecord)> = records(&secret)
            .map(|(key, record)| (key.to_string(), record))
            .collect();
        record_values(&mut secret);
        let stored = serde_json::to_string(&secret).expect("serializes");
        for value in [aws, shared, "overridden", "b3ZlcnJpZGRlbg=="] {
            assert!(!stored.contains(value), "{value} kept: {stored}");
        }
        let after: Vec<(String, ValueRecord)> = records(&secret)
            .map(|(key, record)| (key.to_string(), record))
            .collect();
        assert_eq!(after, before, "recording changes nothing the checks read");
        assert_eq!(after.len(), 3);
        let record = |key: &str| after.iter().find(|(name, _)| name == key).expect("a key").1;
        assert_eq!(record("aws").credential, Some("an AWS access key ID"));
        assert_eq!(
            record("password").digest,
            Some(digest_key().hash_one(shared.as_bytes()))
        );
        assert_eq!(record("short").digest, None);
        record_values(&mut secret);
        assert_eq!(
            records(&secret)
                .map(|(key, record)| (key.to_string(), record))
                .collect::<Vec<_>>(),
            after,
            "recording twice is recording once"
        );
    }

    #[test]
    fn gcp_service_account_keys() {
        assert!(is_gcp_service_account_key(
            br#"{"private_key": "k", "type" :"service_account"}"#
        ));
        assert!(!is_gcp_service_account_key(br#"{"type": "service_account"}"#));
        assert!(!is_gcp_service_account_key(br#"{"private_key": "k", "type""#));
    }

    #[test]
    fn a_value_shaped_like_a_record_that_is_not_one_is_a_value() {
        for stored in [
            "(palisade secret value: credential=9 digest=-)",
            "(palisade secret value: credential=- digest=xyz)",
            "(palisade secret value: credential=-)",
        ] {
            assert_eq!(ValueRecord::decode(stored.as_bytes()), None, "{stored}");
        }
    }
}
