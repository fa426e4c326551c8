"""Supply chain: every pinned package carries its sha256 hashes and is installed with them."""
import re

from analysis import paths

LOCK = paths.ROOT / "requirements.lock"
MAKEFILE = paths.ROOT / "Makefile"


def _entries(text: str) -> list[str]:
    """Requirement entries of a pip-compile file, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", text)
    return [line.strip() for line in joined.splitlines()
            if line.strip() and not line.lstrip().startswith(("#", "-"))]


def test_every_locked_package_is_pinned_with_hashes():
    entries = _entries(LOCK.read_text())
    assert len(entries) > 50
    for entry in entries:
        assert re.match(r"^[A-Za-z0-9_.-]+==\S+ ", entry), entry
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", entry), entry


def test_lock_names_no_machine_specific_index():
    text = LOCK.read_text()
    assert "--extra-index-url" not in text and "--find-links" not in text and "file://" not in text


def test_install_requires_hashes_and_wheels():
    rule = next(line for line in MAKEFILE.read_text().splitlines() if "-r requirements.lock" in line)
    assert "--require-hashes" in rule and "--only-binary :all:" in rule


def test_lock_parser_sees_a_missing_hash():
    bad = "numpy==2.0.0 \\\n    --hash=sha256:" + "a" * 64 + "\nscipy==1.13.0\n"
    entries = _entries(bad)
    assert entries[1] == "scipy==1.13.0" and "--hash" not in entries[1]
