"""Labour-compliance transparency API."""
