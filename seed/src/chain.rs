//! Chain-assigned seeds.
