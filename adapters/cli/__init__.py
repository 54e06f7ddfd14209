"""`ssj`: the command line of the embedded default."""
