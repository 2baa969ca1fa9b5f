// Tests for VigilFeeds live in this folder.
