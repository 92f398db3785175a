"""REST routes, one module per area of the domain."""
