"""Reference assets and characters (personal and team libraries)."""
