//! Block-style YAML, as `kubectl get -o yaml` and `helm template` print it.

use serde_json::Value;

/// A block-style YAML text of a JSON value whose top level is an object, as kubectl prints one:
/// strings plain when they look like words, else in double quotes (JSON's escapes are YAML's).
pub fn block_yaml(value: &Value) -> String {
    let mut out = String::new();
    emit_node(value, 0, &mut out);
    out
}

fn emit_node(value: &Value, indent: usize, out: &mut String) {
    let pad = " ".repeat(indent);
    match value {
        Value::Object(fields) => {
            for (key, value) in fields {
                out.push_str(&format!("{pad}{}:", scalar(&Value::String(key.clone()))));
                emit_value(value, indent, true, out);
            }
        }
        Value::Array(items) => {
            for item in items {
                match item {
                    Value::Object(fields) if !fields.is_empty() => {
                        let mut nested = String::new();
                        emit_node(item, indent + 2, &mut nested);
                        out.push_str(&format!("{pad}- {}", &nested[indent + 2..]));
                    }
                    _ => {
                        out.push_str(&format!("{pad}-"));
                        emit_value(item, indent, false, out);
                    }
                }
            }
        }
        scalar_value => out.push_str(&format!("{pad}{}\n", scalar(scalar_value))),
    }
}

/// A value after its key's colon or its entry's dash.
fn emit_value(value: &Value, indent: usize, of_key: bool, out: &mut String) {
    match value {
        Value::Object(fields) if !fields.is_empty() => {
            out.push('\n');
            emit_node(value, indent + 2, out);
        }
        // kubectl prints a key's sequence at the key's own indentation.
        Value::Array(items) if !items.is_empty() => {
            out.push('\n');
            emit_node(value, if of_key { indent } else { indent + 2 }, out);
        }
        Value::String(text) if text.contains('\n') && !text.contains(['\r', '\t']) && !text.starts_with(' ') => {
            let chomp = if text.ends_with('\n') { "" } else { "-" };
            out.push_str(&format!(" |{chomp}\n"));
            for line in text.strip_suffix('\n').unwrap_or(text).split('\n') {
                if !line.is_empty() {
                    out.push_str(&" ".repeat(indent + 2));
                }
                out.push_str(line);
                out.push('\n');
            }
        }
        scalar_value => out.push_str(&format!(" {}\n", scalar(scalar_value))),
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(text)
            if text
                .chars()
                .next()
                .is_some_and(|first| first.is_ascii_alphabetic() || first == '/')
                && text.chars().all(|c| c.is_ascii_alphanumeric() || "./-_=:".contains(c))
                && !text.ends_with(':')
                && !["y", "n", "yes", "no", "on", "off", "true", "false", "null"]
                    .contains(&text.to_ascii_lowercase().as_str()) =>
        {
            text.clone()
        }
        Value::Object(_) => "{}".to_string(),
        Value::Array(_) => "[]".to_string(),
        other => other.to_string(),
    }
}
