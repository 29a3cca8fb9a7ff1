//! Objects of one kind keyed by name, so a watch event replaces or deletes exactly the object it
//! names, and a manifest applied twice counts once (as `kubectl apply` would).

use std::collections::BTreeMap;
use std::collections::btree_map;

thread_local! {
    /// The buffer [`Keyed::get_object`] builds its keys in, reused from lookup to lookup.
    static LOOKUP_KEY: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Objects of one kind in one namespace (or the cluster), by name, iterated in name order.
///
/// Each object is boxed: API objects are large (a `Workload` is about 170 bytes, a `Service`
/// 800) and a B-tree node reserves room for eleven values, which objects arriving in name order
/// (as lists return them) leave half empty. Boxed, a node holds pointers and each object takes
/// its own size.
#[derive(Clone, Debug, PartialEq)]
pub struct Keyed<T>(BTreeMap<String, Box<T>>);

impl<T> Default for Keyed<T> {
    fn default() -> Self {
        Keyed(BTreeMap::new())
    }
}

impl<T: PartialEq> Keyed<T> {
    /// Stores the object under its key; whether this changed what is stored.
    pub fn put(&mut self, key: String, object: T) -> bool {
        match self.0.entry(key) {
            btree_map::Entry::Occupied(stored) if **stored.get() == object => false,
            btree_map::Entry::Occupied(mut stored) => {
                **stored.get_mut() = object;
                true
            }
            btree_map::Entry::Vacant(slot) => {
                slot.insert(Box::new(object));
                true
            }
        }
    }
}

impl<T> Keyed<T> {
    /// Removes the object; whether there was one.
    pub fn remove(&mut self, key: &str) -> Option<T> {
        self.0.remove(key).map(|object| *object)
    }

    pub fn get(&self, key: &str) -> Option<&T> {
        self.0.get(key).map(|object| &**object)
    }

    /// The object stored under `Kind/name` (see [`super::object_key`]), looked up without
    /// allocating a key: evaluation resolves owners for every workload on every pass.
    pub fn get_object(&self, kind: &str, name: &str) -> Option<&T> {
        LOOKUP_KEY.with_borrow_mut(|key| {
            key.clear();
            key.push_str(kind);
            key.push('/');
            key.push_str(name);
            self.get(key)
        })
    }

    pub fn iter(&self) -> Values<'_, T> {
        self.0.values().map(|object| &**object)
    }

    /// Each key with its object, in key order.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &T)> {
        self.0.iter().map(|(key, object)| (key.as_str(), &**object))
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// The objects of a [`Keyed`], in name order.
pub type Values<'a, T> = std::iter::Map<btree_map::Values<'a, String, Box<T>>, fn(&Box<T>) -> &T>;

impl<'a, T> IntoIterator for &'a Keyed<T> {
    type Item = &'a T;
    type IntoIter = Values<'a, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<T> IntoIterator for Keyed<T> {
    type Item = (String, T);
    type IntoIter = std::iter::Map<btree_map::IntoIter<String, Box<T>>, fn((String, Box<T>)) -> (String, T)>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter().map(|(key, object)| (key, *object))
    }
}

#[cfg(test)]
mod tests {
    use super::Keyed;

    #[test]
    fn put_reports_changes_and_replaces_in_place() {
        let mut keyed = Keyed::default();
        assert!(keyed.put("b".into(), 1));
        assert!(!keyed.put("b".into(), 1), "the same object again changes nothing");
        assert!(keyed.put("b".into(), 2));
        assert!(keyed.put("a".into(), 3));
        assert_eq!(keyed.iter().copied().collect::<Vec<_>>(), [3, 2], "name order");
        assert_eq!(keyed.remove("b"), Some(2));
        assert_eq!(keyed.remove("b"), None);
        assert_eq!(keyed.len(), 1);
    }
}
