#!/usr/bin/python3
"""Writes the zip archives the ZipReader tests read (tests/fixtures/zip/), made with Python's
zipfile as other tools make them: deflate-compressed entries, data descriptors, other
compression methods, a zip bomb, and a torch.save file re-zipped with deflate.

Every text entry holds lines(n) for some n: "line 0\\n", "line 1\\n", ..., which the C++ tests
rebuild to compare with what they inflate.

Run with Debian's Python:  /usr/bin/python3 scripts/make_zip_fixtures.py
"""
import io
import os
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "..", "tests", "fixtures", "zip")
SERIALIZE = os.path.join(HERE, "..", "tests", "fixtures", "serialize")
DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so the files are the same on every run


def lines(n):
    return "".join(f"line {i}\n" for i in range(n)).encode()


def add(z, name, data, method):
    info = zipfile.ZipInfo(name, date_time=DATE)
    info.compress_type = method
    z.writestr(info, data)


class Unseekable(io.RawIOBase):
    """A stream zipfile cannot seek back in, so it writes a data descriptor after each entry."""

    def __init__(self):
        self.buffer = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.buffer += b
        return len(b)


def main():
    os.makedirs(OUT, exist_ok=True)
    with zipfile.ZipFile(os.path.join(OUT, "deflate.zip"), "w") as z:
        add(z, "archive/lines.txt", lines(1000), zipfile.ZIP_DEFLATED)
        add(z, "archive/lines_stored.txt", lines(1000), zipfile.ZIP_STORED)
        add(z, "archive/empty.txt", b"", zipfile.ZIP_DEFLATED)
        # Larger than zlib's internal window and output chunks: many inflate calls.
        add(z, "archive/many_lines.txt", lines(20000), zipfile.ZIP_DEFLATED)

    stream = Unseekable()
    with zipfile.ZipFile(stream, "w") as z:
        add(z, "archive/lines.txt", lines(1000), zipfile.ZIP_DEFLATED)
        add(z, "archive/few_lines.txt", lines(10), zipfile.ZIP_DEFLATED)
    with open(os.path.join(OUT, "descriptor.zip"), "wb") as f:
        f.write(stream.buffer)

    for method, name in ((zipfile.ZIP_BZIP2, "bzip2.zip"), (zipfile.ZIP_LZMA, "lzma.zip")):
        with zipfile.ZipFile(os.path.join(OUT, name), "w") as z:
            add(z, "archive/lines.txt", lines(100), method)

    # 20 MiB of zeros deflate about 1030:1, beyond ZipLimits' default of 1000:1.
    with zipfile.ZipFile(os.path.join(OUT, "bomb.zip"), "w") as z:
        add(z, "archive/zeros", bytes(20 << 20), zipfile.ZIP_DEFLATED)

    # A torch.save file whose records a zip tool recompressed: same entries, deflated.
    with zipfile.ZipFile(os.path.join(SERIALIZE, "state_dict.pt")) as src, \
            zipfile.ZipFile(os.path.join(OUT, "state_dict_deflated.pt"), "w") as z:
        for info in src.infolist():
            add(z, info.filename, src.read(info), zipfile.ZIP_DEFLATED)


if __name__ == "__main__":
    main()
