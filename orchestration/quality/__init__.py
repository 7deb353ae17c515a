"""Data quality: the rules of every source, running them with Great Expectations, and the history
of checks that publish writes."""
