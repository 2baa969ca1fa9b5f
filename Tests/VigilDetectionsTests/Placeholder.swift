// Tests for VigilDetections live in this folder.
