"""Documents: cleaning messy text, finding places and claims, and parsing a corpus into rows."""
