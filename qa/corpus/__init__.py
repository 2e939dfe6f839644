"""Many articles: building an index on all cores, the on-disk store."""
