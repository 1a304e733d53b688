//! drand beacon seeds.
