"""The reference a report points at, generated from the code itself: ``pcemu oracles`` (every
oracle id with its meaning and the kernel's symptom) and ``pcemu primitives`` (every op of the
actor API and every kernel routine of actors/kernel/, each with its citation)."""
