//! `LOLWUT`: the version line, or with `VERSION 5` Georg Nees's "Schotter" drawn in Braille
//! characters and with `VERSION 6` a city skyline in terminal colours, drawn the way Redis
//! 7.0 draws them (its `lolwut5.c`/`lolwut6.c`; the randomness is ours, so pictures differ).

use super::connection::REDIS_VERSION;
use super::errors::{self, CmdError, CmdResult};
use super::flags::*;
use super::{Args, Command, Ctx, Group};

pub static COMMANDS: &[Command] =
    &[
        Command::new("lolwut", -1, READONLY | FAST, Group::Server, lolwut)
            .doc(
                "5.0.0",
                "Display some computer art and the Redis version",
                "",
            )
            .syntax("[VERSION version]"),
    ];

fn long(args: &Args, i: usize) -> Result<Option<i64>, CmdError> {
    match args.try_get(i) {
        None => Ok(None),
        Some(arg) => crate::util::parse_i64(arg)
            .map(Some)
            .ok_or(errors::NOT_INTEGER),
    }
}

fn lolwut(ctx: &mut Ctx, args: &Args) -> CmdResult {
    // `VERSION n` picks the drawing and is dropped from the arguments the drawing reads.
    let (version, first) = if args.len() >= 3 && args.is(1, "version") {
        let version = long(args, 2)?.expect("present");
        // Redis formats it as an unsigned int and reads the first digits back.
        (Some(version as u32), 3)
    } else {
        (None, 1)
    };
    let text = match version {
        Some(5) => {
            let cols = long(args, first)?.unwrap_or(66).clamp(1, 1000);
            let per_row = long(args, first + 1)?.unwrap_or(8).clamp(1, 200);
            let per_col = long(args, first + 2)?.unwrap_or(12).clamp(1, 200);
            let canvas = schotter(&mut ctx.server.keyspace.rng, cols, per_row, per_col)?;
            format!(
                "{}\nGeorg Nees - schotter, plotter on paper, 1968. Redis ver. {REDIS_VERSION}\n",
                canvas.braille()
            )
        }
        Some(6) => {
            let cols = long(args, first)?.unwrap_or(80).clamp(1, 1000);
            let rows = long(args, first + 1)?.unwrap_or(20).clamp(1, 1000);
            let mut canvas = Canvas::new(cols as i32, rows as i32, 3)?;
            skyline(&mut ctx.server.keyspace.rng, &mut canvas);
            format!(
                "{}\nDedicated to the 8 bit game developers of past and present.\n\
                 Original 8 bit image from Plaguemon by hikikomori. Redis ver. {REDIS_VERSION}\n",
                canvas.colours()
            )
        }
        _ => format!("Redis ver. {REDIS_VERSION}\n"),
    };
    ctx.reply.verbatim(text.as_bytes());
    Ok(())
}

/// A grid of pixels, each a colour number.
struct Canvas {
    width: i32,
    height: i32,
    pixels: Vec<u8>,
}

impl Canvas {
    /// A canvas filled with `background`; its size comes from the client, so running out of
    /// memory is an error reply.
    fn new(width: i32, height: i32, background: u8) -> Result<Canvas, CmdError> {
        let size = width as usize * height as usize;
        let mut pixels = Vec::new();
        pixels.try_reserve_exact(size)?;
        pixels.resize(size, background);
        Ok(Canvas {
            width,
            height,
            pixels,
        })
    }

    fn set(&mut self, x: i32, y: i32, colour: u8) {
        if (0..self.width).contains(&x) && (0..self.height).contains(&y) {
            self.pixels[(x + y * self.width) as usize] = colour;
        }
    }

    /// The colour at (x, y); 0 outside.
    fn get(&self, x: i32, y: i32) -> u8 {
        if (0..self.width).contains(&x) && (0..self.height).contains(&y) {
            self.pixels[(x + y * self.width) as usize]
        } else {
            0
        }
    }

    /// Bresenham's line.
    fn line(&mut self, (mut x1, mut y1): (i32, i32), (x2, y2): (i32, i32), colour: u8) {
        let (dx, dy) = ((x2 - x1).abs(), (y2 - y1).abs());
        let (sx, sy) = (if x1 < x2 { 1 } else { -1 }, if y1 < y2 { 1 } else { -1 });
        let mut err = dx - dy;
        loop {
            self.set(x1, y1, colour);
            if x1 == x2 && y1 == y2 {
                break;
            }
            let e2 = err * 2;
            if e2 > -dy {
                err -= dy;
                x1 += sx;
            }
            if e2 < dx {
                err += dx;
                y1 += sy;
            }
        }
    }

    /// A square of side `size` centred on (x, y), turned by `angle` radians.
    fn square(&mut self, x: i32, y: i32, size: f32, angle: f32, colour: u8) {
        // The square inscribed in a circle of radius 1 has side √2.
        let size = (size / std::f32::consts::SQRT_2).round() as f64;
        let mut k = std::f64::consts::FRAC_PI_4 + angle as f64;
        let mut corners = [(0, 0); 4];
        for corner in &mut corners {
            *corner = (
                (k.sin() * size + x as f64).round() as i32,
                (k.cos() * size + y as f64).round() as i32,
            );
            k += std::f64::consts::FRAC_PI_2;
        }
        for j in 0..4 {
            self.line(corners[j], corners[(j + 1) % 4], colour);
        }
    }

    /// Each 2×4 block of pixels as one Braille character (U+2800 plus the dots set).
    fn braille(&self) -> String {
        const DOTS: [(i32, i32); 8] = [
            (0, 0),
            (0, 1),
            (0, 2),
            (1, 0),
            (1, 1),
            (1, 2),
            (0, 3),
            (1, 3),
        ];
        let mut text = String::new();
        for y in (0..self.height).step_by(4) {
            for x in (0..self.width).step_by(2) {
                let mut byte = 0u32;
                for (bit, (dx, dy)) in DOTS.iter().enumerate() {
                    if self.get(x + dx, y + dy) != 0 {
                        byte |= 1 << bit;
                    }
                }
                text.push(char::from_u32(0x2800 + byte).expect("Braille block"));
            }
            if y != self.height - 1 {
                text.push('\n');
            }
        }
        text
    }

    /// Each pixel as a space with foreground and background set to its grey.
    fn colours(&self) -> String {
        let mut text = String::new();
        for y in 0..self.height {
            for x in 0..self.width {
                let escape = match self.get(x, y) {
                    1 => "0;90;100m",
                    2 => "0;37;47m",
                    3 => "0;97;107m",
                    _ => "0;30;40m",
                };
                text.push_str("\x1b[");
                text.push_str(escape);
                text.push_str(" \x1b[0m");
            }
            if y != self.height - 1 {
                text.push('\n');
            }
        }
        text
    }
}

/// Rows of squares, more disordered (turned and shifted) the lower the row.
fn schotter(
    rng: &mut fastrand::Rng,
    cols: i64,
    per_row: i64,
    per_col: i64,
) -> Result<Canvas, CmdError> {
    let width = cols as i32 * 2;
    let padding = if width > 4 { 2 } else { 0 };
    let side = (width - padding * 2) as f32 / per_row as f32;
    let height = (side * per_col as f32 + (padding * 2) as f32) as i32;
    let mut canvas = Canvas::new(width, height, 0)?;
    for y in 0..per_col as i32 {
        for x in 0..per_row as i32 {
            let mut sx = (x as f32 * side + side / 2.0 + padding as f32) as i32;
            let mut sy = (y as f32 * side + side / 2.0 + padding as f32) as i32;
            let mut angle = 0.0;
            if y > 1 {
                let mut r = [0f32; 3];
                for value in &mut r {
                    *value = rng.f32() / per_col as f32 * y as f32;
                }
                for value in &mut r {
                    if rng.bool() {
                        *value = -*value;
                    }
                }
                angle = r[0];
                sx = (sx as f32 + r[1] * side / 3.0) as i32;
                sy = (sy as f32 + r[2] * side / 3.0) as i32;
            }
            canvas.square(sx, sy, side, angle, 1);
        }
    }
    Ok(canvas)
}

/// One building: `colour`, standing on the bottom row, its roof two pixels narrower on each
/// side, with windows of random greys when `windows`.
struct Skyscraper {
    xoff: i32,
    width: i32,
    height: i32,
    windows: bool,
    colour: u8,
}

fn skyscraper(rng: &mut fastrand::Rng, canvas: &mut Canvas, s: &Skyscraper) {
    let start_y = canvas.height - 1;
    let end_y = start_y - s.height + 1;
    for y in (end_y..=start_y).rev() {
        for x in s.xoff..s.xoff + s.width {
            if y == end_y && (x <= s.xoff + 1 || x >= s.xoff + s.width - 2) {
                continue;
            }
            let mut colour = s.colour;
            let inner =
                x > s.xoff + 1 && x < s.xoff + s.width - 2 && y > end_y + 1 && y < start_y - 1;
            if s.windows && inner {
                let (rel_x, rel_y) = (x - (s.xoff + 1), y - (end_y + 1));
                // Windows two pixels wide and one tall: terminal cells are not square.
                if (rel_x / 2) % 2 != 0 && rel_y % 2 != 0 {
                    colour = loop {
                        let grey = 1 + rng.u8(0..2);
                        if grey != s.colour {
                            break grey;
                        }
                    };
                    if rel_x % 2 != 0 {
                        colour = canvas.get(x - 1, y);
                    }
                }
            }
            canvas.set(x, y, colour);
        }
    }
}

/// Two rows of grey buildings behind, then black ones with windows in front.
fn skyline(rng: &mut fastrand::Rng, canvas: &mut Canvas) {
    let h = canvas.height;
    for colour in [2u8, 1] {
        let mut offset = -10;
        while offset < canvas.width {
            offset += rng.i32(0..8);
            let width = 10 + rng.i32(0..9);
            let height = if colour == 2 {
                h / 2 + rng.i32(0..h) / 2
            } else {
                h / 2 + rng.i32(0..h) / 3
            };
            let building = Skyscraper {
                xoff: offset,
                width,
                height,
                windows: false,
                colour,
            };
            skyscraper(rng, canvas, &building);
            offset += if colour == 2 { width / 2 } else { width + 1 };
        }
    }
    let mut offset = -10;
    while offset < canvas.width {
        offset += rng.i32(0..8);
        let mut width = 5 + rng.i32(0..14);
        if width % 4 != 0 {
            width += width % 3;
        }
        let building = Skyscraper {
            xoff: offset,
            width,
            height: h / 3 + rng.i32(0..h) / 2,
            windows: true,
            colour: 0,
        };
        skyscraper(rng, canvas, &building);
        offset += width + 5;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schotter_has_redis_dimensions_and_ink() {
        let mut rng = fastrand::Rng::with_seed(1);
        let canvas = schotter(&mut rng, 66, 8, 12).unwrap();
        // 132 pixels wide: 16 squares of 16 pixels, 2 of padding on each side.
        assert_eq!((canvas.width, canvas.height), (132, 196));
        let text = canvas.braille();
        assert_eq!(text.lines().count(), 49);
        assert!(text.lines().all(|line| line.chars().count() == 66));
        // The top rows are upright squares: their edges are drawn.
        assert!(canvas.pixels.iter().filter(|&&p| p == 1).count() > 1000);
        assert_eq!(canvas.get(0, 0), 0);
    }

    #[test]
    fn skyline_fills_the_bottom_and_leaves_sky() {
        let mut rng = fastrand::Rng::with_seed(2);
        let mut canvas = Canvas::new(80, 20, 3).unwrap();
        skyline(&mut rng, &mut canvas);
        let buildings = (0..80).filter(|&x| canvas.get(x, 19) != 3).count();
        assert!(
            buildings > 40,
            "the ground row is mostly buildings: {buildings}"
        );
        assert!(
            (0..80).any(|x| canvas.get(x, 0) == 3),
            "some sky at the top"
        );
        let text = canvas.colours();
        assert_eq!(text.lines().count(), 20);
        assert_eq!(text.matches("\x1b[0m").count(), 80 * 20);
    }
}
