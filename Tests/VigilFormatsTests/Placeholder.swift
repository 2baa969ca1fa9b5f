// Tests for VigilFormats live in this folder.
