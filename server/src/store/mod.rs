//! The storage blocks under the keyspace: a key's record (one zmalloc block holding its
//! metadata, key and string value) and the open-addressing table that indexes records, also
//! used by the collections (`types`) for their members. They know nothing of databases,
//! clients or commands.

pub mod record;
pub mod table;
