"""Community analytics."""
