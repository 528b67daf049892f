//! An indexed slab: records in one `Vec` (vacated places reused) found by their key through
//! an open-addressing index of `u32`s, so a table holds each key once and pays ~4-10 bytes
//! of index per record instead of a second copy of the key.
//!
//! The slab does not know how to hash a record: callers pass the hash of the key they look
//! for and, when the index must move records (growth, removal), a function hashing a
//! stored record. Both must agree.

/// What the slab needs from a record.
pub(super) trait Record {
    /// True for a place that holds no record (free for reuse).
    fn is_vacant(&self) -> bool;
    /// Empties the place (dropping what the record owns).
    fn vacate(&mut self);
}

/// Bits of an index slot naming the record; the bits above hold part of the record's hash,
/// which spares reading most records that share a probe sequence.
const INDEX_BITS: u32 = 26;
const INDEX_MASK: u32 = (1 << INDEX_BITS) - 1;
/// An empty index slot (index bits all ones: never a record index, see [`MAX_RECORDS`]).
const EMPTY: u32 = u32::MAX;
/// Records a slab holds at most; [`Slab::insert`] refuses more.
pub(super) const MAX_RECORDS: usize = INDEX_MASK as usize;
/// The index grows past this load (numerator / 8).
const MAX_LOAD_EIGHTHS: usize = 6;

fn tag_of(hash: u64) -> u32 {
    ((hash >> 58) as u32) << INDEX_BITS
}

/// Records of type `T` with an index over their keys. See the module documentation.
pub(super) struct Slab<T> {
    records: Vec<T>,
    /// Vacant places of `records`, reused last-freed first.
    free: Vec<u32>,
    /// Linear probing; a power of two long (or empty). Each slot is [`EMPTY`] or
    /// `hash tag | record index`.
    slots: Vec<u32>,
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            records: Vec::new(),
            free: Vec::new(),
            slots: Vec::new(),
            len: 0,
        }
    }
}

impl<T: Record> Slab<T> {
    /// Records held.
    pub(super) fn len(&self) -> usize {
        self.len
    }

    /// The record at `index`, vacant or not.
    pub(super) fn get(&self, index: u32) -> Option<&T> {
        self.records.get(index as usize)
    }

    pub(super) fn get_mut(&mut self, index: u32) -> Option<&mut T> {
        self.records.get_mut(index as usize)
    }

    /// Every place with its index, vacant ones included (callers filter).
    pub(super) fn places(&self) -> impl Iterator<Item = (u32, &T)> {
        self.records.iter().enumerate().map(|(i, r)| (i as u32, r))
    }

    /// Every place with its index, mutable: callers may change what is not the key and
    /// must not vacate a record (use [`Slab::remove`]).
    pub(super) fn places_mut(&mut self) -> impl Iterator<Item = (u32, &mut T)> {
        self.records
            .iter_mut()
            .enumerate()
            .map(|(i, r)| (i as u32, r))
    }

    /// The index of the record with key hash `hash` for which `eq` holds.
    pub(super) fn find(&self, hash: u64, eq: impl Fn(&T) -> bool) -> Option<u32> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let tag = tag_of(hash);
        let mut pos = hash as usize & mask;
        // At least one slot is empty (the load stays under 1), so the walk ends there.
        for _ in 0..self.slots.len() {
            let slot = *self.slots.get(pos)?;
            if slot == EMPTY {
                return None;
            }
            if slot & !INDEX_MASK == tag {
                let index = slot & INDEX_MASK;
                if self.records.get(index as usize).is_some_and(&eq) {
                    return Some(index);
                }
            }
            pos = (pos + 1) & mask;
        }
        None
    }

    /// Makes room for `additional` more records without moving the index or the records.
    pub(super) fn reserve(&mut self, additional: usize, hash_of: impl Fn(&T) -> u64) {
        let wanted = self.len.saturating_add(additional).min(MAX_RECORDS);
        // New places needed beyond the vacant ones (`reserve_exact` counts from the length).
        let places = wanted.saturating_sub(self.len + self.free.len());
        self.records.reserve_exact(places);
        self.grow_index(wanted, &hash_of);
    }

    /// Stores a record whose key is not held yet (the caller checked with [`Slab::find`]);
    /// returns its index, or `None` when the slab is full ([`MAX_RECORDS`]).
    pub(super) fn insert(
        &mut self,
        hash: u64,
        record: T,
        hash_of: impl Fn(&T) -> u64,
    ) -> Option<u32> {
        if self.len >= MAX_RECORDS {
            return None;
        }
        self.grow_index(self.len + 1, &hash_of);
        let index = match self.free.pop() {
            Some(index) => {
                *self.records.get_mut(index as usize)? = record;
                index
            }
            None => {
                if self.records.len() == self.records.capacity() {
                    // Grow by a quarter, not double: a table's slack stays under 25 %.
                    let more = (self.records.capacity() / 4).max(16);
                    self.records.reserve_exact(more);
                }
                self.records.push(record);
                (self.records.len() - 1) as u32
            }
        };
        self.place(hash, index);
        self.len += 1;
        Some(index)
    }

    /// Removes the record at `index` (hashing `hash`): its index slot is freed by shifting
    /// the following ones back, and the place is vacated for reuse.
    pub(super) fn remove(&mut self, index: u32, hash: u64, hash_of: impl Fn(&T) -> u64) {
        if self
            .records
            .get(index as usize)
            .map_or(true, Record::is_vacant)
            || self.slots.is_empty()
        {
            return;
        }
        let mask = self.slots.len() - 1;
        let mut pos = hash as usize & mask;
        let mut found = None;
        for _ in 0..self.slots.len() {
            match self.slots.get(pos) {
                Some(&EMPTY) | None => break,
                Some(&slot) if slot & INDEX_MASK == index => {
                    found = Some(pos);
                    break;
                }
                Some(_) => pos = (pos + 1) & mask,
            }
        }
        let Some(mut hole) = found else { return };
        let mut next = (hole + 1) & mask;
        for _ in 0..self.slots.len() {
            let slot = match self.slots.get(next) {
                Some(&EMPTY) | None => break,
                Some(&slot) => slot,
            };
            let home = self
                .records
                .get((slot & INDEX_MASK) as usize)
                .map_or(next, |r| hash_of(r) as usize & mask);
            // The entry may move back into the hole when the hole lies on its probe path
            // (between its home slot and where it sits now).
            if next.wrapping_sub(home) & mask >= next.wrapping_sub(hole) & mask {
                if let Some(place) = self.slots.get_mut(hole) {
                    *place = slot;
                }
                hole = next;
            }
            next = (next + 1) & mask;
        }
        if let Some(place) = self.slots.get_mut(hole) {
            *place = EMPTY;
        }
        if let Some(record) = self.records.get_mut(index as usize) {
            record.vacate();
        }
        self.free.push(index);
        self.len -= 1;
    }

    /// Puts `index` in the first empty slot of `hash`'s probe sequence.
    fn place(&mut self, hash: u64, index: u32) {
        let mask = self.slots.len() - 1;
        let mut pos = hash as usize & mask;
        for _ in 0..self.slots.len() {
            if let Some(slot) = self.slots.get_mut(pos) {
                if *slot == EMPTY {
                    *slot = tag_of(hash) | index;
                    return;
                }
            }
            pos = (pos + 1) & mask;
        }
    }

    /// Doubles the index until `count` records fit under the maximum load.
    fn grow_index(&mut self, count: usize, hash_of: &impl Fn(&T) -> u64) {
        let mut size = self.slots.len().max(16);
        while count * 8 > size * MAX_LOAD_EIGHTHS {
            size *= 2;
        }
        if size == self.slots.len() {
            return;
        }
        self.slots = vec![EMPTY; size];
        for i in 0..self.records.len() {
            let hash = match self.records.get(i) {
                Some(record) if !record.is_vacant() => hash_of(record),
                _ => continue,
            };
            self.place(hash, i as u32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq)]
    struct R(Option<u64>);

    impl Record for R {
        fn is_vacant(&self) -> bool {
            self.0.is_none()
        }
        fn vacate(&mut self) {
            self.0 = None;
        }
    }

    /// A deliberately poor hash (many collisions) to exercise probing and back-shifts.
    fn h(key: u64) -> u64 {
        (key % 7).wrapping_mul(0x9E37_79B9_7F4A_7C15)
    }

    fn hash_of(r: &R) -> u64 {
        h(r.0.unwrap_or(0))
    }

    #[test]
    fn insert_find_remove_and_reuse() {
        let mut slab: Slab<R> = Slab::default();
        for key in 0..1000u64 {
            assert!(slab.find(h(key), |r| r.0 == Some(key)).is_none());
            let index = slab.insert(h(key), R(Some(key)), hash_of).unwrap();
            assert_eq!(index as u64, key);
        }
        assert_eq!(slab.len(), 1000);
        for key in (0..1000u64).step_by(3) {
            let index = slab.find(h(key), |r| r.0 == Some(key)).unwrap();
            slab.remove(index, h(key), hash_of);
        }
        for key in 0..1000u64 {
            let found = slab.find(h(key), |r| r.0 == Some(key));
            assert_eq!(found.is_some(), key % 3 != 0, "key {key}");
            if let Some(index) = found {
                assert_eq!(slab.get(index), Some(&R(Some(key))));
            }
        }
        assert_eq!(slab.len(), 1000 - 334);
        // Vacated places are reused before the records grow.
        let records = slab.records.len();
        let index = slab.insert(h(5000), R(Some(5000)), hash_of).unwrap();
        assert_eq!(slab.records.len(), records);
        assert_eq!(index % 3, 0);
        assert_eq!(slab.find(h(5000), |r| r.0 == Some(5000)), Some(index));
    }

    #[test]
    fn reserve_makes_room_without_moving() {
        let mut slab: Slab<R> = Slab::default();
        slab.reserve(1000, hash_of);
        let (capacity, slots) = (slab.records.capacity(), slab.slots.len());
        assert!(capacity >= 1000);
        for key in 0..1000u64 {
            slab.insert(h(key), R(Some(key)), hash_of).unwrap();
        }
        assert_eq!(
            (slab.records.capacity(), slab.slots.len()),
            (capacity, slots)
        );
    }

    #[test]
    fn removing_an_absent_or_vacant_record_changes_nothing() {
        let mut slab: Slab<R> = Slab::default();
        slab.remove(0, 0, hash_of);
        let index = slab.insert(h(1), R(Some(1)), hash_of).unwrap();
        slab.remove(index, h(1), hash_of);
        slab.remove(index, h(1), hash_of);
        assert_eq!(slab.len(), 0);
        assert!(slab.find(h(1), |r| r.0 == Some(1)).is_none());
    }
}
