"""Raw files as they land in the raw roots: listing them, decoding their bytes, and telling which
changed since the warehouse last read them."""
