"""Write tiny PDFs for tests, by hand: text pages (CJK via a non-embedded Adobe-GB1 font),
blank pages (no text layer) and password-protected files (RC4, standard handler R2).

No PDF library can write these here, and the bytes are small enough to build directly.
"""

from __future__ import annotations

import hashlib
import zlib

_PAD = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")


def _rc4(key: bytes, data: bytes) -> bytes:
    s = list(range(256))
    j = 0
    for i in range(256):
        j = (j + s[i] + key[i % len(key)]) % 256
        s[i], s[j] = s[j], s[i]
    out = bytearray()
    i = j = 0
    for byte in data:
        i = (i + 1) % 256
        j = (j + s[i]) % 256
        s[i], s[j] = s[j], s[i]
        out.append(byte ^ s[(s[i] + s[j]) % 256])
    return bytes(out)


def _hex_ucs2(text: str) -> str:
    return "".join(f"{ord(ch):04X}" for ch in text)


def deflate_with_padding(content: bytes, padding: int) -> bytes:
    """``content`` plus a PDF comment of ``padding`` spaces, Flate-compressed in 1 MiB steps.

    200 MiB of padding compresses to ~200 KB: a deflate bomb built without ever holding it.
    """
    packer = zlib.compressobj(9)
    out = [packer.compress(content + b"\n%")]
    chunk = b" " * (1 << 20)
    for start in range(0, padding, len(chunk)):
        out.append(packer.compress(chunk[: min(len(chunk), padding - start)]))
    out.append(packer.compress(b"\n") + packer.flush())
    return b"".join(out)


def make_pdf(
    pages: list[list[str]], *, user_password: str | None = None, bomb_padding: int = 0
) -> bytes:
    """A PDF with one text line per entry of each page; [] pages have no text at all.

    ``bomb_padding`` > 0 Flate-compresses the first page's content stream with that many
    bytes of padding inside (see ``deflate_with_padding``).
    """
    objects: list[bytes] = []  # object i+1

    def add(body: bytes) -> int:
        objects.append(body)
        return len(objects)

    catalog = add(b"")  # filled later
    pages_obj = add(b"")
    font = add(
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H "
        b"/DescendantFonts [<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light "
        b"/CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> "
        b"/FontDescriptor << /Type /FontDescriptor /FontName /STSong-Light /Flags 6 "
        b"/FontBBox [0 -200 1000 900] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 "
        b"/StemV 93 >> >>] >>"
    )
    page_ids: list[int] = []
    streams: list[int] = []
    for lines in pages:
        ops = ["BT", "/F1 10 Tf", "12 TL", "40 800 Td"]
        for line in lines:
            ops.append(f"<{_hex_ucs2(line)}> Tj T*")
        ops.append("ET")
        content = "\n".join(ops).encode("ascii") if lines else b""
        stream_id = add(content)  # placeholder, wrapped below
        streams.append(stream_id)
        page_ids.append(
            add(
                f"<< /Type /Page /Parent {pages_obj} 0 R /MediaBox [0 0 595 842] "
                f"/Resources << /Font << /F1 {font} 0 R >> >> /Contents {stream_id} 0 R >>".encode()
            )
        )
    objects[catalog - 1] = f"<< /Type /Catalog /Pages {pages_obj} 0 R >>".encode()
    kids = " ".join(f"{p} 0 R" for p in page_ids)
    objects[pages_obj - 1] = f"<< /Type /Pages /Kids [{kids}] /Count {len(page_ids)} >>".encode()

    file_id = hashlib.md5(repr(pages).encode()).digest()
    key = b""
    encrypt_id = 0
    if user_password is not None:
        owner = _rc4(hashlib.md5(_PAD).digest()[:5], (user_password.encode() + _PAD)[:32])
        permissions = (-4).to_bytes(4, "little", signed=True)
        key = hashlib.md5((user_password.encode() + _PAD)[:32] + owner + permissions + file_id).digest()[:5]
        user_entry = _rc4(key, _PAD)
        encrypt_id = len(objects) + 1
        objects.append(
            b"<< /Filter /Standard /V 1 /R 2 /O <" + owner.hex().encode() + b"> /U <"
            + user_entry.hex().encode() + b"> /P -4 >>"
        )

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets: list[int] = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        if number in streams:
            data = body
            extra = ""
            if bomb_padding and number == streams[0]:
                data, extra = deflate_with_padding(body, bomb_padding), " /Filter /FlateDecode"
            if key:
                object_key = hashlib.md5(key + number.to_bytes(3, "little") + b"\x00\x00").digest()[:10]
                data = _rc4(object_key, data)
            out += f"{number} 0 obj\n<< /Length {len(data)}{extra} >>\nstream\n".encode() + data + b"\nendstream\nendobj\n"
        else:
            out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    trailer = f"trailer\n<< /Size {len(objects) + 1} /Root {catalog} 0 R /ID [<{file_id.hex()}> <{file_id.hex()}>]"
    if encrypt_id:
        trailer += f" /Encrypt {encrypt_id} 0 R"
    out += (trailer + f" >>\nstartxref\n{xref}\n%%EOF\n").encode()
    return bytes(out)
