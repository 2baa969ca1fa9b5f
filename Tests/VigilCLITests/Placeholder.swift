// Tests for VigilCLI live in this folder.
