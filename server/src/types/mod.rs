//! Data types: the collection values (lists, hashes, sets, sorted sets) and the operations
//! that move, copy and free whole values whatever their type. Strings live inside their record
//! (see `db::record`); collections live in their database's object slab.

pub mod bits;
pub mod geo;
pub mod hash;
pub mod hll;
pub mod list;
pub mod pack;
pub mod set;
pub mod zset;
mod ztree;

use slab::Slab;

use crate::store::record::{ObjectKind, ObjectRef};

pub use hash::{Hash, HashLimits};
pub use list::{End, List, ListLimit};
pub use set::{Set, SetLimits};
pub use zset::{ZSet, ZSetLimits};

/// A collection value, owned: what moves between databases and to the lazy-free thread.
#[derive(Clone)]
pub enum Object {
    List(List),
    Hash(Hash),
    Set(Set),
    ZSet(ZSet),
}

/// A stored collection, borrowed from its slab.
#[derive(Clone, Copy)]
pub enum ObjectView<'a> {
    List(&'a List),
    Hash(&'a Hash),
    Set(&'a Set),
    ZSet(&'a ZSet),
}

impl ObjectView<'_> {
    /// The `TYPE` name.
    pub fn type_name(self) -> &'static str {
        match self {
            ObjectView::List(_) => "list",
            ObjectView::Hash(_) => "hash",
            ObjectView::Set(_) => "set",
            ObjectView::ZSet(_) => "zset",
        }
    }

    /// The `OBJECT ENCODING` name. Every list is a `quicklist`, as Redis 7.0 reports it (a
    /// small list is a quicklist of one chunk, stored without the chunk array).
    pub fn encoding(self) -> &'static str {
        match self {
            ObjectView::List(_) => "quicklist",
            ObjectView::Hash(hash) if hash.is_packed() => "listpack",
            ObjectView::Hash(_) => "hashtable",
            ObjectView::Set(set) => set.encoding(),
            ObjectView::ZSet(zset) => zset.encoding(),
        }
    }

    /// Bytes the value holds, its slab slot included; large collections are estimated from
    /// `samples` elements (all when 0), as `MEMORY USAGE` does.
    pub fn memory(self, samples: usize) -> usize {
        match self {
            ObjectView::List(list) => SLAB_ENTRY + list.memory(samples),
            ObjectView::Hash(hash) => SLAB_ENTRY + hash.memory(samples),
            ObjectView::Set(set) => SLAB_ENTRY + set.memory(samples),
            ObjectView::ZSet(zset) => SLAB_ENTRY + zset.memory(samples),
        }
    }

    /// Elements held (`LLEN`, `HLEN`, `SCARD`, `ZCARD`).
    pub fn len(self) -> usize {
        match self {
            ObjectView::List(list) => list.len(),
            ObjectView::Hash(hash) => hash.len(),
            ObjectView::Set(set) => set.len(),
            ObjectView::ZSet(zset) => zset.len(),
        }
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
}

/// Bytes of one slab slot: a 16-byte value (each type is a two-word enum, and the slab's
/// free-list marker fits in its spare tag values).
const SLAB_ENTRY: usize = 16;

impl Object {
    /// Parts to free: what decides whether `UNLINK` frees it on the lazy-free thread.
    pub fn effort(&self) -> usize {
        match self {
            Object::List(list) => list.chunk_count(),
            Object::Hash(hash) => hash.effort(),
            Object::Set(set) => set.effort(),
            Object::ZSet(zset) => zset.effort(),
        }
    }
}

/// A collection type as stored in its own slab of a database.
pub trait Collection: Sized {
    const KIND: ObjectKind;
    fn slab(objects: &Objects) -> &Slab<Self>;
    fn slab_mut(objects: &mut Objects) -> &mut Slab<Self>;
    fn into_object(self) -> Object;
}

macro_rules! collection {
    ($type:ident, $field:ident) => {
        impl Collection for $type {
            const KIND: ObjectKind = ObjectKind::$type;

            fn slab(objects: &Objects) -> &Slab<Self> {
                &objects.$field
            }

            fn slab_mut(objects: &mut Objects) -> &mut Slab<Self> {
                &mut objects.$field
            }

            fn into_object(self) -> Object {
                Object::$type(self)
            }
        }
    };
}

collection!(List, lists);
collection!(Hash, hashes);
collection!(Set, sets);
collection!(ZSet, zsets);

/// A database's collections, one slab per type so a slot is 16 bytes and the record carries
/// the type.
#[derive(Default)]
pub struct Objects {
    lists: Slab<List>,
    hashes: Slab<Hash>,
    sets: Slab<Set>,
    zsets: Slab<ZSet>,
}

impl Objects {
    /// Stores a collection; returns where.
    pub fn insert(&mut self, object: Object) -> ObjectRef {
        let (kind, index) = match object {
            Object::List(v) => (ObjectKind::List, self.lists.insert(v)),
            Object::Hash(v) => (ObjectKind::Hash, self.hashes.insert(v)),
            Object::Set(v) => (ObjectKind::Set, self.sets.insert(v)),
            Object::ZSet(v) => (ObjectKind::ZSet, self.zsets.insert(v)),
        };
        let index = u32::try_from(index).expect("fewer than 2^32 collections per type");
        ObjectRef { kind, index }
    }

    /// Takes a collection out.
    pub fn remove(&mut self, at: ObjectRef) -> Object {
        let i = at.index as usize;
        match at.kind {
            ObjectKind::List => Object::List(self.lists.remove(i)),
            ObjectKind::Hash => Object::Hash(self.hashes.remove(i)),
            ObjectKind::Set => Object::Set(self.sets.remove(i)),
            ObjectKind::ZSet => Object::ZSet(self.zsets.remove(i)),
        }
    }

    pub fn get(&self, at: ObjectRef) -> ObjectView<'_> {
        let i = at.index as usize;
        match at.kind {
            ObjectKind::List => ObjectView::List(&self.lists[i]),
            ObjectKind::Hash => ObjectView::Hash(&self.hashes[i]),
            ObjectKind::Set => ObjectView::Set(&self.sets[i]),
            ObjectKind::ZSet => ObjectView::ZSet(&self.zsets[i]),
        }
    }

    /// A copy of a collection, to store elsewhere (`COPY`).
    pub fn clone_of(&self, at: ObjectRef) -> Object {
        match self.get(at) {
            ObjectView::List(v) => Object::List(v.clone()),
            ObjectView::Hash(v) => Object::Hash(v.clone()),
            ObjectView::Set(v) => Object::Set(v.clone()),
            ObjectView::ZSet(v) => Object::ZSet(v.clone()),
        }
    }

    /// The collection at `at` if it is a `T`.
    pub fn typed<T: Collection>(&self, at: ObjectRef) -> Option<&T> {
        (at.kind == T::KIND).then(|| &T::slab(self)[at.index as usize])
    }

    pub fn typed_mut<T: Collection>(&mut self, at: ObjectRef) -> Option<&mut T> {
        (at.kind == T::KIND).then(|| &mut T::slab_mut(self)[at.index as usize])
    }
}
