// Tests for YaraKit live in this folder.
