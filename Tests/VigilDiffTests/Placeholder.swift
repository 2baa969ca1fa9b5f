// Tests for VigilDiff live in this folder.
