// Tests for VigilHunt live in this folder.
