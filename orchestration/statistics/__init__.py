"""Statistical tables: reading the layouts people publish, units, indicators."""
