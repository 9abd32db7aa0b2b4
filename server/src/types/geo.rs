//! Geospatial indexing over sorted sets, as Redis 7.0 does it: a point is stored as a member
//! whose score is its 52-bit interleaved geohash (26 bits of longitude in [-180, 180] and 26 of
//! latitude in [-85.05112878, 85.05112878], the Web Mercator limits). A search covers its shape
//! with the geohash cell around the centre and its eight neighbours, at a step coarse enough
//! for the cells to contain the shape; each cell is one score range of the sorted set, and each
//! candidate is then checked exactly (haversine distance on a sphere of Redis's radius).
//!
//! Every step follows Redis's arithmetic operation by operation (same constants, same order of
//! floating-point operations, the same C conversions from double to integer), because replies
//! print coordinates to 17 decimals and distances to 4: any other formula shows in the digits.

use super::zset::ZSet;
use crate::util::pqsort::partial_sort;

/// 26 bits per coordinate: 52-bit scores, exact in a double.
pub const STEP_MAX: u8 = 26;
pub const LAT_MIN: f64 = -85.05112878;
pub const LAT_MAX: f64 = 85.05112878;
pub const LON_MIN: f64 = -180.0;
pub const LON_MAX: f64 = 180.0;
/// Earth's quadratic mean radius for WGS-84, in meters.
pub const EARTH_RADIUS_METERS: f64 = 6372797.560856;
/// Half the Web Mercator world's width in meters: the largest radius a step-1 cell covers.
const MERCATOR_MAX: f64 = 20037726.37;
/// Degrees to radians, as the C expression `M_PI / 180.0` rounds it.
const DEG_TO_RAD: f64 = std::f64::consts::PI / 180.0;

fn deg_rad(degrees: f64) -> f64 {
    degrees * DEG_TO_RAD
}

fn rad_deg(radians: f64) -> f64 {
    radians / DEG_TO_RAD
}

/// A closed interval of one coordinate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    pub min: f64,
    pub max: f64,
}

/// The ranges Redis's scores are encoded in.
pub const LON_RANGE: Range = Range {
    min: LON_MIN,
    max: LON_MAX,
};
pub const LAT_RANGE: Range = Range {
    min: LAT_MIN,
    max: LAT_MAX,
};

/// A geohash of `step` bits per coordinate: longitude in the odd bits, latitude in the even.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Hash {
    pub bits: u64,
    pub step: u8,
}

impl Hash {
    /// Redis marks a discarded neighbour by zeroing both fields.
    pub fn is_zero(self) -> bool {
        self.bits == 0 && self.step == 0
    }

    /// The hash as a 52-bit score prefix: its bits moved to the top of 52.
    pub fn align52(self) -> u64 {
        self.bits << (52 - 2 * self.step as u32)
    }

    /// The scores `[min, max)` of every point inside this cell.
    pub fn score_range(self) -> (f64, f64) {
        let next = Hash {
            bits: self.bits.wrapping_add(1),
            step: self.step,
        };
        (self.align52() as f64, next.align52() as f64)
    }
}

/// The cell a hash names.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Area {
    pub lon: Range,
    pub lat: Range,
}

/// Spreads the 32 bits of `x` to the even positions and those of `y` to the odd ones.
fn interleave(x: u32, y: u32) -> u64 {
    fn spread(v: u32) -> u64 {
        let mut v = v as u64;
        v = (v | (v << 16)) & 0x0000_FFFF_0000_FFFF;
        v = (v | (v << 8)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v << 4)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v << 2)) & 0x3333_3333_3333_3333;
        (v | (v << 1)) & 0x5555_5555_5555_5555
    }
    spread(x) | (spread(y) << 1)
}

/// The inverse of [`interleave`]: the even bits in the low half, the odd bits in the high.
fn deinterleave(bits: u64) -> u64 {
    fn squash(v: u64) -> u64 {
        let mut v = v & 0x5555_5555_5555_5555;
        v = (v | (v >> 1)) & 0x3333_3333_3333_3333;
        v = (v | (v >> 2)) & 0x0F0F_0F0F_0F0F_0F0F;
        v = (v | (v >> 4)) & 0x00FF_00FF_00FF_00FF;
        v = (v | (v >> 8)) & 0x0000_FFFF_0000_FFFF;
        (v | (v >> 16)) & 0x0000_0000_FFFF_FFFF
    }
    squash(bits) | (squash(bits >> 1) << 32)
}

/// C's conversion of a double to `uint32_t` for the values a geohash offset can take (the
/// fraction dropped; offsets lie in `[0, 2^step]`).
fn offset_bits(offset: f64) -> u32 {
    offset as u32
}

/// Encodes a point at `step` bits per coordinate in the given ranges; `None` outside them
/// (or outside Redis's own limits, which it checks first).
pub fn encode(lon_range: Range, lat_range: Range, lon: f64, lat: f64, step: u8) -> Option<Hash> {
    if step == 0 || step > 32 {
        return None;
    }
    if !(LON_MIN..=LON_MAX).contains(&lon) || !(LAT_MIN..=LAT_MAX).contains(&lat) {
        return None;
    }
    if lat < lat_range.min || lat > lat_range.max || lon < lon_range.min || lon > lon_range.max {
        return None;
    }
    let mut lat_offset = (lat - lat_range.min) / (lat_range.max - lat_range.min);
    let mut lon_offset = (lon - lon_range.min) / (lon_range.max - lon_range.min);
    lat_offset *= (1u64 << step) as f64;
    lon_offset *= (1u64 << step) as f64;
    Some(Hash {
        bits: interleave(offset_bits(lat_offset), offset_bits(lon_offset)),
        step,
    })
}

/// Encodes in Redis's ranges.
pub fn encode_wgs84(lon: f64, lat: f64, step: u8) -> Option<Hash> {
    encode(LON_RANGE, LAT_RANGE, lon, lat, step)
}

/// The cell of `hash` in the given ranges; `None` for a zeroed hash.
pub fn decode(lon_range: Range, lat_range: Range, hash: Hash) -> Option<Area> {
    if hash.is_zero() {
        return None;
    }
    let separated = deinterleave(hash.bits);
    let lat_scale = lat_range.max - lat_range.min;
    let lon_scale = lon_range.max - lon_range.min;
    let lat_cell = separated as u32;
    let lon_cell = (separated >> 32) as u32;
    let cells = (1u64 << hash.step) as f64;
    // `cell + 1` is 32-bit arithmetic in Redis: it wraps for the last cell of a 32-bit value.
    Some(Area {
        lat: Range {
            min: lat_range.min + (lat_cell as f64 / cells) * lat_scale,
            max: lat_range.min + (lat_cell.wrapping_add(1) as f64 / cells) * lat_scale,
        },
        lon: Range {
            min: lon_range.min + (lon_cell as f64 / cells) * lon_scale,
            max: lon_range.min + (lon_cell.wrapping_add(1) as f64 / cells) * lon_scale,
        },
    })
}

/// The centre of a cell, clamped to Redis's limits: `(longitude, latitude)`.
pub fn area_center(area: &Area) -> (f64, f64) {
    let lon = ((area.lon.min + area.lon.max) / 2.0).clamp(LON_MIN, LON_MAX);
    let lat = ((area.lat.min + area.lat.max) / 2.0).clamp(LAT_MIN, LAT_MAX);
    (lon, lat)
}

/// C's `(long long)` conversion of a double on x86-64 (`cvttsd2si`): the fraction dropped,
/// and the "integer indefinite" value for NaN and anything out of range.
pub fn c_double_to_i64(value: f64) -> i64 {
    const LIMIT: f64 = 9223372036854775808.0;
    if (-LIMIT..LIMIT).contains(&value) {
        value as i64
    } else {
        i64::MIN
    }
}

/// C's `(uint64_t)` conversion of a double as GCC compiles it on x86-64: values from 2^63 are
/// converted after subtracting 2^63, everything else as a signed conversion.
pub fn c_double_to_u64(value: f64) -> u64 {
    const HALF: f64 = 9223372036854775808.0;
    if value >= HALF {
        (c_double_to_i64(value - HALF) as u64) ^ (1 << 63)
    } else {
        c_double_to_i64(value) as u64
    }
}

/// The point a sorted-set score stands for: `(longitude, latitude)`. Any score decodes (a
/// score that is no geohash gives a clamped point), as in Redis.
pub fn decode_score(score: f64) -> (f64, f64) {
    let hash = Hash {
        bits: c_double_to_u64(score),
        step: STEP_MAX,
    };
    let area = decode(LON_RANGE, LAT_RANGE, hash).expect("step is not zero");
    area_center(&area)
}

/// The score GEOADD stores for a point already checked to be within the limits.
pub fn score_of(lon: f64, lat: f64) -> u64 {
    encode_wgs84(lon, lat, STEP_MAX)
        .expect("coordinates within the limits")
        .align52()
}

/// Whether a longitude/latitude pair is within Redis's limits.
pub fn valid_lon_lat(lon: f64, lat: f64) -> bool {
    (LON_MIN..=LON_MAX).contains(&lon) && (LAT_MIN..=LAT_MAX).contains(&lat)
}

/// The 11-character standard geohash of a score: decoded, re-encoded in the standard ranges
/// ([-180, 180] and [-90, 90]), 52 bits in base 32 and a final `0`.
pub fn standard_geohash(score: f64) -> [u8; 11] {
    const ALPHABET: &[u8; 32] = b"0123456789bcdefghjkmnpqrstuvwxyz";
    let (lon, lat) = decode_score(score);
    let standard_lat = Range {
        min: -90.0,
        max: 90.0,
    };
    let bits = encode(LON_RANGE, standard_lat, lon, lat, STEP_MAX).map_or(0, |h| h.bits);
    let mut out = [b'0'; 11];
    for (i, c) in out.iter_mut().enumerate().take(10) {
        *c = ALPHABET[((bits >> (52 - (i + 1) * 5)) & 0x1f) as usize];
    }
    out
}

/// Interleaved bits of the longitude and of the latitude in a hash.
const X_BITS: u64 = 0xaaaa_aaaa_aaaa_aaaa;
const Y_BITS: u64 = 0x5555_5555_5555_5555;

/// Moves a hash one cell (`+1` or `-1`, wrapping around) along the coordinate whose
/// interleaved bits are `axis`: `X_BITS` east/west, `Y_BITS` north/south. The other
/// coordinate's bits are filled with ones so the carry crosses them.
fn move_along(hash: &mut Hash, axis: u64, direction: i8) {
    if direction == 0 {
        return;
    }
    let shift = 64 - 2 * hash.step as u32;
    let mut moving = hash.bits & axis;
    let kept = hash.bits & !axis;
    let fill = !axis >> shift;
    if direction > 0 {
        moving = moving.wrapping_add(fill + 1);
    } else {
        moving |= fill;
        moving = moving.wrapping_sub(fill + 1);
    }
    moving &= axis >> shift;
    hash.bits = moving | kept;
}

fn moved(hash: Hash, dx: i8, dy: i8) -> Hash {
    let mut out = hash;
    move_along(&mut out, X_BITS, dx);
    move_along(&mut out, Y_BITS, dy);
    out
}

/// The eight cells around a hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Neighbours {
    pub north: Hash,
    pub south: Hash,
    pub east: Hash,
    pub west: Hash,
    pub north_east: Hash,
    pub north_west: Hash,
    pub south_east: Hash,
    pub south_west: Hash,
}

pub fn neighbours(hash: Hash) -> Neighbours {
    Neighbours {
        north: moved(hash, 0, 1),
        south: moved(hash, 0, -1),
        east: moved(hash, 1, 0),
        west: moved(hash, -1, 0),
        north_east: moved(hash, 1, 1),
        north_west: moved(hash, -1, 1),
        south_east: moved(hash, 1, -1),
        south_west: moved(hash, -1, -1),
    }
}

/// The step whose cells are about as large as a search of `range_meters` around latitude
/// `lat` needs (Redis's `geohashEstimateStepsByRadius`): one less near the poles, where cells
/// narrow.
pub fn estimate_steps_by_radius(range_meters: f64, lat: f64) -> u8 {
    if range_meters == 0.0 {
        return STEP_MAX;
    }
    let mut range = range_meters;
    let mut step: i32 = 1;
    while range < MERCATOR_MAX {
        range *= 2.0;
        step += 1;
    }
    step -= 2;
    if !(-66.0..=66.0).contains(&lat) {
        step -= 1;
        if !(-80.0..=80.0).contains(&lat) {
            step -= 1;
        }
    }
    step.clamp(1, STEP_MAX as i32) as u8
}

/// Haversine distance in meters between two points (degrees); the shortcut for points on one
/// meridian is Redis's (it skips the trigonometry, and so gives its exact digits).
pub fn distance(lon1: f64, lat1: f64, lon2: f64, lat2: f64) -> f64 {
    let lon1r = deg_rad(lon1);
    let lon2r = deg_rad(lon2);
    let v = ((lon2r - lon1r) / 2.0).sin();
    if v == 0.0 {
        return lat_distance(lat1, lat2);
    }
    let lat1r = deg_rad(lat1);
    let lat2r = deg_rad(lat2);
    let u = ((lat2r - lat1r) / 2.0).sin();
    let a = u * u + lat1r.cos() * lat2r.cos() * v * v;
    2.0 * EARTH_RADIUS_METERS * a.sqrt().asin()
}

/// Distance along a meridian between two latitudes.
pub fn lat_distance(lat1: f64, lat2: f64) -> f64 {
    EARTH_RADIUS_METERS * (deg_rad(lat2) - deg_rad(lat1)).abs()
}

/// What a search covers, in the unit its size was given in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ShapeKind {
    Circle { radius: f64 },
    Box { width: f64, height: f64 },
}

/// A search area: its centre, its size, and the unit's size in meters.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Shape {
    pub lon: f64,
    pub lat: f64,
    pub kind: ShapeKind,
    /// Meters per unit (1 for m, 1000 for km, 0.3048 for ft, 1609.34 for mi).
    pub conversion: f64,
}

impl Shape {
    /// The `[min_lon, min_lat, max_lon, max_lat]` box around the shape.
    pub fn bounding_box(&self) -> [f64; 4] {
        let (half_width, half_height) = match self.kind {
            ShapeKind::Circle { radius } => (radius, radius),
            ShapeKind::Box { width, height } => (width / 2.0, height / 2.0),
        };
        let height = self.conversion * half_height;
        let width = self.conversion * half_width;
        let lat_delta = rad_deg(height / EARTH_RADIUS_METERS);
        let lon_delta_top =
            rad_deg(width / EARTH_RADIUS_METERS / deg_rad(self.lat + lat_delta).cos());
        let lon_delta_bottom =
            rad_deg(width / EARTH_RADIUS_METERS / deg_rad(self.lat - lat_delta).cos());
        // The wider edge is the one nearer the equator.
        let lon_delta = if self.lat < 0.0 {
            lon_delta_bottom
        } else {
            lon_delta_top
        };
        [
            self.lon - lon_delta,
            self.lat - lat_delta,
            self.lon + lon_delta,
            self.lat + lat_delta,
        ]
    }

    /// The distance from the centre to the farthest point of the shape, in meters.
    fn reach_meters(&self) -> f64 {
        let reach = match self.kind {
            ShapeKind::Circle { radius } => radius,
            ShapeKind::Box { width, height } => {
                ((width / 2.0) * (width / 2.0) + (height / 2.0) * (height / 2.0)).sqrt()
            }
        };
        reach * self.conversion
    }

    /// The distance in meters from the centre to a point, if the point is inside the shape.
    pub fn contains(&self, lon: f64, lat: f64) -> Option<f64> {
        match self.kind {
            ShapeKind::Circle { radius } => {
                let d = distance(self.lon, self.lat, lon, lat);
                (d <= radius * self.conversion).then_some(d)
            }
            ShapeKind::Box { width, height } => {
                let (width, height) = (width * self.conversion, height * self.conversion);
                // The cheaper latitude test first, as Redis does.
                if lat_distance(lat, self.lat) > height / 2.0 {
                    return None;
                }
                if distance(lon, lat, self.lon, lat) > width / 2.0 {
                    return None;
                }
                Some(distance(self.lon, self.lat, lon, lat))
            }
        }
    }

    /// The cells to scan, in Redis's order: the centre's, then north, south, east, west,
    /// north-east, north-west, south-east, south-west; `None` for a neighbour that cannot hold
    /// a match (`geohashCalculateAreasByShapeWGS84`).
    pub fn search_cells(&self) -> [Option<Hash>; 9] {
        let [min_lon, min_lat, max_lon, max_lat] = self.bounding_box();
        let mut steps = estimate_steps_by_radius(self.reach_meters(), self.lat);
        let cell_at = |steps: u8| {
            let hash = encode_wgs84(self.lon, self.lat, steps).expect("a centre within the limits");
            let area = decode(LON_RANGE, LAT_RANGE, hash);
            (hash, neighbours(hash), area)
        };
        let (mut hash, mut around, mut area) = cell_at(steps);
        // At the cell's edge the estimated step can be too fine for a neighbour to reach past
        // the search box: then one step coarser.
        let area_of = |h: Hash| decode(LON_RANGE, LAT_RANGE, h);
        let too_fine = area_of(around.north).is_some_and(|a| a.lat.max < max_lat)
            || area_of(around.south).is_some_and(|a| a.lat.min > min_lat)
            || area_of(around.east).is_some_and(|a| a.lon.max < max_lon)
            || area_of(around.west).is_some_and(|a| a.lon.min > min_lon);
        if steps > 1 && too_fine {
            steps -= 1;
            (hash, around, area) = cell_at(steps);
        }
        let mut cells = [
            Some(hash),
            Some(around.north),
            Some(around.south),
            Some(around.east),
            Some(around.west),
            Some(around.north_east),
            Some(around.north_west),
            Some(around.south_east),
            Some(around.south_west),
        ];
        if steps >= 2
            && let Some(area) = area
        {
            const NORTH: usize = 1;
            const SOUTH: usize = 2;
            const EAST: usize = 3;
            const WEST: usize = 4;
            const NORTH_EAST: usize = 5;
            const NORTH_WEST: usize = 6;
            const SOUTH_EAST: usize = 7;
            const SOUTH_WEST: usize = 8;
            let mut drop = |sides: [usize; 3]| {
                for side in sides {
                    cells[side] = None;
                }
            };
            if area.lat.min < min_lat {
                drop([SOUTH, SOUTH_WEST, SOUTH_EAST]);
            }
            if area.lat.max > max_lat {
                drop([NORTH, NORTH_EAST, NORTH_WEST]);
            }
            if area.lon.min < min_lon {
                drop([WEST, SOUTH_WEST, NORTH_WEST]);
            }
            if area.lon.max > max_lon {
                drop([EAST, SOUTH_EAST, NORTH_EAST]);
            }
        }
        cells
    }
}

/// A member found by a search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Found<'a> {
    pub member: &'a [u8],
    pub score: f64,
    pub lon: f64,
    pub lat: f64,
    /// Meters from the search's centre.
    pub dist: f64,
}

/// The members of `zset` inside `shape`, in Redis's scan order (cell by cell, each in score
/// order). With a `limit`, stops once that many are found (`COUNT n ANY`).
pub fn search<'a>(zset: &'a ZSet, shape: &Shape, limit: usize) -> Vec<Found<'a>> {
    let cells = shape.search_cells();
    let mut found = Vec::new();
    let reached = |found: &Vec<Found>| limit != 0 && found.len() >= limit;
    // Redis skips a cell equal to the last one scanned (huge radii make neighbours repeat);
    // "last scanned" starts unset and the centre never counts as set.
    let mut last_scanned = 0;
    for (i, cell) in cells.iter().enumerate() {
        let Some(cell) = *cell else {
            continue;
        };
        if cell.is_zero() {
            continue;
        }
        if last_scanned != 0 && cells[last_scanned] == Some(cell) {
            continue;
        }
        if reached(&found) {
            break;
        }
        let (min, max) = cell.score_range();
        zset.scan_from_score(min, |score, member| {
            if score >= max {
                return false;
            }
            let (lon, lat) = decode_score(score);
            if let Some(dist) = shape.contains(lon, lat) {
                found.push(Found {
                    member: member(),
                    score,
                    lon,
                    lat,
                    dist,
                });
            }
            !reached(&found)
        });
        last_scanned = i;
    }
    found
}

/// Redis's comparison of two results by distance, as its `qsort` callback returns it.
fn compare_dist(a: &Found, b: &Found, descending: bool) -> i32 {
    let order = if a.dist > b.dist {
        1
    } else if a.dist == b.dist {
        0
    } else {
        -1
    };
    if descending { -order } else { order }
}

/// Sorts results by distance as Redis does: when all are returned, glibc's `qsort` (a merge
/// sort, so equal distances keep their scan order); when only the first `wanted` are,
/// Redis's partial quicksort `pqsort`, whose order among equals is its own.
pub fn sort_by_distance(found: &mut [Found], descending: bool, wanted: usize) {
    if wanted >= found.len() {
        found.sort_by(|a, b| compare_dist(a, b, descending).cmp(&0));
    } else if wanted > 0 {
        let len = found.len();
        partial_sort(
            found,
            &|a, b| compare_dist(a, b, descending),
            0,
            wanted - 1,
            0,
            len,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn redis_known_answers() {
        // Palermo and Catania, as Redis's documentation shows them.
        let palermo = score_of(13.361389, 38.115556);
        let catania = score_of(15.087269, 37.502669);
        assert_eq!(palermo, 3479099956230698);
        assert_eq!(catania, 3479447370796909);
        assert_eq!(&standard_geohash(palermo as f64), b"sqc8b49rny0");
        assert_eq!(&standard_geohash(catania as f64), b"sqdtr74hyu0");
        let (lon1, lat1) = decode_score(palermo as f64);
        let (lon2, lat2) = decode_score(catania as f64);
        assert_eq!(lon1, 13.361389338970184);
        assert_eq!(lat1, 38.1155563954963);
        assert_eq!(
            format!("{:.4}", distance(lon1, lat1, lon2, lat2)),
            "166274.1516"
        );
    }

    #[test]
    fn interleaving_round_trips() {
        let mut rng = fastrand::Rng::with_seed(3);
        for _ in 0..1000 {
            let (x, y) = (rng.u32(..), rng.u32(..));
            let both = deinterleave(interleave(x, y));
            assert_eq!((both as u32, (both >> 32) as u32), (x, y));
        }
        assert_eq!(interleave(1, 0), 1);
        assert_eq!(interleave(0, 1), 2);
    }

    #[test]
    fn c_conversions_follow_x86() {
        assert_eq!(c_double_to_u64(-1.0), u64::MAX);
        assert_eq!(c_double_to_u64(f64::INFINITY), 0);
        assert_eq!(c_double_to_u64(f64::NEG_INFINITY), 1 << 63);
        assert_eq!(c_double_to_u64(1.8446744073709552e19), 0);
        assert_eq!(c_double_to_u64(9.3e18), 9300000000000000000);
        assert_eq!(c_double_to_i64(f64::NAN), i64::MIN);
        assert_eq!(c_double_to_i64(2.9), 2);
    }

    #[test]
    fn neighbours_surround_the_cell() {
        let hash = encode_wgs84(10.0, 20.0, 10).unwrap();
        let area = decode(LON_RANGE, LAT_RANGE, hash).unwrap();
        let around = neighbours(hash);
        let north = decode(LON_RANGE, LAT_RANGE, around.north).unwrap();
        let east = decode(LON_RANGE, LAT_RANGE, around.east).unwrap();
        let south_west = decode(LON_RANGE, LAT_RANGE, around.south_west).unwrap();
        assert_eq!(north.lat.min, area.lat.max);
        assert_eq!(north.lon, area.lon);
        assert_eq!(east.lon.min, area.lon.max);
        assert_eq!(east.lat, area.lat);
        assert_eq!(south_west.lat.max, area.lat.min);
        assert_eq!(south_west.lon.max, area.lon.min);
        // Moving east then west comes back.
        assert_eq!(moved(around.east, -1, 0), hash);
        assert_eq!(moved(around.north, 0, -1), hash);
    }

    #[test]
    fn steps_shrink_with_radius_and_near_the_poles() {
        assert_eq!(estimate_steps_by_radius(0.0, 0.0), 26);
        assert_eq!(estimate_steps_by_radius(1.0, 0.0), 24);
        assert_eq!(estimate_steps_by_radius(1000.0, 0.0), 14);
        assert_eq!(estimate_steps_by_radius(1000.0, 70.0), 13);
        assert_eq!(estimate_steps_by_radius(1000.0, -85.0), 12);
        assert_eq!(estimate_steps_by_radius(5e7, 0.0), 1);
    }

    proptest! {
        #[test]
        fn decoding_lands_in_the_encoded_cell(
            lon in LON_MIN..=LON_MAX,
            lat in LAT_MIN..=LAT_MAX,
            step in 1u8..=26,
        ) {
            let hash = encode_wgs84(lon, lat, step).unwrap();
            let area = decode(LON_RANGE, LAT_RANGE, hash).unwrap();
            // A coordinate on the upper limit encodes one cell past the end, as in Redis.
            if lon < LON_MAX && lat < LAT_MAX {
                prop_assert!(area.lon.min <= lon && lon <= area.lon.max);
                prop_assert!(area.lat.min <= lat && lat <= area.lat.max);
            }
            let (clon, clat) = decode_score(score_of(lon, lat) as f64);
            prop_assert!((clon - lon).abs() < 1e-5 && (clat - lat).abs() < 1e-5);
            // Re-encoding the decoded centre gives the same score.
            prop_assert_eq!(score_of(clon, clat), score_of(lon, lat));
        }

        #[test]
        fn distance_is_symmetric_and_bounded(
            lon1 in LON_MIN..=LON_MAX, lat1 in LAT_MIN..=LAT_MAX,
            lon2 in LON_MIN..=LON_MAX, lat2 in LAT_MIN..=LAT_MAX,
        ) {
            let d = distance(lon1, lat1, lon2, lat2);
            prop_assert!((d - distance(lon2, lat2, lon1, lat1)).abs() <= d * 1e-12);
            prop_assert!((0.0..=std::f64::consts::PI * EARTH_RADIUS_METERS + 1.0).contains(&d));
            prop_assert_eq!(distance(lon1, lat1, lon1, lat1), 0.0);
        }

        #[test]
        fn the_cells_cover_the_shape(
            lon in -170.0f64..170.0, lat in -80.0f64..80.0,
            radius in 1.0f64..500_000.0,
            points in proptest::collection::vec((-1.0f64..1.0, -1.0f64..1.0), 1..40),
        ) {
            // Points scattered around the centre: every one within the radius is found.
            let spread = radius / 111_000.0 * 1.5;
            let members: Vec<(Vec<u8>, f64)> = points
                .iter()
                .enumerate()
                .filter_map(|(i, (dx, dy))| {
                    let (plon, plat) = (lon + dx * spread, lat + dy * spread);
                    valid_lon_lat(plon, plat)
                        .then(|| (format!("m{i}").into_bytes(), score_of(plon, plat) as f64))
                })
                .collect();
            let limits = crate::types::zset::ZSetLimits { entries: 16, value: 64 };
            let zset = ZSet::from_members(&members, limits);
            let shape = Shape { lon, lat, kind: ShapeKind::Circle { radius }, conversion: 1.0 };
            let found = search(&zset, &shape, 0);
            let expected = members
                .iter()
                .filter(|(_, score)| {
                    let (plon, plat) = decode_score(*score);
                    distance(lon, lat, plon, plat) <= radius
                })
                .count();
            prop_assert_eq!(found.len(), expected);
            let boxed = Shape { kind: ShapeKind::Box { width: radius, height: radius }, ..shape };
            for f in search(&zset, &boxed, 0) {
                prop_assert!(boxed.contains(f.lon, f.lat).is_some());
            }
        }
    }
}
