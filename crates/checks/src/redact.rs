//! Keeps input values out of error messages. Deserialization errors quote the offending value
//! (`invalid type: integer `12345`, expected a string`), which could be a secret or a literal
//! env value; quoted text is replaced by `…` unless it is a field name or part of what was
//! expected (both come from the schema, not from the input).

const REDACTED: &str = "…";
/// What a base64 error (Secret `data`, ConfigMap `binaryData`) puts before the byte of the value
/// it could not decode, unquoted: `Invalid symbol 33, offset 7.`
const BASE64_SYMBOL: [&str; 2] = ["Invalid symbol ", "Invalid last symbol "];

/// The message with every quoted input value, and the byte a base64 error names, replaced.
pub fn redact(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(start) = rest.find(['"', '`']) {
        let (before, from_quote) = rest.split_at(start);
        out.push_str(before);
        let quote = from_quote.chars().next().unwrap_or('"');
        let body = &from_quote[1..];
        let end = closing(body, quote);
        let keep = out.ends_with("field ") || out.contains("expected");
        out.push(quote);
        match end {
            Some(end) => {
                out.push_str(if keep { &body[..end] } else { REDACTED });
                out.push(quote);
                rest = &body[end + 1..];
            }
            None => {
                out.push_str(if keep { body } else { REDACTED });
                rest = "";
            }
        }
    }
    out.push_str(rest);
    without_base64_symbol(out)
}

fn without_base64_symbol(message: String) -> String {
    let Some(start) = BASE64_SYMBOL
        .iter()
        .find_map(|prefix| message.find(prefix).map(|at| at + prefix.len()))
    else {
        return message;
    };
    let end = message[start..]
        .find(|c: char| !c.is_ascii_alphanumeric())
        .map_or(message.len(), |length| start + length);
    format!("{}{REDACTED}{}", &message[..start], &message[end..])
}

/// Byte offset of the closing quote in `body`; double-quoted text is Debug-escaped.
fn closing(body: &str, quote: char) -> Option<usize> {
    let mut escaped = false;
    for (offset, c) in body.char_indices() {
        match c {
            '\\' if quote == '"' && !escaped => escaped = true,
            c if c == quote && !escaped => return Some(offset),
            _ => escaped = false,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn values_are_redacted_field_names_and_expectations_kept() {
        assert_eq!(
            redact("invalid type: integer `12345`, expected a string"),
            "invalid type: integer `…`, expected a string"
        );
        assert_eq!(
            redact(r#"invalid type: string "s3cr\"et", expected struct EnvVar"#),
            r#"invalid type: string "…", expected struct EnvVar"#
        );
        assert_eq!(
            redact("unknown variant `hunter2`, expected one of `Always`, `Never`"),
            "unknown variant `…`, expected one of `Always`, `Never`"
        );
        assert_eq!(redact("missing field `containers`"), "missing field `containers`");
        assert_eq!(redact("unterminated `abc"), "unterminated `…");
        assert_eq!(redact("no quotes at line 3 column 5"), "no quotes at line 3 column 5");
        assert_eq!(
            redact("data.key: Invalid symbol 33, offset 7."),
            "data.key: Invalid symbol …, offset 7."
        );
        assert_eq!(
            redact("Invalid last symbol 66, offset 3."),
            "Invalid last symbol …, offset 3."
        );
    }
}
