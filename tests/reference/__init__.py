"""Independent reference implementations the tests check the package against (pandas and numpy on
the raw rows, written without the package's code)."""
