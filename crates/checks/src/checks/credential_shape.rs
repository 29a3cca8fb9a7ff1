//! Well-known credential formats, told by their shape alone. An env value, a command or argument
//! and a ConfigMap value are judged when the object is stored: what is kept is a marker naming
//! the kind of credential found (see [`CredentialShape::marker`]), never the value, so checks read
//! the same thing in the operator and offline and no value stays in memory.
//!
//! Each matcher wants a format's distinctive prefix or structure, its length and a token boundary
//! on both sides, so that ordinary configuration (hostnames, versions, words) does not match.

/// Where a marker starts; what follows is the shape's name and [`MARKER_END`].
const MARKER_START: &str = "(credential: ";
const MARKER_END: &str = ")";

/// A kind of credential recognisable by its shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CredentialShape {
    /// A PEM block labelled `... PRIVATE KEY` (PKCS#1, PKCS#8, EC, OpenSSH, encrypted) or
    /// `PGP PRIVATE KEY BLOCK`.
    PrivateKey,
    /// `AKIA` (long-term) or `ASIA` (temporary) and 16 uppercase letters or digits.
    AwsAccessKeyId,
    /// `ghp_`, `gho_`, `ghu_`, `ghs_` or `ghr_` and 36 letters or digits, or `github_pat_` and
    /// 82 letters, digits or underscores.
    GitHubToken,
    /// `glpat-` and at least 20 letters, digits, `_` or `-`.
    GitLabToken,
    /// `xoxb-`, `xoxa-`, `xoxp-`, `xoxr-` or `xoxs-` and at least 20 letters, digits or `-`, in
    /// dash-separated parts the first of which is a number.
    SlackToken,
    /// `sk_live_` or `rk_live_` and at least 24 letters or digits (test-mode keys are not secret).
    StripeLiveKey,
    /// `AIza` and 35 letters, digits, `_` or `-`.
    GoogleApiKey,
    /// Three base64url parts, signed, whose first decodes to a JSON object with an `alg`.
    Jwt,
    /// `[a-z0-9]{6}.[a-z0-9]{16}` standing alone, its secret part holding a letter and a digit.
    BootstrapToken,
}

impl CredentialShape {
    /// Every shape, in the order a value is matched against them (the first found is recorded).
    pub const ALL: [CredentialShape; 9] = [
        CredentialShape::PrivateKey,
        CredentialShape::AwsAccessKeyId,
        CredentialShape::GitHubToken,
        CredentialShape::GitLabToken,
        CredentialShape::SlackToken,
        CredentialShape::StripeLiveKey,
        CredentialShape::GoogleApiKey,
        CredentialShape::Jwt,
        CredentialShape::BootstrapToken,
    ];

    pub fn name(self) -> &'static str {
        match self {
            CredentialShape::PrivateKey => "PEM private key",
            CredentialShape::AwsAccessKeyId => "AWS access key ID",
            CredentialShape::GitHubToken => "GitHub token",
            CredentialShape::GitLabToken => "GitLab access token",
            CredentialShape::SlackToken => "Slack token",
            CredentialShape::StripeLiveKey => "Stripe live secret key",
            CredentialShape::GoogleApiKey => "Google API key",
            CredentialShape::Jwt => "JSON Web Token",
            CredentialShape::BootstrapToken => "Kubernetes bootstrap token",
        }
    }

    /// The name with its indefinite article, for messages ("an AWS access key ID").
    pub fn phrase(self) -> String {
        let name = self.name();
        let vowel = name.starts_with(['A', 'E', 'I', 'O', 'U']);
        format!("{} {name}", if vowel { "an" } else { "a" })
    }

    /// Whether the value holds a credential of this shape.
    pub fn matches(self, value: &[u8]) -> bool {
        anchors(value).any(|at| self.is_at(value, at))
    }

    /// The shape of the first credential in the value.
    pub fn find(value: &[u8]) -> Option<CredentialShape> {
        // One pass over the value (ConfigMaps run to megabytes), trying the shapes only where
        // one of them can be anchored.
        anchors(value).find_map(|at| CredentialShape::ALL.into_iter().find(|shape| shape.is_at(value, at)))
    }

    /// Whether a credential of this shape is anchored at `at`: it starts there, or, for a
    /// bootstrap token, has its dot there.
    fn is_at(self, value: &[u8], at: usize) -> bool {
        match self {
            CredentialShape::PrivateKey => pem_private_key_at(value, at),
            CredentialShape::AwsAccessKeyId => aws_access_key_id_at(value, at),
            CredentialShape::GitHubToken => github_token_at(value, at),
            CredentialShape::GitLabToken => gitlab_token_at(value, at),
            CredentialShape::SlackToken => slack_token_at(value, at),
            CredentialShape::StripeLiveKey => stripe_live_key_at(value, at),
            CredentialShape::GoogleApiKey => google_api_key_at(value, at),
            CredentialShape::Jwt => jwt_at(value, at),
            CredentialShape::BootstrapToken => bootstrap_token_at(value, at),
        }
    }

    /// What a value holding this shape is stored as.
    pub fn marker(self) -> String {
        format!("{MARKER_START}{}{MARKER_END}", self.name())
    }

    /// The shape a stored marker records.
    pub fn from_marker(stored: &[u8]) -> Option<CredentialShape> {
        let name = stored
            .strip_prefix(MARKER_START.as_bytes())?
            .strip_suffix(MARKER_END.as_bytes())?;
        CredentialShape::ALL
            .into_iter()
            .find(|shape| shape.name().as_bytes() == name)
    }

    /// The shape to record for a value being stored: the one its marker records when it was
    /// stored already (objects are stripped more than once on their way in), else the one it holds.
    pub fn to_record(value: &[u8]) -> Option<CredentialShape> {
        CredentialShape::from_marker(value).or_else(|| CredentialShape::find(value))
    }
}

/// The start of each occurrence of `needle` in `haystack` (none for an empty needle).
pub(super) fn starts_of<'a>(haystack: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    let first = needle.first().copied();
    haystack
        .iter()
        .enumerate()
        .filter(move |(_, byte)| Some(**byte) == first)
        .map(|(start, _)| start)
        .filter(move |start| haystack.get(*start..start + needle.len()) == Some(needle))
}

/// The position just after each occurrence of `needle` in `haystack`.
pub(super) fn ends_of<'a>(haystack: &'a [u8], needle: &'a [u8]) -> impl Iterator<Item = usize> + 'a {
    starts_of(haystack, needle).map(move |start| start + needle.len())
}

/// The first position of `needle` in `haystack`.
pub(super) fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    starts_of(haystack, needle).next()
}

fn is_alphanumeric(byte: &u8) -> bool {
    byte.is_ascii_alphanumeric()
}

fn is_word(byte: &u8) -> bool {
    byte.is_ascii_alphanumeric() || *byte == b'_'
}

fn is_base64url(byte: &u8) -> bool {
    byte.is_ascii_alphanumeric() || *byte == b'_' || *byte == b'-'
}

fn is_upper_alphanumeric(byte: &u8) -> bool {
    byte.is_ascii_uppercase() || byte.is_ascii_digit()
}

/// The first byte of every prefix above, and the dot of a bootstrap token.
const ANCHOR_BYTES: &[u8] = b"-Agxsre.";

/// Where a credential may be anchored: each byte some shape starts with.
fn anchors(value: &[u8]) -> impl Iterator<Item = usize> + '_ {
    let mut anchor = [false; 256];
    for byte in ANCHOR_BYTES {
        anchor[usize::from(*byte)] = true;
    }
    value
        .iter()
        .enumerate()
        .filter(move |(_, byte)| anchor[usize::from(**byte)])
        .map(|(at, _)| at)
}

/// The longest token body looked at: longer than any token's, so a length test on a run cut
/// here is still exact, and short enough that input packed with prefixes (`xoxb-xoxb-…`)
/// costs linear time.
const MAX_TOKEN_BODY: usize = 256;

/// A PEM label is a few words; the search for its end stops here.
const MAX_PEM_LABEL: usize = 64;

/// The run of `body` characters (up to [`MAX_TOKEN_BODY`]) after `prefix` when `prefix` starts
/// a token at `at` (no `token` character right before it).
fn prefixed_run<'a>(
    value: &'a [u8],
    at: usize,
    prefix: &[u8],
    token: fn(&u8) -> bool,
    body: fn(&u8) -> bool,
) -> Option<&'a [u8]> {
    let rest = value.get(at..)?.strip_prefix(prefix)?;
    let before = at.checked_sub(1).and_then(|index| value.get(index));
    let rest = rest.get(..MAX_TOKEN_BODY).unwrap_or(rest);
    (!before.is_some_and(token)).then(|| run(rest, body))
}

/// Whether one of the prefixes starts a token at `at` whose body passes `accept`.
fn prefixed_at(
    value: &[u8],
    at: usize,
    prefixes: &[&[u8]],
    token: fn(&u8) -> bool,
    body: fn(&u8) -> bool,
    accept: impl Fn(&[u8]) -> bool,
) -> bool {
    prefixes
        .iter()
        .filter_map(|prefix| prefixed_run(value, at, prefix, token, body))
        .any(accept)
}

/// A PEM block whose label ends in `PRIVATE KEY`, or a PGP private key block.
fn pem_private_key_at(value: &[u8], at: usize) -> bool {
    let Some(rest) = value.get(at..).and_then(|rest| rest.strip_prefix(b"-----BEGIN ")) else {
        return false;
    };
    let head = rest.get(..MAX_PEM_LABEL).unwrap_or(rest);
    let label = find(head, b"-----").and_then(|label_end| head.get(..label_end));
    label.is_some_and(|label| {
        !label.contains(&b'\n') && (label.ends_with(b"PRIVATE KEY") || label == b"PGP PRIVATE KEY BLOCK")
    })
}

fn aws_access_key_id_at(value: &[u8], at: usize) -> bool {
    prefixed_at(
        value,
        at,
        &[b"AKIA", b"ASIA"],
        is_upper_alphanumeric,
        is_upper_alphanumeric,
        |body| body.len() == 16,
    )
}

fn github_token_at(value: &[u8], at: usize) -> bool {
    let classic: [&[u8]; 5] = [b"ghp_", b"gho_", b"ghu_", b"ghs_", b"ghr_"];
    prefixed_at(value, at, &classic, is_word, is_alphanumeric, |body| body.len() == 36)
        || prefixed_at(value, at, &[b"github_pat_"], is_word, is_word, |body| body.len() == 82)
}

fn gitlab_token_at(value: &[u8], at: usize) -> bool {
    prefixed_at(value, at, &[b"glpat-"], is_base64url, is_base64url, |body| {
        body.len() >= 20
    })
}

fn slack_token_at(value: &[u8], at: usize) -> bool {
    let prefixes: [&[u8]; 5] = [b"xoxb-", b"xoxa-", b"xoxp-", b"xoxr-", b"xoxs-"];
    let is_body = |byte: &u8| byte.is_ascii_alphanumeric() || *byte == b'-';
    prefixed_at(value, at, &prefixes, is_alphanumeric, is_body, |body| {
        let mut parts = body.split(|byte| *byte == b'-');
        let numbered = parts
            .next()
            .is_some_and(|first| !first.is_empty() && first.iter().all(u8::is_ascii_digit));
        body.len() >= 20 && numbered && parts.any(|part| !part.is_empty())
    })
}

fn stripe_live_key_at(value: &[u8], at: usize) -> bool {
    prefixed_at(
        value,
        at,
        &[b"sk_live_", b"rk_live_"],
        is_word,
        is_alphanumeric,
        |body| body.len() >= 24,
    )
}

fn google_api_key_at(value: &[u8], at: usize) -> bool {
    prefixed_at(value, at, &[b"AIza"], is_base64url, is_base64url, |body| {
        body.len() == 35
    })
}

/// A signed JWT: `header.payload.signature` in base64url, the header a JSON object naming its
/// algorithm. (A JSON object's base64url always starts `eyJ`, the encoding of `{"`.)
fn jwt_at(value: &[u8], at: usize) -> bool {
    let before = at.checked_sub(1).and_then(|index| value.get(index));
    let starts_token = !before.is_some_and(|byte| is_base64url(byte) || *byte == b'.');
    let text = value.get(at..).unwrap_or_default();
    starts_token && text.starts_with(b"eyJ") && is_signed_jwt(text)
}

/// Whether `text` starts with `header.payload.signature`, each part non-empty base64url.
fn is_signed_jwt(text: &[u8]) -> bool {
    let header = run(text, is_base64url);
    let Some(rest) = text.get(header.len()..).and_then(|rest| rest.strip_prefix(b".")) else {
        return false;
    };
    let payload = run(rest, is_base64url);
    let Some(rest) = rest.get(payload.len()..).and_then(|rest| rest.strip_prefix(b".")) else {
        return false;
    };
    !payload.is_empty() && !run(rest, is_base64url).is_empty() && header_names_algorithm(header)
}

/// The longest start of `text` made of `body` characters.
fn run(text: &[u8], body: fn(&u8) -> bool) -> &[u8] {
    let length = text.iter().take_while(|byte| body(byte)).count();
    text.get(..length).unwrap_or_default()
}

fn header_names_algorithm(header: &[u8]) -> bool {
    let Some(json) = decode_base64url(header) else {
        return false;
    };
    serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(&json)
        .is_ok_and(|header| header.contains_key("alg"))
}

/// Unpadded base64url, as JWTs use it; `None` when the text is not.
fn decode_base64url(text: &[u8]) -> Option<Vec<u8>> {
    if text.len() % 4 == 1 {
        return None;
    }
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut bits, mut count) = (0u32, 0u32);
    for byte in text {
        let sextet = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(sextet);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push(((bits >> count) & 0xff) as u8);
        }
    }
    Some(out)
}

/// A kubeadm bootstrap token, `<id>.<secret>`, with its dot at `dot`: six and sixteen lowercase
/// letters or digits, not part of a longer name (a hostname or a file name has more dots or
/// characters around). The secret is random, so it holds a letter and a digit (all but about
/// 0.6% of tokens do); words and names rarely do.
fn bootstrap_token_at(value: &[u8], dot: usize) -> bool {
    let is_token = |byte: &u8| byte.is_ascii_lowercase() || byte.is_ascii_digit();
    let is_name = |byte: &u8| byte.is_ascii_alphanumeric() || matches!(byte, b'.' | b'-' | b'_');
    let Some(id_start) = dot.checked_sub(6) else {
        return false;
    };
    let id = value.get(id_start..dot).unwrap_or_default();
    let secret = value.get(dot + 1..dot + 17).unwrap_or_default();
    let before = id_start.checked_sub(1).and_then(|index| value.get(index));
    let after = value.get(dot + 17);
    value.get(dot) == Some(&b'.')
        && id.len() == 6
        && secret.len() == 16
        && id.iter().all(is_token)
        && secret.iter().all(is_token)
        && secret.iter().any(u8::is_ascii_digit)
        && secret.iter().any(u8::is_ascii_lowercase)
        && !before.is_some_and(is_name)
        && !after.is_some_and(is_name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use CredentialShape::*;

    /// The shape found in each value (`None` for none).
    fn shapes(values: &[&str]) -> Vec<Option<CredentialShape>> {
        values
            .iter()
            .map(|value| CredentialShape::find(value.as_bytes()))
            .collect()
    }

    fn all(value: &str, count: usize) -> String {
        value.repeat(count)
    }

    #[test]
    fn private_keys() {
        let found = shapes(&[
            "-----BEGIN RSA PRIVATE KEY-----\nMIIE...",
            "x\n-----BEGIN PRIVATE KEY-----",
            "-----BEGIN EC PRIVATE KEY-----",
            "-----BEGIN OPENSSH PRIVATE KEY-----",
            "-----BEGIN ENCRYPTED PRIVATE KEY-----",
            "-----BEGIN PGP PRIVATE KEY BLOCK-----",
        ]);
        assert!(found.iter().all(|shape| *shape == Some(PrivateKey)), "{found:?}");
        let near_misses = shapes(&[
            "-----BEGIN CERTIFICATE-----\n-----END PRIVATE KEY-----",
            "-----BEGIN PUBLIC KEY-----",
            "-----BEGIN PGP PUBLIC KEY BLOCK-----",
            "-----BEGIN PRIVATE\nKEY-----",
            "-----BEGIN ",
            "BEGIN RSA PRIVATE KEY",
        ]);
        assert!(near_misses.iter().all(Option::is_none), "{near_misses:?}");
    }

    #[test]
    fn aws_access_key_ids() {
        assert_eq!(
            shapes(&[
                "AKIAIOSFODNN7EXAMPLE",
                "id=ASIAIOSFODNN7EXAMPLE\n",
                "--key AKIAIOSFODNN7EXAMPLE,x"
            ]),
            [Some(AwsAccessKeyId); 3]
        );
        assert_eq!(
            shapes(&[
                "AKIAIOSFODNN7EXAMPLEX",
                "XAKIAIOSFODNN7EXAMPLE",
                "AKIAIOSFODNN7EXAMPL",
                "AKIAiosfodnn7example",
                "AKIBIOSFODNN7EXAMPLE",
                "",
            ]),
            [None; 6]
        );
    }

    #[test]
    fn github_tokens() {
        let classic = format!("ghp_{}", all("a1B2", 9));
        let fine_grained = format!(
            "github_pat_{}_{}",
            all("A1", 11),
            all("b2c", 20).get(..59).unwrap_or_default()
        );
        assert_eq!(fine_grained.len(), "github_pat_".len() + 82);
        let values = [
            format!("token={classic}"),
            format!("gho_{}", all("Z9", 18)),
            format!("ghs_{}", all("Z9", 18)),
            format!("Authorization: token {fine_grained}\n"),
        ];
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        assert_eq!(shapes(&values), [Some(GitHubToken); 4]);
        let misses = [
            format!("ghp_{}", all("a", 35)),
            format!("ghp_{}", all("a", 37)),
            format!("xghp_{}", all("a", 36)),
            format!("ghx_{}", all("a", 36)),
            format!("github_pat_{}", all("a", 81)),
            "ghp_".to_string(),
        ];
        let misses: Vec<&str> = misses.iter().map(String::as_str).collect();
        assert_eq!(shapes(&misses), [None; 6]);
    }

    #[test]
    fn gitlab_slack_and_stripe_tokens() {
        let values = [
            format!("glpat-{}", all("x_Y-", 5)),
            format!("glpat-{}.01.0a1b2c3d4", all("Ab1", 9)),
            "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx".to_string(),
            "xoxp-1234567890-1234567890-1234567890-0123456789abcdef0123456789abcdef".to_string(),
            "xoxe.xoxp-1-Mi0yLTEyMzQ1Njc4OTAtMTIzNDU2Nzg5MA".to_string(),
            format!("STRIPE_KEY=sk_live_{}", all("4eC39HqLyjWD", 2)),
            format!("rk_live_{}", all("a1", 15)),
        ];
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        assert_eq!(
            shapes(&values),
            [
                Some(GitLabToken),
                Some(GitLabToken),
                Some(SlackToken),
                Some(SlackToken),
                Some(SlackToken),
                Some(StripeLiveKey),
                Some(StripeLiveKey)
            ]
        );
        let misses = [
            format!("glpat-{}", all("a", 19)),
            format!("xglpat-{}", all("a", 20)),
            "xoxb-not-a-real-token-at-all-here".to_string(),
            "xoxb-12345".to_string(),
            format!("xoxb-{}", all("1", 24)),
            format!("sk_test_{}", all("a1", 15)),
            format!("sk_live_{}", all("a", 23)),
            format!("pk_live_{}", all("a1", 15)),
        ];
        let misses: Vec<&str> = misses.iter().map(String::as_str).collect();
        assert_eq!(shapes(&misses), [None; 8]);
    }

    #[test]
    fn google_api_keys() {
        let key = format!("AIza{}", all("Sy-_9", 7));
        assert_eq!(key.len(), 39);
        let values = [key.clone(), format!("\"apiKey\": \"{key}\"")];
        assert_eq!(shapes(&[&values[0], &values[1]]), [Some(GoogleApiKey); 2]);
        let misses = [
            format!("{key}x"),
            format!("x{key}"),
            format!("AIza{}", all("a", 34)),
            format!("aiza{}", all("a", 35)),
        ];
        let misses: Vec<&str> = misses.iter().map(String::as_str).collect();
        assert_eq!(shapes(&misses), [None; 4]);
    }

    #[test]
    fn jwts_need_a_json_header_with_an_algorithm_and_a_signature() {
        // {"alg":"HS256","typ":"JWT"} . {"sub":"example"} . a signature
        let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJleGFtcGxlIn0.c2lnbmF0dXJlLW5vdC1yZWFs";
        let bearer = format!("Authorization: Bearer {jwt}");
        assert_eq!(shapes(&[jwt, &bearer]), [Some(Jwt); 2]);
        let misses = [
            // Unsigned.
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJleGFtcGxlIn0.".to_string(),
            // {"typ":"JWT"}: no algorithm.
            "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiJleGFtcGxlIn0.c2lnbmF0dXJl".to_string(),
            // A header that is not base64url JSON.
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ.eyJzdWIiOiJleGFtcGxlIn0.c2lnbmF0dXJl".to_string(),
            // Two parts only.
            "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJleGFtcGxlIn0".to_string(),
            // Inside a longer base64 run.
            format!("x{jwt}"),
            "eyJ".to_string(),
        ];
        let misses: Vec<&str> = misses.iter().map(String::as_str).collect();
        assert_eq!(shapes(&misses), [None; 6]);
        assert_eq!(decode_base64url(b"eyJ9"), Some(b"{\"}".to_vec()));
        assert_eq!(decode_base64url(b"e"), None);
        assert_eq!(decode_base64url(b"ey+9"), None);
    }

    #[test]
    fn bootstrap_tokens_stand_alone() {
        assert_eq!(
            shapes(&[
                "abcdef.0123456789abcdef",
                "kubeadm join 10.0.0.1:6443 --token 07401b.f395accd246ae52d --discovery-token-ca-cert-hash sha256:x",
                "token: \"07401b.f395accd246ae52d\"",
            ]),
            [Some(BootstrapToken); 3]
        );
        assert_eq!(
            shapes(&[
                "abcdef.0123456789abcdef.example.com",
                "api.abcdef.0123456789abcdef",
                "mydb01.internalservices",
                "abcdef.0123456789012345",
                "abcdef.0123456789abcde",
                "ABCDEF.0123456789abcdef",
                "xabcdef.0123456789abcdef",
                "abcdef.0123456789abcdefx",
            ]),
            [None; 8]
        );
    }

    #[test]
    fn ordinary_configuration_holds_no_credential() {
        let values = [
            "postgres://app@db.payments.svc.cluster.local:5432/app?sslmode=verify-full",
            "--log-level=debug --listen=:8080 --config=/etc/app/config.yaml",
            "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ==\n-----END CERTIFICATE-----\n",
            "registry.example.com/team/image:v1.27.3@sha256:0123456789abcdef0123456789abcdef",
            "{\"apiVersion\": \"v1\", \"kind\": \"Config\", \"clusters\": []}",
            "ghp_ is GitHub's prefix; sk_live_ is Stripe's; AKIA starts AWS key ids",
        ];
        assert_eq!(shapes(&values), [None; 6]);
    }

    #[test]
    fn input_packed_with_prefixes_costs_linear_time() {
        // About a second unoptimized; matching that rescanned the rest of the value at each
        // prefix would take minutes.
        let started = std::time::Instant::now();
        for (packed, count) in [
            ("xoxb-", 50_000),
            ("-----BEGIN ", 20_000),
            ("eyJ.", 20_000),
            ("abcdef.", 20_000),
        ] {
            let value = packed.repeat(count);
            assert_eq!(CredentialShape::find(value.as_bytes()), None, "{packed}");
        }
        let elapsed = started.elapsed();
        assert!(elapsed < std::time::Duration::from_secs(20), "{elapsed:?}");
    }

    #[test]
    fn markers_round_trip_and_never_quote_the_value() {
        for shape in CredentialShape::ALL {
            let marker = shape.marker();
            assert_eq!(CredentialShape::from_marker(marker.as_bytes()), Some(shape));
            assert_eq!(
                CredentialShape::to_record(marker.as_bytes()),
                Some(shape),
                "stripping twice keeps it"
            );
            assert_eq!(CredentialShape::find(marker.as_bytes()), None, "{marker}");
        }
        assert_eq!(CredentialShape::from_marker(b"(credential: unknown)"), None);
        assert_eq!(
            CredentialShape::to_record(b"AKIAIOSFODNN7EXAMPLE"),
            Some(AwsAccessKeyId)
        );
        assert_eq!(AwsAccessKeyId.phrase(), "an AWS access key ID");
        assert_eq!(Jwt.phrase(), "a JSON Web Token");
    }
}
