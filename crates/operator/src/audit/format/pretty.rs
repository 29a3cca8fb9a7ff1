//! serde_json's pretty layout for parts of one document rendered apart: a value nested in a
//! document written by hand, and arrays of findings rendered on every core.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::Serializer;
use serde_json::ser::Formatter;

/// Writes `value` as the value of a key `depth` levels into a document.
pub fn write_value(value: &impl Serialize, depth: usize, out: &mut dyn Write) -> io::Result<()> {
    value.serialize(&mut Serializer::with_formatter(out, PrettyAt::depth(depth)))?;
    Ok(())
}

/// Writes the items of `parts`, in order, as one array that is the value of a key `depth` levels
/// into a document, each item as `write_item` writes it at `depth + 1`, on every core (printing
/// 31 MB of JSON for 72k findings was the largest step of an audit left on one thread).
pub fn write_array<'a, T: Sync>(
    parts: &[&'a [T]],
    depth: usize,
    write_item: impl Fn(&'a T, usize, &mut Vec<u8>) -> io::Result<()> + Sync,
    out: &mut dyn Write,
) -> io::Result<()> {
    if parts.iter().all(|part| part.is_empty()) {
        return out.write_all(b"[]");
    }
    out.write_all(b"[")?;
    let render_share = |items: &'a [T]| -> io::Result<Vec<u8>> {
        let mut text = Vec::with_capacity(items.len() * 512);
        for item in items {
            // Every item follows a separator, `,` and a new line; the very first has no comma.
            text.extend_from_slice(b",\n");
            indent(&mut text, depth + 1);
            write_item(item, depth + 1, &mut text)?;
        }
        Ok(text)
    };
    let mut skip = 1;
    for part in parts {
        crate::parallel::render_in_order(part, render_share, |text| {
            out.write_all(&text[skip..])?;
            skip = 0;
            Ok(())
        })?;
    }
    PrettyAt::depth(depth).new_line(out)?;
    out.write_all(b"]")
}

/// A JSON object written a field at a time in the layout of [`write_value`], `depth` levels into
/// a document, for records printed by the tens of thousands: serde_json looks at every byte of a
/// string on its own to escape it (7% of a one-core audit's samples); here a string is checked
/// eight bytes at a time and copied whole unless it needs escaping.
pub struct Object<'o> {
    out: &'o mut Vec<u8>,
    depth: usize,
    empty: bool,
}

impl<'o> Object<'o> {
    pub fn open(out: &'o mut Vec<u8>, depth: usize) -> Object<'o> {
        out.push(b'{');
        Object {
            out,
            depth,
            empty: true,
        }
    }

    fn key(&mut self, key: &str) {
        self.out.extend_from_slice(if self.empty { b"\n" } else { b",\n" });
        indent(self.out, self.depth + 1);
        write_str(self.out, key);
        self.out.extend_from_slice(b": ");
        self.empty = false;
    }

    pub fn string(&mut self, key: &str, value: &str) {
        self.key(key);
        write_str(self.out, value);
    }

    /// A field that is left out when there is no value.
    pub fn optional_string(&mut self, key: &str, value: Option<&str>) {
        if let Some(value) = value {
            self.string(key, value);
        }
    }

    pub fn number(&mut self, key: &str, value: u64) {
        self.key(key);
        // A `Vec` takes every byte written to it.
        let _ = write!(self.out, "{value}");
    }

    /// Any other value, as serde_json writes it.
    pub fn value(&mut self, key: &str, value: &impl Serialize) -> io::Result<()> {
        self.key(key);
        write_value(value, self.depth + 1, self.out)
    }

    /// A nested object, to be closed before this one is written to again.
    pub fn object(&mut self, key: &str) -> Object<'_> {
        self.key(key);
        Object::open(self.out, self.depth + 1)
    }

    pub fn close(self) {
        if !self.empty {
            self.out.push(b'\n');
            indent(self.out, self.depth);
        }
        self.out.push(b'}');
    }
}

/// `text` as a JSON string, escaped as serde_json escapes it.
fn write_str(out: &mut Vec<u8>, text: &str) {
    if needs_escaping(text.as_bytes()) {
        // A `Vec` takes every byte written to it, and a string always serializes.
        let _ = serde_json::to_writer(out, text);
    } else {
        out.reserve(text.len() + 2);
        out.push(b'"');
        out.extend_from_slice(text.as_bytes());
        out.push(b'"');
    }
}

/// Whether `bytes` hold a control character, `"` or `\\`, looked for eight bytes at a time: the
/// strings of findings are mostly short, too short for the compiler's vector loops.
fn needs_escaping(bytes: &[u8]) -> bool {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    const HIGH_BITS: u64 = u64::from_ne_bytes([0x80; 8]);
    // Whether a byte of `word` is below `limit` (at most 0x80): borrowing from a byte under the
    // limit sets its high bit where the byte's own high bit was clear.
    let has_byte_below = |word: u64, limit: u8| word.wrapping_sub(ONES * u64::from(limit)) & !word & HIGH_BITS != 0;
    let has_byte = |word: u64, byte: u8| has_byte_below(word ^ (ONES * u64::from(byte)), 1);
    let (words, rest) = bytes.as_chunks::<8>();
    words
        .iter()
        .map(|word| u64::from_ne_bytes(*word))
        .any(|word| has_byte_below(word, 0x20) || has_byte(word, b'"') || has_byte(word, b'\\'))
        || rest.iter().any(|&byte| byte < 0x20 || byte == b'"' || byte == b'\\')
}

/// Two spaces a level, as serde_json's pretty printer indents.
fn indentation(depth: usize) -> impl Iterator<Item = &'static [u8]> {
    const SPACES: &[u8] = &[b' '; 64];
    let mut left = 2 * depth;
    std::iter::from_fn(move || {
        let now = left.min(SPACES.len());
        left -= now;
        (now > 0).then(|| &SPACES[..now])
    })
}

fn indent(out: &mut Vec<u8>, depth: usize) {
    indentation(depth).for_each(|spaces| out.extend_from_slice(spaces));
}

/// serde_json's pretty layout (two spaces an indent) for a value `depth` levels into a document,
/// so that parts of one document can be rendered apart.
struct PrettyAt {
    depth: usize,
    has_value: bool,
}

impl PrettyAt {
    fn depth(depth: usize) -> PrettyAt {
        PrettyAt {
            depth,
            has_value: false,
        }
    }

    fn open<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        writer.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, writer: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.new_line(writer)?;
        }
        writer.write_all(bracket)
    }

    fn item<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        writer.write_all(if first { b"\n" } else { b",\n" })?;
        self.indent(writer)
    }

    fn new_line<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b"\n")?;
        self.indent(writer)
    }

    fn indent<W: ?Sized + Write>(&self, writer: &mut W) -> io::Result<()> {
        indentation(self.depth).try_for_each(|spaces| writer.write_all(spaces))
    }
}

impl Formatter for PrettyAt {
    fn begin_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"[")
    }

    fn end_array<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"]")
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.item(writer, first)
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    fn begin_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.open(writer, b"{")
    }

    fn end_object<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        self.close(writer, b"}")
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, writer: &mut W, first: bool) -> io::Result<()> {
        self.item(writer, first)
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, writer: &mut W) -> io::Result<()> {
        writer.write_all(b": ")
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, _writer: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::needs_escaping;

    #[test]
    fn every_byte_that_needs_escaping_is_found_wherever_it_is() {
        let escaped = |byte: u8| byte < 0x20 || byte == b'"' || byte == b'\\';
        for length in 1..20 {
            for at in 0..length {
                for filler in [b'a', 0x7F, 0x80, 0xFF, b'!', b'#', b'['] {
                    for byte in 0..=u8::MAX {
                        let mut bytes = vec![filler; length];
                        bytes[at] = byte;
                        assert_eq!(needs_escaping(&bytes), escaped(byte), "{bytes:?}");
                    }
                }
            }
        }
        assert!(!needs_escaping(b""));
    }
}
