// Tests for VigilScan live in this folder.
