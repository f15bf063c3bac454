//! A set that remembers insertion order: the roles of a capture are listed in the order they appear,
//! and looked up once per connection or message, so an ACS-side capture with thousands of devices must
//! not make each lookup a scan.

use std::collections::HashSet;
use std::hash::Hash;
use std::ops::Deref;

/// Distinct values in the order they were first inserted. Derefs to the ordered slice.
#[derive(Clone, Debug)]
pub struct OrderedSet<T> {
    items: Vec<T>,
    index: HashSet<T>,
}

impl<T> Default for OrderedSet<T> {
    fn default() -> Self {
        OrderedSet {
            items: Vec::new(),
            index: HashSet::new(),
        }
    }
}

impl<T: Hash + Eq + Clone> OrderedSet<T> {
    /// Adds `x` unless present; true when it was new.
    pub fn insert(&mut self, x: T) -> bool {
        let new = self.index.insert(x.clone());
        if new {
            self.items.push(x);
        }
        new
    }

    pub fn contains(&self, x: &T) -> bool {
        self.index.contains(x)
    }
}

impl<T> Deref for OrderedSet<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.items
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_first_insertion_order_and_drops_repeats() {
        let mut s = OrderedSet::default();
        assert!(s.insert(3));
        assert!(s.insert(1));
        assert!(!s.insert(3));
        assert!(s.insert(2));
        assert_eq!(&s[..], &[3, 1, 2]);
        assert!(s.contains(&1) && !s.contains(&4));
    }
}
