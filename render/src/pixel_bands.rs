//! `pixel-bands` version 1: a small PNG drawn from a token's traits, the same bytes for the
//! same traits on every machine (only IEEE-exact arithmetic, no transcendental functions).
//!
//! The image is [`SIZE`]×[`SIZE`] RGB on a dark background, with one vertical band per
//! trait (at most [`MAX_BANDS`]; further traits are ignored). Trait `t` is squashed into
//! `s = 0.5 + t / (2 (1 + |t|))` in (0, 1) (non-finite values count as 0); the band rises
//! from the bottom to a height of `8 + round(s · 56)` pixels, and its hue is
//! `(360 · i / n + 300 · s) mod 360` degrees for band `i` of `n`.

use std::io::Write as _;

use flate2::Compression;
use flate2::write::ZlibEncoder;

use crate::{RenderError, Result};

/// Width and height of the image, in pixels.
pub const SIZE: usize = 64;

/// The most traits drawn as bands.
pub const MAX_BANDS: usize = 16;

/// The PNG file signature.
const SIGNATURE: [u8; 8] = [0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n'];

/// The background colour.
const BACKGROUND: [u8; 3] = [0x14, 0x16, 0x1c];

/// The lowest band height, in pixels.
const MIN_HEIGHT: usize = 8;

/// The PNG of `traits`. Errors only when there are no traits.
pub fn render_png(traits: &[f32]) -> Result<Vec<u8>> {
    let pixels = draw(traits)?;
    encode_png(SIZE, SIZE, &pixels)
}

/// The RGB pixels of `traits`, row by row from the top ([`SIZE`]×[`SIZE`]).
pub fn pixels(traits: &[f32]) -> Result<Vec<[u8; 3]>> {
    draw(traits)
}

fn draw(traits: &[f32]) -> Result<Vec<[u8; 3]>> {
    if traits.is_empty() {
        return Err(RenderError::NoTraits);
    }
    let bands: Vec<(usize, [u8; 3])> = {
        let n = traits.len().min(MAX_BANDS);
        traits[..n]
            .iter()
            .enumerate()
            .map(|(i, &t)| {
                let s = squash(t);
                let height = MIN_HEIGHT + (s * (SIZE - MIN_HEIGHT) as f32).round() as usize;
                let hue = (360.0 * i as f32 / n as f32 + 300.0 * s) % 360.0;
                (height.min(SIZE), hsv_to_rgb(hue, 0.65, 0.95))
            })
            .collect()
    };
    let band_width = SIZE / bands.len();
    // Bands are centred; the few pixels left over are split between the margins.
    let margin = (SIZE - band_width * bands.len()) / 2;
    let mut pixels = vec![BACKGROUND; SIZE * SIZE];
    for y in 0..SIZE {
        for x in 0..SIZE {
            let Some(band) = x.checked_sub(margin).map(|x| x / band_width) else { continue };
            let Some(&(height, colour)) = bands.get(band) else { continue };
            if y >= SIZE - height {
                pixels[y * SIZE + x] = colour;
            }
        }
    }
    Ok(pixels)
}

/// `t` mapped into (0, 1), monotonically; 0.5 for 0 and for non-finite values.
fn squash(t: f32) -> f32 {
    if !t.is_finite() {
        return 0.5;
    }
    0.5 + t / (2.0 * (1.0 + t.abs()))
}

/// An HSV colour (`hue` in degrees) as 8-bit RGB.
fn hsv_to_rgb(hue: f32, saturation: f32, value: f32) -> [u8; 3] {
    let h = hue.rem_euclid(360.0) / 60.0;
    let sector = (h.floor() as u8).min(5);
    let f = h - f32::from(sector);
    let p = value * (1.0 - saturation);
    let q = value * (1.0 - saturation * f);
    let t = value * (1.0 - saturation * (1.0 - f));
    let (r, g, b) = match sector {
        0 => (value, t, p),
        1 => (q, value, p),
        2 => (p, value, t),
        3 => (p, q, value),
        4 => (t, p, value),
        _ => (value, p, q),
    };
    let byte = |c: f32| (c.clamp(0.0, 1.0) * 255.0).round() as u8;
    [byte(r), byte(g), byte(b)]
}

/// A PNG (8-bit RGB, no interlacing, every row with filter type 0) of `pixels`, given row by
/// row from the top.
pub fn encode_png(width: usize, height: usize, pixels: &[[u8; 3]]) -> Result<Vec<u8>> {
    if width == 0 || height == 0 || pixels.len() != width * height {
        return Err(RenderError::ImageShape { pixels: pixels.len(), width, height });
    }
    let mut raw = Vec::with_capacity(height * (1 + 3 * width));
    for row in pixels.chunks(width) {
        raw.push(0); // filter type: none
        raw.extend(row.iter().flatten());
    }
    let mut zlib = ZlibEncoder::new(Vec::new(), Compression::best());
    zlib.write_all(&raw).map_err(RenderError::Compress)?;
    let idat = zlib.finish().map_err(RenderError::Compress)?;

    let mut ihdr = Vec::with_capacity(13);
    ihdr.extend(u32::try_from(width).map_err(|_| RenderError::PngLimit("image too wide"))?.to_be_bytes());
    ihdr.extend(u32::try_from(height).map_err(|_| RenderError::PngLimit("image too tall"))?.to_be_bytes());
    // Bit depth 8, colour type 2 (RGB), deflate, adaptive filtering, no interlace.
    ihdr.extend([8, 2, 0, 0, 0]);

    let mut png = SIGNATURE.to_vec();
    chunk(&mut png, b"IHDR", &ihdr)?;
    chunk(&mut png, b"IDAT", &idat)?;
    chunk(&mut png, b"IEND", &[])?;
    Ok(png)
}

/// Appends one chunk: length, type, data and the CRC-32 of type and data.
fn chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) -> Result<()> {
    png.extend(u32::try_from(data.len()).map_err(|_| RenderError::PngLimit("PNG chunk too large"))?.to_be_bytes());
    png.extend(kind);
    png.extend(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    png.extend(crc.finalize().to_be_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::io::Read as _;

    use super::*;

    /// The chunks of `png` as (type, data), checking the signature and every CRC.
    fn chunks(png: &[u8]) -> Vec<(String, Vec<u8>)> {
        assert_eq!(png[..8], SIGNATURE);
        let mut rest = &png[8..];
        let mut out = Vec::new();
        while !rest.is_empty() {
            let len = u32::from_be_bytes(rest[..4].try_into().unwrap()) as usize;
            let kind = &rest[4..8];
            let data = &rest[8..8 + len];
            let crc = u32::from_be_bytes(rest[8 + len..12 + len].try_into().unwrap());
            let mut hasher = crc32fast::Hasher::new();
            hasher.update(kind);
            hasher.update(data);
            assert_eq!(crc, hasher.finalize(), "CRC of {}", String::from_utf8_lossy(kind));
            out.push((String::from_utf8(kind.to_vec()).unwrap(), data.to_vec()));
            rest = &rest[12 + len..];
        }
        out
    }

    #[test]
    fn writes_a_well_formed_png_whose_pixels_decode_back() {
        let traits = [0.25, -1.5, 3.0, 0.0];
        let png = render_png(&traits).unwrap();
        let chunks = chunks(&png);
        let kinds: Vec<&str> = chunks.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(kinds, ["IHDR", "IDAT", "IEND"]);
        assert_eq!(chunks[0].1, [0, 0, 0, 64, 0, 0, 0, 64, 8, 2, 0, 0, 0]);
        let mut raw = Vec::new();
        flate2::read::ZlibDecoder::new(&chunks[1].1[..]).read_to_end(&mut raw).unwrap();
        assert_eq!(raw.len(), SIZE * (1 + 3 * SIZE));
        let pixels = draw(&traits).unwrap();
        for (y, row) in raw.chunks(1 + 3 * SIZE).enumerate() {
            assert_eq!(row[0], 0, "filter byte of row {y}");
            let expected: Vec<u8> = pixels[y * SIZE..(y + 1) * SIZE].iter().flatten().copied().collect();
            assert_eq!(row[1..], expected[..], "row {y}");
        }
    }

    #[test]
    fn the_same_traits_give_the_same_bytes_and_other_traits_other_bytes() {
        let a = render_png(&[0.1, 0.2, 0.3, 0.4]).unwrap();
        assert_eq!(a, render_png(&[0.1, 0.2, 0.3, 0.4]).unwrap());
        assert_ne!(a, render_png(&[0.1, 0.2, 0.3, 0.5]).unwrap());
    }

    #[test]
    fn band_heights_follow_the_traits() {
        let pixels = draw(&[-1000.0, 1000.0, 0.0, f32::NAN]).unwrap();
        let height = |band: usize| (0..SIZE).filter(|y| pixels[y * SIZE + band * 16 + 8] != BACKGROUND).count();
        assert_eq!(height(0), MIN_HEIGHT);
        assert_eq!(height(1), SIZE);
        assert_eq!(height(2), MIN_HEIGHT + 28);
        assert_eq!(height(3), MIN_HEIGHT + 28, "a non-finite trait counts as 0");
    }

    #[test]
    fn any_number_of_traits_is_drawn_without_panicking() {
        assert!(matches!(render_png(&[]), Err(RenderError::NoTraits)));
        assert!(matches!(encode_png(2, 2, &[[0; 3]; 3]), Err(RenderError::ImageShape { pixels: 3, .. })));
        for n in [1, 3, 5, 7, 16, 17, 100] {
            let traits: Vec<f32> = (0..n).map(|i| i as f32 - 3.0).collect();
            assert!(render_png(&traits).is_ok(), "{n} traits");
        }
        for extreme in [f32::MAX, f32::MIN, f32::INFINITY, f32::NEG_INFINITY, f32::MIN_POSITIVE] {
            assert!(render_png(&[extreme; 4]).is_ok(), "{extreme}");
        }
    }

    #[test]
    fn colours_cover_the_hue_circle() {
        assert_eq!(hsv_to_rgb(0.0, 1.0, 1.0), [255, 0, 0]);
        assert_eq!(hsv_to_rgb(120.0, 1.0, 1.0), [0, 255, 0]);
        assert_eq!(hsv_to_rgb(240.0, 1.0, 1.0), [0, 0, 255]);
        assert_eq!(hsv_to_rgb(360.0, 1.0, 1.0), [255, 0, 0]);
        assert_eq!(hsv_to_rgb(-60.0, 1.0, 1.0), [255, 0, 255]);
    }
}
