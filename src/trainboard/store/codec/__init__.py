"""How points are kept as bytes and thinned for a chart: pure functions, no SQL, no I/O."""
