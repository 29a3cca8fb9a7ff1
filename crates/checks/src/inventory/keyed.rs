//! Objects of one kind keyed by name, so a watch event replaces or deletes exactly the object it
//! names, and a manifest applied twice counts once (as `kubectl apply` would).

use std::collections::BTreeMap;
use std::collections::btree_map;

/// Objects of one kind in one namespace (or the cluster), by name, iterated in name order.
#[derive(Clone, Debug, PartialEq)]
pub struct Keyed<T>(BTreeMap<String, T>);

impl<T> Default for Keyed<T> {
    fn default() -> Self {
        Keyed(BTreeMap::new())
    }
}

impl<T: PartialEq> Keyed<T> {
    /// Stores the object under its key; whether this changed what is stored.
    pub fn put(&mut self, key: String, object: T) -> bool {
        match self.0.entry(key) {
            btree_map::Entry::Occupied(stored) if stored.get() == &object => false,
            btree_map::Entry::Occupied(mut stored) => {
                stored.insert(object);
                true
            }
            btree_map::Entry::Vacant(slot) => {
                slot.insert(object);
                true
            }
        }
    }
}

impl<T> Keyed<T> {
    /// Removes the object; whether there was one.
    pub fn remove(&mut self, key: &str) -> Option<T> {
        self.0.remove(key)
    }

    pub fn get(&self, key: &str) -> Option<&T> {
        self.0.get(key)
    }

    pub fn iter(&self) -> btree_map::Values<'_, String, T> {
        self.0.values()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl<'a, T> IntoIterator for &'a Keyed<T> {
    type Item = &'a T;
    type IntoIter = btree_map::Values<'a, String, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.values()
    }
}

impl<T> IntoIterator for Keyed<T> {
    type Item = (String, T);
    type IntoIter = btree_map::IntoIter<String, T>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.into_iter()
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
