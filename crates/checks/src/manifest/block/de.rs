//! The reader as a serde `Deserializer`: a document is read straight into whatever type asks for
//! it (a `serde_json::Value`, a Pod) as the type asks, collections a line at a time. Scalars are
//! handed over as `serde_json`'s own deserializer hands over the value the full parser gives,
//! so typing a document this way gives what typing its value gives. Anything outside the subset
//! and any error of the type fail with [`GiveUp`]: the caller then reads the document with the
//! full parser, whose value and typing say what is wrong.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;
use std::hash::BuildHasher;

use foldhash::fast::{FixedState, RandomState};
use serde::de::value::{
    BorrowedStrDeserializer, CowStrDeserializer, MapDeserializer, SeqDeserializer, StringDeserializer,
};
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::{MAX_DEPTH, Reader};

/// Why a document was not read here. It never reaches anyone: the full parser reads the
/// document again and tells what is wrong with it.
#[derive(Debug)]
pub struct GiveUp;

impl fmt::Display for GiveUp {
    fn fmt(&self, formatter: &mut fmt::Formatter) -> fmt::Result {
        formatter.write_str("left to the full parser")
    }
}

impl std::error::Error for GiveUp {}

impl de::Error for GiveUp {
    fn custom<T: fmt::Display>(_: T) -> Self {
        GiveUp
    }
}

/// What comes next in a document, before it is read.
pub enum Node<'a> {
    /// A block mapping whose keys are at `indent`, its first key and what follows its colon
    /// already split when it starts on a sequence entry's line.
    Mapping {
        indent: usize,
        depth: usize,
        first: Option<(Cow<'a, str>, &'a str)>,
    },
    /// A block sequence whose `-` are at `indent`.
    Sequence {
        indent: usize,
        depth: usize,
    },
    Scalar(Scalar<'a>),
}

/// A scalar as the full parser types it, or an empty flow collection.
pub enum Scalar<'a> {
    Null,
    Bool(bool),
    Integer(i64),
    String(Cow<'a, str>),
    EmptySequence,
    EmptyMapping,
}

pub struct NodeDeserializer<'r, 'a> {
    reader: &'r mut Reader<'a>,
    node: Node<'a>,
}

impl<'r, 'a> NodeDeserializer<'r, 'a> {
    pub fn new(reader: &'r mut Reader<'a>, node: Node<'a>) -> Self {
        NodeDeserializer { reader, node }
    }
}

impl<'de> Deserializer<'de> for NodeDeserializer<'_, 'de> {
    type Error = GiveUp;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GiveUp> {
        match self.node {
            Node::Mapping { depth, .. } | Node::Sequence { depth, .. } if depth > MAX_DEPTH => Err(GiveUp),
            Node::Mapping { indent, depth, first } => visitor.visit_map(Entries {
                reader: self.reader,
                indent,
                depth,
                first,
                rest: "",
                keys: SeenKeys::default(),
            }),
            Node::Sequence { indent, depth } => visitor.visit_seq(Items {
                reader: self.reader,
                indent,
                depth,
            }),
            Node::Scalar(scalar) => scalar.deserialize_any(visitor),
        }
    }

    // As `serde_json` does for a value: null is `None`, anything else `Some`.
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GiveUp> {
        match self.node {
            Node::Scalar(Scalar::Null) => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(self, _name: &'static str, visitor: V) -> Result<V::Value, GiveUp> {
        visitor.visit_newtype_struct(self)
    }

    // Only a string names a variant here; other forms are left to the full path.
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, GiveUp> {
        match self.node {
            Node::Scalar(Scalar::String(variant)) => visitor.visit_enum(CowStrDeserializer::<GiveUp>::new(variant)),
            _ => Err(GiveUp),
        }
    }

    // What is ignored is still read, line by line, so the reader moves past it.
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GiveUp> {
        self.deserialize_any(IgnoredAny)?;
        visitor.visit_unit()
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct seq tuple tuple_struct map struct identifier
    }
}

impl<'de> Scalar<'de> {
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, GiveUp> {
        match self {
            Scalar::Null => visitor.visit_unit(),
            Scalar::Bool(value) => visitor.visit_bool(value),
            // serde_json keeps an integer that is not negative as unsigned.
            Scalar::Integer(value) => match u64::try_from(value) {
                Ok(value) => visitor.visit_u64(value),
                Err(_) => visitor.visit_i64(value),
            },
            Scalar::String(Cow::Borrowed(value)) => visitor.visit_borrowed_str(value),
            Scalar::String(Cow::Owned(value)) => visitor.visit_string(value),
            Scalar::EmptySequence => visitor.visit_seq(SeqDeserializer::<_, GiveUp>::new(std::iter::empty::<()>())),
            Scalar::EmptyMapping => {
                visitor.visit_map(MapDeserializer::<_, GiveUp>::new(std::iter::empty::<((), ())>()))
            }
        }
    }
}

/// The entries of a block mapping, read as they are asked for.
struct Entries<'r, 'a> {
    reader: &'r mut Reader<'a>,
    indent: usize,
    depth: usize,
    first: Option<(Cow<'a, str>, &'a str)>,
    /// What follows the colon of the key just read.
    rest: &'a str,
    keys: SeenKeys,
}

impl<'de> MapAccess<'de> for Entries<'_, 'de> {
    type Error = GiveUp;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, GiveUp> {
        let entry = match self.first.take() {
            Some(entry) => Some(entry),
            None => self.reader.key(self.indent)?,
        };
        let Some((key, rest)) = entry else { return Ok(None) };
        // The full parser refuses a key written twice.
        if !self.keys.insert(&key) {
            return Err(GiveUp);
        }
        self.rest = rest;
        match key {
            Cow::Borrowed(key) => seed.deserialize(BorrowedStrDeserializer::new(key)),
            Cow::Owned(key) => seed.deserialize(StringDeserializer::new(key)),
        }
        .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, GiveUp> {
        let node = self.reader.value_of_key(self.rest, self.indent, self.depth)?;
        seed.deserialize(NodeDeserializer::new(self.reader, node))
    }
}

/// The entries of a block sequence, read as they are asked for.
struct Items<'r, 'a> {
    reader: &'r mut Reader<'a>,
    indent: usize,
    depth: usize,
}

impl<'de> SeqAccess<'de> for Items<'_, 'de> {
    type Error = GiveUp;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, GiveUp> {
        match self.reader.entry(self.indent, self.depth)? {
            Some(node) => seed.deserialize(NodeDeserializer::new(self.reader, node)).map(Some),
            None => Ok(None),
        }
    }
}

/// Fingerprints of the keys of one mapping read so far. Two keys with one fingerprint count as
/// one key written twice: reading straight gives up, and the full parser, which compares the keys
/// themselves, decides, so a collision costs time and never changes a result. Mappings are mostly
/// small: their fingerprints are kept in place and compared one by one (no allocation, no string
/// compared); a large mapping's are hashed, so no input makes the check quadratic.
#[derive(Default)]
struct SeenKeys {
    state: RandomState,
    listed: [u64; SeenKeys::LISTED],
    count: usize,
    /// Fingerprints are random already: a fixed hasher spreads them.
    hashed: HashSet<u64, FixedState>,
}

impl SeenKeys {
    const LISTED: usize = 16;

    /// Whether no key with the fingerprint of `key` was seen before in its mapping.
    fn insert(&mut self, key: &str) -> bool {
        let fingerprint = self.state.hash_one(key);
        if self.listed[..self.count].contains(&fingerprint) {
            return false;
        }
        if let Some(free) = self.listed.get_mut(self.count) {
            *free = fingerprint;
            self.count += 1;
            return true;
        }
        self.hashed.insert(fingerprint)
    }
}
