"""The invitation's QR code: an SVG drawn by segno (pure Python), for an ``<img>`` element.

The SVG travels as a ``data:`` URI, which the Content-Security-Policy allows for images
(``img-src 'self' data:``): no inline style or script reaches the page, and the token it
encodes is never stored or served from a URL of its own.
"""

import segno


def qr_data_uri(text: str) -> str:
    """Return ``text`` as a QR code (error correction M) in an SVG ``data:`` URI."""
    code = segno.make_qr(text, error="m")
    return code.svg_data_uri(scale=6, border=4, dark="#000", light="#fff", title="QR")
