//! `palette-8x8` version 1: the proof's public outputs are the pixels. Output `i` (row-major,
//! 8×8) is a pixel whose palette index is `clamp(floor(2 v + 4), 0, 7)`, computed in IEEE
//! `f32` (exact for the outputs' fixed-point values); each pixel is drawn as an 8×8 block
//! of a 64×64 RGB PNG. The renderer decides nothing the proof does not: it is the PNG
//! encoding of the proven pixels.

use crate::pixel_bands::encode_png;
use crate::{RenderError, Result};

/// Pixels per side of the proven image.
pub const SIDE: usize = 8;

/// Pixels per side of the drawn PNG.
const SCALE: usize = 8;

/// The palette: index 0 to 7, dark to light.
pub const PALETTE: [[u8; 3]; 8] = [
    [0x14, 0x16, 0x1c],
    [0x2e, 0x22, 0x4f],
    [0x53, 0x2b, 0x7a],
    [0x8c, 0x34, 0x7e],
    [0xc8, 0x4b, 0x5e],
    [0xe8, 0x7d, 0x3e],
    [0xf4, 0xb9, 0x42],
    [0xf9, 0xef, 0xa8],
];

/// The palette index of output value `v`.
pub fn palette_index(v: f32) -> usize {
    if !v.is_finite() {
        return 0;
    }
    let level = (2.0 * v + 4.0).floor();
    if level <= 0.0 {
        0
    } else if level >= 7.0 {
        7
    } else {
        level as usize
    }
}

/// The PNG of the 64 proven pixels `outputs`.
pub fn render_palette(outputs: &[f32]) -> Result<Vec<u8>> {
    if outputs.len() != SIDE * SIDE {
        return Err(RenderError::OutputCount { expected: SIDE * SIDE, got: outputs.len() });
    }
    let size = SIDE * SCALE;
    let mut pixels = vec![[0u8; 3]; size * size];
    for (i, value) in outputs.iter().enumerate() {
        let colour = PALETTE[palette_index(*value)];
        let (row, col) = (i / SIDE, i % SIDE);
        for y in row * SCALE..(row + 1) * SCALE {
            for x in col * SCALE..(col + 1) * SCALE {
                pixels[y * size + x] = colour;
            }
        }
    }
    encode_png(size, size, &pixels)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_map_to_the_palette_by_halves() {
        assert_eq!(palette_index(-2.0), 0);
        assert_eq!(palette_index(-1.51), 0);
        assert_eq!(palette_index(-1.5), 1);
        assert_eq!(palette_index(0.0), 4);
        assert_eq!(palette_index(0.49), 4);
        assert_eq!(palette_index(0.5), 5);
        assert_eq!(palette_index(1.5), 7);
        assert_eq!(palette_index(100.0), 7);
        assert_eq!(palette_index(f32::NAN), 0);
    }

    #[test]
    fn only_an_8x8_image_is_drawn() {
        assert!(matches!(render_palette(&[0.0; 63]), Err(RenderError::OutputCount { expected: 64, got: 63 })));
        assert!(render_palette(&[0.0; 64]).is_ok());
    }
}
