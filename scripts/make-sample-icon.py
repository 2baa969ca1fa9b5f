#!/usr/bin/env python3
"""Writes Samples/tree/icons/icon13.ico: a benign synthetic icon laid out like the 3CX ICONIC carriers.

An ICO header with one PNG image (an empty IHDR, then IEND), followed by "$" and base64 text
("Vigil demo sample, not a real C2 message"). Volexity's rule apt_ico_uta0040_b64_c2 and Vigil's
image trailing-data check both recognise that layout; nothing in the file is malicious.
"""
import base64, pathlib

png = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\x0dIHDR" + b"\x00" * 13 + b"\x00" * 4 + b"\x00\x00\x00\x00IEND\xaeB`\x82"
ico = bytes([0, 0, 1, 0, 1, 0]) + bytes([16, 16, 0, 0, 1, 0, 32, 0]) + len(png).to_bytes(4, "little") + (22).to_bytes(4, "little")
tail = b"$" + base64.b64encode(b"Vigil demo sample, not a real C2 message")
out = pathlib.Path(__file__).resolve().parent.parent / "Samples/tree/icons/icon13.ico"
out.write_bytes(ico + png + tail)
print(out)
