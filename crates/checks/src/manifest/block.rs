//! A fast reader for the plain block-style YAML that `kubectl get -o yaml`, `helm template` and
//! `kustomize build` print: block mappings and sequences, single-line plain and quoted scalars,
//! block scalars (`|`, `|-`, `>`, `>-`), empty flow collections and comments. Such a document is
//! read several times faster than by the full parser, into exactly the value the full parser
//! gives. A large `List` is read item by item, its lines one at a time, so it is never held whole.
//!
//! Anything outside that subset makes it give up (`None`) so the full parser reads the document,
//! with its limits and its error messages: anchors, aliases, tags, merge keys, directives, flow
//! collections with content, multi-line plain or quoted scalars, folding beyond joining lines, escapes in quoted scalars, plain
//! scalars the full parser types by rules this reader does not repeat (`yes`, `0x1F`, `1e3`,
//! `.5`, …), duplicate keys, tabs, carriage returns and characters YAML treats specially. The
//! reader never errs: giving up is always safe, so each rule here errs on the side of it.

use serde_json::{Map, Number, Value};

/// Deepest nesting read here; deeper documents go to the full parser and its depth limit.
const MAX_DEPTH: usize = 64;
/// The full parser refuses implicit keys longer than this.
const MAX_KEY_BYTES: usize = 1024;

/// The value of one YAML document whose top level is a block mapping, or `None` when the
/// document is not plain block YAML (see the module's documentation).
pub(super) fn read(text: &str) -> Option<Value> {
    let mut reader = Reader::new(text)?;
    if reader.peek()?.indent != 0 {
        return None;
    }
    let value = reader.mapping(0, 1, None)?;
    // Every line with content must have been read: at the top level a line less indented
    // than the mapping cannot occur, so anything left is outside the subset.
    match reader.peek() {
        None => Some(value),
        Some(_) => None,
    }
}

/// Reads a `…List` document whose top level is a block mapping, handing each entry of its
/// `items` block sequence to `on_item` (with its index) as soon as it is read; the other fields
/// are read and dropped. So a List is never held whole, nor its lines.
///
/// `None` when the document is not plain block YAML or its `items` is not a block sequence: the
/// items handed over until then are its first ones, in order (nothing after them had been read),
/// and the caller reads the rest with the full parser.
pub(super) fn read_list(text: &str, on_item: &mut dyn FnMut(usize, Value)) -> Option<()> {
    let mut reader = Reader::new(text)?;
    let mut keys = std::collections::HashSet::new();
    while let Some(line) = reader.peek() {
        if line.indent != 0 {
            return None;
        }
        reader.advance();
        let (key, rest) = split_key(line.text)?;
        if !keys.insert(key.clone()) {
            return None;
        }
        if key != "items" {
            reader.value_of_key(rest, 0, 1)?;
            continue;
        }
        let rest = rest.trim_start_matches(' ');
        let entry = match reader.peek() {
            Some(next) if (rest.is_empty() || rest.starts_with('#')) && is_entry(next.text) => next,
            _ => return None,
        };
        let mut index = 0;
        reader.entries(entry.indent, 2, &mut |item| {
            on_item(index, item);
            index += 1;
        })?;
    }
    Some(())
}

/// No tab, carriage return or other control character, and none of the characters some YAML
/// versions read as line breaks or byte-order marks.
fn plain_characters(text: &str) -> bool {
    let control = |byte: u8| (byte < 0x20 && byte != b'\n') || byte == 0x7F;
    let special = |c: char| {
        matches!(
            c,
            '\u{80}'..='\u{9F}' | '\u{2028}' | '\u{2029}' | '\u{FEFF}' | '\u{FFFE}' | '\u{FFFF}'
        )
    };
    // Folded a block at a time so the compiler can test many bytes at once.
    !text
        .as_bytes()
        .chunks(64)
        .any(|block| block.iter().fold(false, |found, &byte| found | control(byte)))
        && (text.is_ascii() || !text.chars().any(special))
}

/// Whether a line starts with `-`, `.` or `%`, as document markers, end markers and directives
/// do, so only such texts pay for looking at their lines. A marker alone on the first line, as
/// every document but a file's first begins, does not count: the reader reads it as a blank line.
fn has_marker_like_line(text: &str) -> bool {
    let body = after_leading_marker(text).as_bytes();
    let marker_like = |byte: u8| matches!(byte, b'-' | b'.' | b'%');
    let after_a_break = body
        .iter()
        .zip(body.get(1..).unwrap_or_default())
        .fold(false, |found, (&before, &byte)| {
            found | (before == b'\n' && marker_like(byte))
        });
    body.first().is_some_and(|&byte| marker_like(byte)) || after_a_break
}

/// Whether no end marker or directive starts a line and every document marker comes before the
/// content, alone on its line or with a comment.
fn one_document(text: &str) -> bool {
    let mut content_seen = false;
    for line in text.split_inclusive('\n').map(Line::of) {
        if line.indent == 0 {
            if let Some(after) = line.text.strip_prefix("---") {
                // A document marker is only read before the content. Whatever else follows it is
                // left to the full parser.
                let after = after.trim_start_matches(' ');
                if content_seen || !(after.is_empty() || after.starts_with('#')) {
                    return false;
                }
            } else if line.text.starts_with("...") || line.text.starts_with('%') {
                return false;
            }
        }
        content_seen |= line.has_content();
    }
    true
}

/// The text after its first line when that line is a document marker alone or with a comment.
fn after_leading_marker(text: &str) -> &str {
    let (first, rest) = text.split_once('\n').unwrap_or((text, ""));
    match first.strip_prefix("---").map(|after| after.trim_start_matches(' ')) {
        Some(after) if after.is_empty() || after.starts_with('#') => rest,
        _ => text,
    }
}

#[derive(Clone, Copy)]
struct Line<'a> {
    /// Leading spaces.
    indent: usize,
    /// The rest of the line, without its line break; empty for a blank line.
    text: &'a str,
    /// Whether the line ends with a line break (only the last line of a text may not).
    broken: bool,
}

impl<'a> Line<'a> {
    /// A line as split off its text, its line break included.
    fn of(raw: &'a str) -> Line<'a> {
        let (body, broken) = match raw.strip_suffix('\n') {
            Some(body) => (body, true),
            None => (raw, false),
        };
        let text = body.trim_start_matches(' ');
        Line {
            indent: body.len() - text.len(),
            text,
            broken,
        }
    }

    fn has_content(&self) -> bool {
        !self.text.is_empty() && !self.text.starts_with('#')
    }
}

/// Reads lines one at a time: a `List` of 100k pods has six million of them, too many to keep.
struct Reader<'a> {
    raw: std::str::SplitInclusive<'a, char>,
    /// The line the reader is at, once taken from `raw`.
    current: Option<Line<'a>>,
}

impl<'a> Reader<'a> {
    /// A reader of `text`, unless it has characters outside the subset (see [`plain_characters`])
    /// or a line marks it as more than one document or as using directives (the caller cuts a
    /// text into documents at its markers; see [`one_document`]).
    fn new(text: &'a str) -> Option<Self> {
        if !plain_characters(text) || (has_marker_like_line(text) && !one_document(text)) {
            return None;
        }
        Some(Reader {
            raw: text.split_inclusive('\n'),
            current: None,
        })
    }

    /// The line the reader is at, blank or not (a document marker reads as a blank line).
    fn line(&mut self) -> Option<Line<'a>> {
        if self.current.is_none() {
            self.current = self.raw.next().map(|raw| {
                let line = Line::of(raw);
                match line.indent == 0 && line.text.starts_with("---") {
                    true => Line { text: "", ..line },
                    false => line,
                }
            });
        }
        self.current
    }

    /// Moves past the line the reader is at.
    fn advance(&mut self) {
        self.current = None;
    }

    /// The next line with content; blank and comment lines before it are passed over.
    fn peek(&mut self) -> Option<Line<'a>> {
        while let Some(line) = self.line() {
            if line.has_content() {
                return Some(line);
            }
            self.advance();
        }
        None
    }

    /// A block mapping whose keys are at `indent`; its `first` entry already split when it starts
    /// on a sequence entry's line.
    fn mapping(&mut self, indent: usize, depth: usize, mut first: Option<(String, &'a str)>) -> Option<Value> {
        if depth > MAX_DEPTH {
            return None;
        }
        let mut map = Map::new();
        loop {
            let (key, rest) = match first.take() {
                Some(entry) => entry,
                None => {
                    let Some(line) = self.peek() else { break };
                    if line.indent < indent {
                        break;
                    }
                    if line.indent > indent {
                        return None;
                    }
                    self.advance();
                    split_key(line.text)?
                }
            };
            let value = self.value_of_key(rest, indent, depth)?;
            if map.insert(key, value).is_some() {
                return None;
            }
        }
        Some(Value::Object(map))
    }

    /// The value of a mapping key at `indent`, given what follows its colon on the key's line.
    fn value_of_key(&mut self, rest: &'a str, indent: usize, depth: usize) -> Option<Value> {
        let rest = rest.trim_start_matches(' ');
        if !(rest.is_empty() || rest.starts_with('#')) {
            return self.inline(rest, indent, indent + 1);
        }
        match self.peek() {
            Some(next) if next.indent > indent => self.block(next.indent, depth + 1),
            // A sequence may sit at its key's own indentation, as kubectl prints it.
            Some(next) if next.indent == indent && is_entry(next.text) => self.sequence(indent, depth + 1),
            _ => Some(Value::Null),
        }
    }

    /// A block mapping or sequence at `indent`.
    fn block(&mut self, indent: usize, depth: usize) -> Option<Value> {
        match self.peek() {
            Some(line) if is_entry(line.text) => self.sequence(indent, depth),
            _ => self.mapping(indent, depth, None),
        }
    }

    /// A block sequence whose `-` are at `indent`.
    fn sequence(&mut self, indent: usize, depth: usize) -> Option<Value> {
        let mut items = Vec::new();
        self.entries(indent, depth, &mut |item| items.push(item))?;
        Some(Value::Array(items))
    }

    /// The entries of a block sequence whose `-` are at `indent`, each handed to `each` once read.
    fn entries(&mut self, indent: usize, depth: usize, each: &mut dyn FnMut(Value)) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        while let Some(line) = self.peek() {
            if line.indent < indent || (line.indent == indent && !is_entry(line.text)) {
                break;
            }
            if line.indent > indent {
                return None;
            }
            let after_dash = &line.text[1..];
            let rest = after_dash.trim_start_matches(' ');
            self.advance();
            let item = if rest.is_empty() || rest.starts_with('#') {
                match self.peek() {
                    Some(next) if next.indent > indent => self.block(next.indent, depth + 1)?,
                    _ => Value::Null,
                }
            } else if is_entry(rest) {
                return None;
            } else if let Some(first) = split_key(rest) {
                // A mapping that starts on the entry's line: its keys line up with the first.
                let column = indent + 1 + (after_dash.len() - rest.len());
                self.mapping(column, depth + 1, Some(first))?
            } else {
                self.inline(rest, indent, indent + 2)?
            };
            each(item);
        }
        Some(())
    }

    /// A value written on its key's or entry's line (`rest`, not empty, no comment), under a
    /// parent at `indent`. A literal block scalar's lines must be indented at least
    /// `content_indent`.
    fn inline(&mut self, rest: &'a str, indent: usize, content_indent: usize) -> Option<Value> {
        let value = match rest.as_bytes()[0] {
            b'"' | b'\'' => {
                let (text, after) = quoted(rest)?;
                if !ends_line(after) {
                    return None;
                }
                Value::String(text)
            }
            b'|' | b'>' => {
                let keep_last_break = match rest[1..].trim_end_matches(' ') {
                    "" => true,
                    "-" => false,
                    _ => return None,
                };
                return self.block_scalar(content_indent, rest.starts_with('>'), keep_last_break);
            }
            b'[' | b'{' => match rest.trim_end_matches(' ') {
                "[]" => Value::Array(Vec::new()),
                "{}" => Value::Object(Map::new()),
                _ => return None,
            },
            _ => plain(rest)?,
        };
        // A more indented line after a one-line scalar continues it (or is an error).
        match self.peek() {
            Some(next) if next.indent > indent => None,
            _ => Some(value),
        }
    }

    /// The lines of a block scalar, its header already read: every line indented at least as
    /// much as its first (which must be at least `content_indent`), blank lines between them
    /// kept; the last line break kept (`|`, `>`) or not (`|-`, `>-`), trailing blank lines
    /// dropped. A folded scalar (`>`) is read only when its lines are all at one indentation
    /// with no blank line between them (as tools print a long string); they join with spaces.
    fn block_scalar(&mut self, content_indent: usize, folded: bool, keep_last_break: bool) -> Option<Value> {
        let mut text = String::new();
        let mut block_indent = None;
        let mut blank_lines = 0;
        while let Some(line) = self.line() {
            if line.text.is_empty() {
                // Spaces beyond the block's indentation on a blank line are content; blank lines
                // before the first line are read differently by YAML versions: both left out.
                if block_indent.is_none_or(|indent| line.indent > indent) {
                    return None;
                }
                blank_lines += 1;
                self.advance();
                continue;
            }
            let indent = match block_indent {
                Some(indent) if line.indent < indent => break,
                Some(indent) => indent,
                None if line.indent < content_indent => return None,
                None => *block_indent.insert(line.indent),
            };
            if !line.broken || (folded && (blank_lines > 0 || line.indent > indent || line.text.ends_with(' '))) {
                return None;
            }
            if folded && !text.is_empty() {
                text.pop();
                text.push(' ');
            }
            for _ in 0..blank_lines {
                text.push('\n');
            }
            blank_lines = 0;
            text.extend(std::iter::repeat_n(' ', line.indent - indent));
            text.push_str(line.text);
            text.push('\n');
            self.advance();
        }
        block_indent?;
        if !keep_last_break {
            text.pop();
        }
        Some(Value::String(text))
    }
}

/// A block sequence entry: `-` alone or followed by a space.
fn is_entry(text: &str) -> bool {
    text == "-" || text.starts_with("- ")
}

/// The key of a `key: value` line and what follows its colon, when the line is one and its key
/// is a string the full parser reads alike.
fn split_key(text: &str) -> Option<(String, &str)> {
    if let Some(split) = split_simple_key(text) {
        return Some(split);
    }
    if text.starts_with(['"', '\'']) {
        let (key, after) = quoted(text)?;
        let rest = after.strip_prefix(':')?;
        return (rest.is_empty() || rest.starts_with(' ')).then_some((key, rest));
    }
    let colon = text
        .match_indices(':')
        .map(|(at, _)| at)
        .find(|&at| text[at + 1..].is_empty() || text[at + 1..].starts_with(' '))?;
    let key = &text[..colon];
    if key.len() > MAX_KEY_BYTES || key.ends_with(' ') || key == "<<" || key.contains(" #") {
        return None;
    }
    match plain(key)? {
        Value::String(key) => Some((key, &text[colon + 1..])),
        _ => None,
    }
}

/// [`split_key`] for the keys objects are made of (`apiVersion`, `app.kubernetes.io/name`): a
/// letter, then letters, digits and `-_./` up to the colon. No such key is structure, a comment
/// or a number, so it is the string it reads as unless it is a word the full parser types
/// (`true`, `null`, `on`, …), which is left to the general reading.
fn split_simple_key(text: &str) -> Option<(String, &str)> {
    let bytes = text.as_bytes();
    if !bytes.first()?.is_ascii_alphabetic() {
        return None;
    }
    let colon = bytes
        .iter()
        .position(|&byte| !(byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'/')))?;
    let key = &text[..colon];
    let ends_key = bytes[colon] == b':' && matches!(bytes.get(colon + 1), None | Some(b' '));
    (ends_key && key.len() <= MAX_KEY_BYTES && !is_typed_word(key)).then(|| (key.to_string(), &text[colon + 1..]))
}

/// A single-line quoted scalar at the start of `text` and what follows it. Escapes in double
/// quotes are left to the full parser.
fn quoted(text: &str) -> Option<(String, &str)> {
    let quote = text.chars().next()?;
    let body = &text[1..];
    if quote == '"' {
        let end = body.find(['"', '\\'])?;
        return (body.as_bytes()[end] == b'"').then(|| (body[..end].to_string(), &body[end + 1..]));
    }
    let mut value = String::new();
    let mut rest = body;
    loop {
        let end = rest.find('\'')?;
        value.push_str(&rest[..end]);
        match rest[end + 1..].strip_prefix('\'') {
            Some(after) => {
                value.push('\'');
                rest = after;
            }
            None => return Some((value, &rest[end + 1..])),
        }
    }
}

/// Whether what follows a quoted scalar ends its line: nothing, spaces, or spaces and a comment.
fn ends_line(after: &str) -> bool {
    let trimmed = after.trim_start_matches(' ');
    trimmed.is_empty() || (trimmed.starts_with('#') && trimmed.len() < after.len())
}

/// A one-line plain scalar (its comment cut off) typed as the full parser types it, or `None`
/// when the full parser could type it by rules not repeated here or read it as structure.
fn plain(text: &str) -> Option<Value> {
    let (text, colon_space) = cut_comment(text);
    let text = text.trim_end_matches(' ');
    let mut chars = text.chars();
    let first = chars.next()?;
    let second = chars.next();
    let indicator = matches!(
        first,
        '?' | ':' | ',' | '[' | ']' | '{' | '}' | '#' | '&' | '*' | '!' | '|' | '>' | '\'' | '"' | '%' | '@' | '`'
    );
    if indicator || colon_space || text.ends_with(':') {
        return None;
    }
    if first.is_ascii_digit() || (first == '-' && second.is_some_and(|c| c.is_ascii_digit())) {
        return numeric(text);
    }
    if first == '-' && !second.is_some_and(|c| c == '-' || c.is_ascii_alphabetic()) {
        return None;
    }
    if matches!(first, '+' | '.' | '~') {
        return (text == "~").then_some(Value::Null);
    }
    match text {
        "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" => return Some(Value::Bool(true)),
        "false" => return Some(Value::Bool(false)),
        _ => {}
    }
    (!is_typed_word(text)).then(|| Value::String(text.to_string()))
}

/// A word some YAML version types as a boolean, null or float in some spelling.
fn is_typed_word(text: &str) -> bool {
    const TYPED_WORDS: [&str; 12] = [
        "true", "false", "yes", "no", "on", "off", "y", "n", "null", "nan", "inf", "infinity",
    ];
    const LONGEST_TYPED_WORD: usize = "infinity".len();
    text.len() <= LONGEST_TYPED_WORD && TYPED_WORDS.iter().any(|word| text.eq_ignore_ascii_case(word))
}

/// The text before a ` #` comment, and whether a `: ` comes before it: one pass over the
/// spaces, as every key and value of a document is read through here.
fn cut_comment(text: &str) -> (&str, bool) {
    let bytes = text.as_bytes();
    let mut colon_space = false;
    for (at, byte) in bytes.iter().enumerate() {
        if *byte != b' ' {
            continue;
        }
        if bytes.get(at + 1) == Some(&b'#') {
            return (&text[..at], colon_space);
        }
        colon_space |= at > 0 && bytes[at - 1] == b':';
    }
    (text, colon_space)
}

/// A scalar that starts with a digit: a decimal integer, or a string when it has a character no
/// number the full parser reads has (`128Mi`, `100m`, `8080/TCP`, `0.0.0.0/0`). Other numbers
/// (`0.5`, `0x1F`, `1_000`, `1e3`, `0777`) and the strings made only of such characters are
/// left to the full parser.
fn numeric(text: &str) -> Option<Value> {
    const NUMBER_CHARACTERS: &str = "0123456789abcdefABCDEF_.+-xXoOpPnNiItTyY";
    match integer(text) {
        Some(number) => Some(number),
        None if text.chars().all(|c| NUMBER_CHARACTERS.contains(c)) => None,
        None => Some(Value::String(text.to_string())),
    }
}

/// A decimal integer without sign, leading zeros or separators, small enough for any integer
/// type (`-?(0|[1-9][0-9]{0,17})`).
fn integer(text: &str) -> Option<Value> {
    let digits = text.strip_prefix('-').unwrap_or(text);
    let canonical = !digits.is_empty()
        && digits.len() <= 18
        && digits.bytes().all(|byte| byte.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && !(text.starts_with('-') && digits == "0");
    if !canonical {
        return None;
    }
    text.parse::<i64>()
        .ok()
        .map(|number| Value::Number(Number::from(number)))
}

#[cfg(test)]
mod tests;
