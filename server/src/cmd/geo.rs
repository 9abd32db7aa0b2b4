//! Geospatial commands: GEOADD GEODIST GEOHASH GEOPOS GEOSEARCH GEOSEARCHSTORE and the
//! deprecated GEORADIUS GEORADIUS_RO GEORADIUSBYMEMBER GEORADIUSBYMEMBER_RO. A geospatial index
//! is a plain sorted set whose scores are geohashes; the geometry is `types::geo`, this file
//! parses arguments in Redis's order (`geoaddCommand`, `georadiusGeneric`: the same bad input
//! gets the same error), and prints distances and coordinates with Redis's digits.

use super::errors::{self, CmdError, CmdResult};
use super::flags::*;
use super::values::{changed, changed_as, get, get_or_create};
use super::{Args, Command, Ctx, Group};
use crate::config::notify::{GENERIC, ZSET};
use crate::db::Lookup;
use crate::protocol::reply::Reply;
use crate::types::geo::{self, Found, Shape, ShapeKind};
use crate::types::{Object, ZSet};
use crate::util::longdouble::human_f64;
use crate::util::strtod::string2d;

const RADIUS_COMPLEXITY: &str = "O(N+log(M)) where N is the number of elements inside the bounding box of the circular area delimited by center and radius and M is the number of items inside the index.";
const SEARCH_COMPLEXITY: &str = "O(N+log(M)) where N is the number of elements in the grid-aligned bounding box area around the shape provided as the filter and M is the number of items inside the shape";

pub static COMMANDS: &[Command] = &[
    Command::new("geoadd", -5, WRITE | DENYOOM, Group::Geo, geoadd)
        .doc("3.2.0", "Add one or more geospatial items in the geospatial index represented using a sorted set", "O(log(N)) for each item added, where N is the number of elements in the sorted set.")
        .syntax("key [NX | XX] [CH] longitude latitude member [longitude latitude member ...]"),
    Command::new("geodist", -4, READONLY, Group::Geo, geodist)
        .doc("3.2.0", "Returns the distance between two members of a geospatial index", "O(log(N))")
        .syntax("key member1 member2 [M | KM | FT | MI]"),
    Command::new("geohash", -2, READONLY, Group::Geo, geohash)
        .doc("3.2.0", "Returns members of a geospatial index as standard geohash strings", "O(log(N)) for each member requested, where N is the number of elements in the sorted set.")
        .syntax("key member [member ...]"),
    Command::new("geopos", -2, READONLY, Group::Geo, geopos)
        .doc("3.2.0", "Returns longitude and latitude of members of a geospatial index", "O(N) where N is the number of members requested.")
        .syntax("key member [member ...]"),
    Command::new("georadius", -6, WRITE | DENYOOM, Group::Geo, georadius)
        .doc("3.2.0", "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a point", RADIUS_COMPLEXITY)
        .deprecated("6.2.0", "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` argument")
        .syntax("key longitude latitude radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC] [STORE key] [STOREDIST key]"),
    Command::new("georadius_ro", -6, READONLY, Group::Geo, georadius_ro)
        .doc("3.2.10", "A read-only variant for GEORADIUS", RADIUS_COMPLEXITY)
        .deprecated("6.2.0", "`GEOSEARCH` with the `BYRADIUS` argument")
        .syntax("key longitude latitude radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC]"),
    Command::new("georadiusbymember", -5, WRITE | DENYOOM, Group::Geo, georadiusbymember)
        .doc("3.2.0", "Query a sorted set representing a geospatial index to fetch members matching a given maximum distance from a member", RADIUS_COMPLEXITY)
        .deprecated("6.2.0", "`GEOSEARCH` and `GEOSEARCHSTORE` with the `BYRADIUS` and `FROMMEMBER` arguments")
        .syntax("key member radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC] [STORE key] [STOREDIST key]"),
    Command::new("georadiusbymember_ro", -5, READONLY, Group::Geo, georadiusbymember_ro)
        .doc("3.2.10", "A read-only variant for GEORADIUSBYMEMBER", RADIUS_COMPLEXITY)
        .deprecated("6.2.0", "`GEOSEARCH` with the `BYRADIUS` and `FROMMEMBER` arguments")
        .syntax("key member radius <M | KM | FT | MI> [WITHCOORD] [WITHDIST] [WITHHASH] [COUNT count [ANY]] [ASC | DESC]"),
    Command::new("geosearch", -7, READONLY, Group::Geo, geosearch)
        .doc("6.2.0", "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle.", SEARCH_COMPLEXITY)
        .syntax("key <FROMMEMBER member | FROMLONLAT longitude latitude> <BYRADIUS radius <M | KM | FT | MI> | BYBOX width height <M | KM | FT | MI>> [ASC | DESC] [COUNT count [ANY]] [WITHCOORD] [WITHDIST] [WITHHASH]"),
    Command::new("geosearchstore", -8, WRITE | DENYOOM, Group::Geo, geosearchstore)
        .doc("6.2.0", "Query a sorted set representing a geospatial index to fetch members inside an area of a box or a circle, and store the result in another key.", SEARCH_COMPLEXITY)
        .syntax("destination source <FROMMEMBER member | FROMLONLAT longitude latitude> <BYRADIUS radius <M | KM | FT | MI> | BYBOX width height <M | KM | FT | MI>> [ASC | DESC] [COUNT count [ANY]] [STOREDIST]"),
];

const BAD_UNIT: CmdError = CmdError::new("ERR unsupported unit provided. please use M, KM, FT, MI");
const NO_MEMBER: CmdError = CmdError::new("ERR could not decode requested zset member");

/// A longitude/latitude pair at `args[at]`, `args[at + 1]`, within Redis's limits.
fn lon_lat(args: &Args, at: usize) -> Result<(f64, f64), CmdError> {
    let lon = string2d(args.get(at)).ok_or(errors::NOT_FLOAT)?;
    let lat = string2d(args.get(at + 1)).ok_or(errors::NOT_FLOAT)?;
    if !geo::valid_lon_lat(lon, lat) {
        return Err(CmdError::owned(format!(
            "ERR invalid longitude,latitude pair {lon:.6},{lat:.6}"
        )));
    }
    Ok((lon, lat))
}

/// Meters per unit.
fn unit(arg: &[u8]) -> Result<f64, CmdError> {
    match arg.to_ascii_lowercase().as_slice() {
        b"m" => Ok(1.0),
        b"km" => Ok(1000.0),
        b"ft" => Ok(0.3048),
        b"mi" => Ok(1609.34),
        _ => Err(BAD_UNIT),
    }
}

/// `radius unit` at `args[at]`: the radius and meters per unit.
fn radius(args: &Args, at: usize) -> Result<(f64, f64), CmdError> {
    let radius = string2d(args.get(at)).ok_or(CmdError::new("ERR need numeric radius"))?;
    if radius < 0.0 {
        return Err(CmdError::new("ERR radius cannot be negative"));
    }
    Ok((radius, unit(args.get(at + 1))?))
}

/// `width height unit` at `args[at]`.
fn box_size(args: &Args, at: usize) -> Result<(f64, f64, f64), CmdError> {
    let width = string2d(args.get(at)).ok_or(CmdError::new("ERR need numeric width"))?;
    let height = string2d(args.get(at + 1)).ok_or(CmdError::new("ERR need numeric height"))?;
    if height < 0.0 || width < 0.0 {
        return Err(CmdError::new("ERR height or width cannot be negative"));
    }
    Ok((width, height, unit(args.get(at + 2))?))
}

/// A distance as Redis prints it (`fixedpoint_d2string` with 4 decimals): rounded to nearest,
/// ties to even, as `llrint` does.
fn format_distance(distance: f64) -> String {
    if distance == 0.0 {
        return "0.0000".to_string();
    }
    let scaled = geo::c_double_to_i64((distance * 10000.0).round_ties_even());
    let sign = if scaled < 0 { "-" } else { "" };
    let value = scaled.unsigned_abs();
    format!("{sign}{}.{:04}", value / 10000, value % 10000)
}

/// A coordinate as `addReplyHumanLongDouble`: a bulk string in RESP2, a double in RESP3.
fn reply_coordinate(reply: &mut Reply, value: f64) {
    let text = human_f64(value);
    if reply.is_resp3() {
        reply.raw(format!(",{text}\r\n").as_bytes());
    } else {
        reply.bulk(text.as_bytes());
    }
}

// ---- GEOADD ----

fn geoadd(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let (mut nx, mut xx, mut ch) = (false, false, false);
    let mut at = 2;
    while at < args.len() {
        match args.get(at).to_ascii_lowercase().as_slice() {
            b"nx" => nx = true,
            b"xx" => xx = true,
            b"ch" => ch = true,
            _ => break,
        }
        at += 1;
    }
    if !(args.len() - at).is_multiple_of(3) || (xx && nx) {
        return Err(errors::SYNTAX);
    }
    let elements = (args.len() - at) / 3;
    let mut scores = Vec::with_capacity(elements);
    for i in 0..elements {
        let (lon, lat) = lon_lat(args, at + 3 * i)?;
        scores.push(geo::score_of(lon, lat));
    }
    // The rest is ZADD's, which Redis hands the scores to: options only is its syntax error.
    if elements == 0 {
        return Err(errors::SYNTAX);
    }
    let db = ctx.client.db;
    let key = args.get(1);
    let limits = ctx.server.zset_limits();
    let keyspace = &mut ctx.server.keyspace;
    let exists = get::<ZSet>(keyspace, db, key, Lookup::Write)?.is_some();
    if !exists && xx {
        ctx.reply.int(0);
        return Ok(());
    }
    let first_len = args.get(at + 2).len();
    let (slot, zset) = get_or_create(keyspace, db, key, || {
        ZSet::for_members(1, first_len, limits)
    })?;
    let (mut added, mut updated) = (0i64, 0i64);
    let mut failed = None;
    for (i, &bits) in scores.iter().enumerate() {
        let score = bits as f64;
        let member = args.get(at + 3 * i + 2);
        match zset.score(member) {
            Some(current) => {
                if nx || score == current {
                    continue;
                }
                if zset.update(member, score).is_err() {
                    failed = Some(errors::OUT_OF_MEMORY);
                    break;
                }
                updated += 1;
            }
            None if !xx => {
                if zset.insert(member, score, limits).is_err() {
                    failed = Some(errors::OUT_OF_MEMORY);
                    break;
                }
                added += 1;
            }
            None => {}
        }
    }
    // Redis counts one change per member added or moved; `changed` counts the first.
    // GEOADD is Redis's ZADD underneath, announced as `zadd`.
    if added + updated > 0 {
        changed_as(keyspace, db, slot, key, (ZSET, "zadd"));
        keyspace.stats.dirty += ((added + updated) as u64).saturating_sub(1);
    } else if zset.is_empty() {
        changed(keyspace, db, slot, key);
    }
    // Propagated as the ZADD Redis runs in its place: `zadd key [options as sent]` and each
    // member with its 52-bit geohash score.
    if keyspace.propagation.enabled() {
        let mut digits = vec![itoa::Buffer::new(); elements];
        let mut argv: Vec<&[u8]> = Vec::with_capacity(at + 2 * elements);
        argv.push(b"zadd");
        argv.extend(args.iter().take(at).skip(1));
        for (i, (&bits, digits)) in scores.iter().zip(&mut digits).enumerate() {
            argv.push(digits.format(bits).as_bytes());
            argv.push(args.get(at + 3 * i + 2));
        }
        keyspace.propagation.rewrite_command(argv.into_iter());
    }
    if let Some(error) = failed {
        return Err(error);
    }
    ctx.reply.int(if ch { added + updated } else { added });
    Ok(())
}

// ---- GEODIST, GEOHASH, GEOPOS ----

fn geodist(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let to_meters = match args.len() {
        5 => unit(args.get(4))?,
        n if n > 5 => return Err(errors::SYNTAX),
        _ => 1.0,
    };
    let db = ctx.client.db;
    let Some(zset) = get::<ZSet>(&mut ctx.server.keyspace, db, args.get(1), Lookup::Read)? else {
        ctx.reply.null();
        return Ok(());
    };
    let (Some(first), Some(second)) = (zset.score(args.get(2)), zset.score(args.get(3))) else {
        ctx.reply.null();
        return Ok(());
    };
    let (lon1, lat1) = geo::decode_score(first);
    let (lon2, lat2) = geo::decode_score(second);
    let distance = geo::distance(lon1, lat1, lon2, lat2) / to_meters;
    ctx.reply.bulk(format_distance(distance).as_bytes());
    Ok(())
}

fn geohash(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    let zset = get::<ZSet>(&mut ctx.server.keyspace, db, args.get(1), Lookup::Read)?;
    ctx.reply.array(args.len() - 2);
    for member in args.from(2) {
        match zset.as_ref().and_then(|z| z.score(member)) {
            Some(score) => ctx.reply.bulk(&geo::standard_geohash(score)),
            None => ctx.reply.null(),
        }
    }
    Ok(())
}

fn geopos(ctx: &mut Ctx, args: &Args) -> CmdResult {
    let db = ctx.client.db;
    let zset = get::<ZSet>(&mut ctx.server.keyspace, db, args.get(1), Lookup::Read)?;
    ctx.reply.array(args.len() - 2);
    for member in args.from(2) {
        match zset.as_ref().and_then(|z| z.score(member)) {
            Some(score) => {
                let (lon, lat) = geo::decode_score(score);
                ctx.reply.array(2);
                reply_coordinate(ctx.reply, lon);
                reply_coordinate(ctx.reply, lat);
            }
            None => ctx.reply.null_array(),
        }
    }
    Ok(())
}

// ---- The searches ----

/// Which search command runs (`georadiusGeneric`'s flags).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Variant {
    /// GEORADIUS (`store`) and GEORADIUS_RO: a centre given as coordinates.
    Radius { store: bool },
    /// GEORADIUSBYMEMBER (`store`) and GEORADIUSBYMEMBER_RO: a centre given as a member.
    ByMember { store: bool },
    /// GEOSEARCH, and GEOSEARCHSTORE (`store`).
    Search { store: bool },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Sort {
    None,
    Asc,
    Desc,
}

fn georadius(ctx: &mut Ctx, args: &Args) -> CmdResult {
    search_generic(ctx, args, Variant::Radius { store: true })
}

fn georadius_ro(ctx: &mut Ctx, args: &Args) -> CmdResult {
    search_generic(ctx, args, Variant::Radius { store: false })
}

fn georadiusbymember(ctx: &mut Ctx, args: &Args) -> CmdResult {
    search_generic(ctx, args, Variant::ByMember { store: true })
}

fn georadiusbymember_ro(ctx: &mut Ctx, args: &Args) -> CmdResult {
    search_generic(ctx, args, Variant::ByMember { store: false })
}

fn geosearch(ctx: &mut Ctx, args: &Args) -> CmdResult {
    search_generic(ctx, args, Variant::Search { store: false })
}

fn geosearchstore(ctx: &mut Ctx, args: &Args) -> CmdResult {
    search_generic(ctx, args, Variant::Search { store: true })
}

/// The centre of a search at member `member` of `zset`.
fn member_center(zset: &ZSet, member: &[u8]) -> Result<(f64, f64), CmdError> {
    zset.score(member).map(geo::decode_score).ok_or(NO_MEMBER)
}

/// Every search command (`georadiusGeneric`): the source is looked up first (WRONGTYPE before
/// any argument error), then the centre and size, then the options left to right, each
/// failing as soon as it is read; the combination checks come after.
fn search_generic(ctx: &mut Ctx, args: &Args, variant: Variant) -> CmdResult {
    let source_at = if variant == (Variant::Search { store: true }) {
        2
    } else {
        1
    };
    let db = ctx.client.db;
    let zset = get::<ZSet>(
        &mut ctx.server.keyspace,
        db,
        args.get(source_at),
        Lookup::Read,
    )?
    .map(|z| &*z);

    let mut center = (0.0, 0.0);
    let mut kind = ShapeKind::Circle { radius: 0.0 };
    let mut conversion = 0.0;
    let mut store_key: Option<&[u8]> = None;
    let mut store_dist = false;
    let base = match variant {
        Variant::Radius { .. } => {
            center = lon_lat(args, 2)?;
            let (r, c) = radius(args, 4)?;
            (kind, conversion) = (ShapeKind::Circle { radius: r }, c);
            6
        }
        // A missing source: the rest is still parsed, to know which empty reply to give.
        Variant::ByMember { .. } => {
            if let Some(zset) = zset {
                center = member_center(zset, args.get(2))?;
                let (r, c) = radius(args, 3)?;
                (kind, conversion) = (ShapeKind::Circle { radius: r }, c);
            }
            5
        }
        Variant::Search { store: false } => 2,
        Variant::Search { store: true } => {
            store_key = Some(args.get(1));
            3
        }
    };
    let (is_search, can_store) = match variant {
        Variant::Search { .. } => (true, false),
        Variant::Radius { store } | Variant::ByMember { store } => (false, store),
    };
    let search_store = variant == (Variant::Search { store: true });

    let (mut with_dist, mut with_hash, mut with_coord) = (false, false, false);
    let (mut from_member, mut from_lon_lat, mut by_radius, mut by_box) =
        (false, false, false, false);
    let mut sort = Sort::None;
    let mut any = false;
    let mut count: i64 = 0;
    let mut i = base;
    while i < args.len() {
        let remaining = args.len() - i - 1;
        let option = args.get(i).to_ascii_lowercase();
        match option.as_slice() {
            b"withdist" => with_dist = true,
            b"withhash" => with_hash = true,
            b"withcoord" => with_coord = true,
            b"any" => any = true,
            b"asc" => sort = Sort::Asc,
            b"desc" => sort = Sort::Desc,
            b"count" if remaining >= 1 => {
                count = args.i64(i + 1)?;
                if count <= 0 {
                    return Err(CmdError::new("ERR COUNT must be > 0"));
                }
                i += 1;
            }
            b"store" | b"storedist" if remaining >= 1 && can_store => {
                store_key = Some(args.get(i + 1));
                store_dist = option == b"storedist";
                i += 1;
            }
            b"storedist" if search_store => store_dist = true,
            b"frommember" if remaining >= 1 && is_search && !from_lon_lat => {
                if let Some(zset) = zset {
                    center = member_center(zset, args.get(i + 1))?;
                }
                from_member = true;
                i += 1;
            }
            b"fromlonlat" if remaining >= 2 && is_search && !from_member => {
                center = lon_lat(args, i + 1)?;
                from_lon_lat = true;
                i += 2;
            }
            b"byradius" if remaining >= 2 && is_search && !by_box => {
                let (r, c) = radius(args, i + 1)?;
                (kind, conversion) = (ShapeKind::Circle { radius: r }, c);
                by_radius = true;
                i += 2;
            }
            b"bybox" if remaining >= 3 && is_search && !by_radius => {
                let (width, height, c) = box_size(args, i + 1)?;
                (kind, conversion) = (ShapeKind::Box { width, height }, c);
                by_box = true;
                i += 3;
            }
            _ => return Err(errors::SYNTAX),
        }
        i += 1;
    }

    if store_key.is_some() && (with_dist || with_hash || with_coord) {
        let what = if search_store {
            "GEOSEARCHSTORE"
        } else {
            "STORE option in GEORADIUS"
        };
        return Err(CmdError::owned(format!(
            "ERR {what} is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
        )));
    }
    let name = String::from_utf8_lossy(args.get(0));
    if is_search && !(from_member || from_lon_lat) {
        return Err(CmdError::owned(format!(
            "ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for {name}"
        )));
    }
    if is_search && !(by_radius || by_box) {
        return Err(CmdError::owned(format!(
            "ERR exactly one of BYRADIUS and BYBOX can be specified for {name}"
        )));
    }
    if any && count == 0 {
        return Err(CmdError::new(
            "ERR the ANY argument requires COUNT argument",
        ));
    }

    let Some(zset) = zset else {
        match store_key {
            Some(destination) => {
                delete_destination(&mut ctx.server.keyspace, db, destination);
                ctx.reply.int(0);
            }
            None => ctx.reply.array(0),
        }
        return Ok(());
    };

    // COUNT without an order means the nearest ones (unless ANY asks for any).
    if count != 0 && sort == Sort::None && !any {
        sort = Sort::Asc;
    }
    let shape = Shape {
        lon: center.0,
        lat: center.1,
        kind,
        conversion,
    };
    let count = count as usize;
    let mut found = geo::search(zset, &shape, if any { count } else { 0 });
    if found.is_empty() && store_key.is_none() {
        ctx.reply.array(0);
        return Ok(());
    }
    let returned = if count == 0 || found.len() < count {
        found.len()
    } else {
        count
    };
    if sort != Sort::None {
        geo::sort_by_distance(&mut found, sort == Sort::Desc, returned);
    }
    let found = &found[..returned];

    let Some(destination) = store_key else {
        reply_found(
            ctx.reply, found, conversion, with_dist, with_hash, with_coord,
        );
        return Ok(());
    };
    let members: Vec<(Vec<u8>, f64)> = found
        .iter()
        .map(|f| {
            let score = if store_dist {
                f.dist / conversion
            } else {
                f.score
            };
            (f.member.to_vec(), score)
        })
        .collect();
    let limits = ctx.server.zset_limits();
    let keyspace = &mut ctx.server.keyspace;
    if members.is_empty() {
        delete_destination(keyspace, db, destination);
    } else {
        keyspace.set_object(
            db,
            destination,
            Object::ZSet(ZSet::from_members(&members, limits)),
        );
        let event = match variant {
            Variant::Search { .. } => "geosearchstore",
            _ => "georadiusstore",
        };
        keyspace.notify(ZSET, event, db, destination);
        // Redis counts one change per stored member; `set_object` counted the first.
        keyspace.stats.dirty += members.len() as u64 - 1;
    }
    ctx.reply.int(members.len() as i64);
    Ok(())
}

/// Empties a search's destination, announcing `del` if there was one.
fn delete_destination(keyspace: &mut crate::db::Keyspace, db: usize, destination: &[u8]) {
    if keyspace.delete(db, destination) {
        keyspace.notify(GENERIC, "del", db, destination);
    }
}

/// The reply of a search: each member alone, or with its requested fields in Redis's order
/// (distance, hash, coordinates) whatever order they were asked in.
fn reply_found(
    reply: &mut Reply,
    found: &[Found],
    conversion: f64,
    with_dist: bool,
    with_hash: bool,
    with_coord: bool,
) {
    let fields = with_dist as usize + with_hash as usize + with_coord as usize;
    reply.array(found.len());
    for point in found {
        if fields > 0 {
            reply.array(fields + 1);
        }
        reply.bulk(point.member);
        if with_dist {
            reply.bulk(format_distance(point.dist / conversion).as_bytes());
        }
        if with_hash {
            reply.int(geo::c_double_to_i64(point.score));
        }
        if with_coord {
            reply.array(2);
            reply_coordinate(reply, point.lon);
            reply_coordinate(reply, point.lat);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::format_distance;
    use crate::cmd::harness::Harness;

    fn dirty(h: &mut Harness) -> i64 {
        let info = h.run("INFO persistence");
        info.lines()
            .find_map(|l| l.strip_prefix("rdb_changes_since_last_save:"))
            .expect("field")
            .trim()
            .parse()
            .expect("number")
    }

    #[test]
    fn distances_print_four_decimals_rounding_ties_to_even() {
        assert_eq!(format_distance(0.0), "0.0000");
        assert_eq!(format_distance(166274.15156960033), "166274.1516");
        assert_eq!(format_distance(0.00004), "0.0000");
        assert_eq!(format_distance(0.03125), "0.0312");
        assert_eq!(format_distance(0.09375), "0.0938");
        assert_eq!(format_distance(12.5), "12.5000");
    }

    #[test]
    fn geoadd_options_errors_and_dirty() {
        let mut h = Harness::new();
        let start = dirty(&mut h);
        assert_eq!(
            h.run("GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania"),
            ":2\r\n"
        );
        assert_eq!(dirty(&mut h), start + 2, "one change per member");
        assert_eq!(h.run("GEOADD Sicily CH 13.5 38 Palermo 1 1 x"), ":2\r\n");
        assert_eq!(h.run("GEOADD Sicily NX 2 2 x 3 3 y"), ":1\r\n");
        assert_eq!(h.run("GEOADD Sicily XX 4 4 z"), ":0\r\n");
        assert_eq!(h.run("GEOADD Sicily NX XX 1 1 x"), "-ERR syntax error\r\n");
        assert_eq!(h.run("GEOADD Sicily 1 1 x 2"), "-ERR syntax error\r\n");
        assert_eq!(
            h.run("GEOADD Sicily 200 100 x"),
            "-ERR invalid longitude,latitude pair 200.000000,100.000000\r\n"
        );
        assert_eq!(
            h.run("GEOADD Sicily abc 1 x"),
            "-ERR value is not a valid float\r\n"
        );
        assert_eq!(h.run("GEOADD nokey XX 1 1 x"), ":0\r\n");
        assert_eq!(h.run("EXISTS nokey"), ":0\r\n");
        h.run("SET s v");
        assert_eq!(
            h.run("GEOADD s 1 1 x"),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
        );
        let mut full = Harness::over_maxmemory();
        assert_eq!(
            full.run("GEOADD g 1 1 x"),
            "-OOM command not allowed when used memory > 'maxmemory'.\r\n"
        );
    }

    #[test]
    fn reads() {
        let mut h = Harness::new();
        h.run("GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania");
        assert_eq!(
            h.run("GEODIST Sicily Palermo Catania km"),
            "$8\r\n166.2742\r\n"
        );
        assert_eq!(h.run("GEODIST Sicily Palermo nope"), "$-1\r\n");
        assert_eq!(
            h.run("GEODIST Sicily Palermo Catania yd"),
            "-ERR unsupported unit provided. please use M, KM, FT, MI\r\n"
        );
        assert_eq!(
            h.run("GEOHASH Sicily Palermo nope"),
            "*2\r\n$11\r\nsqc8b49rny0\r\n$-1\r\n"
        );
        assert_eq!(
            h.run("GEOPOS Sicily Palermo nope"),
            "*2\r\n*2\r\n$20\r\n13.36138933897018433\r\n$20\r\n38.11555639549629859\r\n*-1\r\n"
        );
        assert_eq!(
            h.run("GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC WITHDIST WITHHASH"),
            "*2\r\n*3\r\n$7\r\nCatania\r\n$7\r\n56.4413\r\n:3479447370796909\r\n\
             *3\r\n$7\r\nPalermo\r\n$8\r\n190.4424\r\n:3479099956230698\r\n"
        );
    }

    #[test]
    fn search_errors_in_redis_order() {
        let mut h = Harness::new();
        h.run("GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania");
        h.run("SET s v");
        assert_eq!(
            h.run("GEORADIUS s 200 0 1 km"),
            "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
        );
        assert_eq!(
            h.run("GEORADIUS Sicily 15 37 200 km COUNT 0"),
            "-ERR COUNT must be > 0\r\n"
        );
        assert_eq!(
            h.run("GEORADIUS Sicily 15 37 200 km ANY"),
            "-ERR the ANY argument requires COUNT argument\r\n"
        );
        assert_eq!(
            h.run("GEORADIUS Sicily 15 37 200 km STORE d WITHDIST"),
            "-ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options\r\n"
        );
        assert_eq!(
            h.run("GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 1 km WITHHASH"),
            "-ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options\r\n"
        );
        assert_eq!(
            h.run("geosearch Sicily BYRADIUS 200 km ASC WITHDIST"),
            "-ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for geosearch\r\n"
        );
        assert_eq!(
            h.run("GEOSEARCH Sicily FROMMEMBER Palermo ASC WITHDIST WITHHASH"),
            "-ERR exactly one of BYRADIUS and BYBOX can be specified for GEOSEARCH\r\n"
        );
        assert_eq!(
            h.run("GEOSEARCH Sicily FROMMEMBER nope BYRADIUS 1 km"),
            "-ERR could not decode requested zset member\r\n"
        );
        assert_eq!(
            h.run("GEORADIUS_RO Sicily 15 37 200 km STORE d"),
            "-ERR syntax error\r\n"
        );
        assert_eq!(h.run("GEORADIUSBYMEMBER nokey m abc xyz"), "*0\r\n");
    }

    #[test]
    fn store_writes_scores_and_deletes_when_empty() {
        let mut h = Harness::new();
        h.run("GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania");
        let start = dirty(&mut h);
        assert_eq!(h.run("GEORADIUS Sicily 15 37 200 km STORE d"), ":2\r\n");
        assert_eq!(dirty(&mut h), start + 2);
        assert_eq!(h.run("ZSCORE d Palermo"), "$16\r\n3479099956230698\r\n");
        assert_eq!(
            h.run("GEOSEARCHSTORE d Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST COUNT 1"),
            ":1\r\n"
        );
        assert_eq!(
            h.run("ZRANGE d 0 -1 WITHSCORES"),
            "*2\r\n$7\r\nCatania\r\n$18\r\n56.441257870158204\r\n"
        );
        assert_eq!(h.run("GEORADIUS Sicily 0 0 1 km STORE d"), ":0\r\n");
        assert_eq!(h.run("EXISTS d"), ":0\r\n");
        h.run("SET d v");
        assert_eq!(h.run("GEORADIUS nokey 0 0 1 km STORE d"), ":0\r\n");
        assert_eq!(h.run("EXISTS d"), ":0\r\n");
    }

    #[test]
    fn geo_writes_announce_zset_events() {
        let mut h = Harness::new();
        let watcher = h.watch_events("zg");
        h.run("GEOADD g 13.361389 38.115556 Palermo");
        h.run("GEOADD g 13.361389 38.115556 Palermo");
        h.run("GEOSEARCHSTORE s g FROMLONLAT 13 38 BYRADIUS 100 km");
        h.run("GEORADIUS g 13 38 100 km STORE r");
        h.run("GEOSEARCHSTORE s g FROMLONLAT 0 0 BYRADIUS 1 km");
        h.run("GEOSEARCHSTORE s g FROMLONLAT 0 0 BYRADIUS 1 km");
        h.run("GEORADIUS missing 13 38 100 km STORE r");
        assert_eq!(
            h.events(watcher),
            [
                "zadd g",
                "geosearchstore s",
                "georadiusstore r",
                "del s",
                "del r"
            ]
        );
    }
}

#[cfg(test)]
mod propagation {
    use crate::cmd::keys::propagation_tests::{propagated, propagating, resp};

    #[test]
    fn geoadd_propagates_as_zadd_with_geohash_scores() {
        let mut h = propagating();
        assert_eq!(
            h.run("GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania"),
            ":2\r\n"
        );
        assert_eq!(
            propagated(&mut h),
            resp(&[
                "zadd",
                "Sicily",
                "3479099956230698",
                "Palermo",
                "3479447370796909",
                "Catania"
            ])
        );
        assert_eq!(
            h.run("GEOADD Sicily xx CH 13.361389 38.115556 Palermo 15 37 Catania"),
            ":1\r\n"
        );
        let catania = crate::types::geo::score_of(15.0, 37.0).to_string();
        assert_eq!(
            propagated(&mut h),
            resp(&[
                "zadd",
                "Sicily",
                "xx",
                "CH",
                "3479099956230698",
                "Palermo",
                &catania,
                "Catania"
            ])
        );
        // Nothing changed: nothing.
        assert_eq!(h.run("GEOADD Sicily 13.361389 38.115556 Palermo"), ":0\r\n");
        assert_eq!(h.run("GEOADD missing XX 1 1 x"), ":0\r\n");
        assert_eq!(propagated(&mut h), "");
    }
}
