"""Work-distribution router."""
