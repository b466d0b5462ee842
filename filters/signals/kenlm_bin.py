"""KenLM's trainer (``lmplz``) and ``build_binary``, built once from the kenlm source distribution on PyPI.

The ``kenlm`` Python wheel only queries models; training needs the C++ tools of the same sdist. They build with
cmake and Boost (Debian: ``libboost-program-options-dev libboost-system-dev libboost-thread-dev
libboost-test-dev libeigen3-dev zlib1g-dev libbz2-dev liblzma-dev cmake build-essential``) in about a minute,
and are cached in ``$FINEBOOKS_CACHE/kenlm-bin`` (default ``~/.cache/finebooks/kenlm-bin``).

    python -m filters.signals.kenlm_bin            # build if missing, print where the binaries are
    python -m filters.signals.kenlm_bin --check    # only say whether they are there (exit 1 if not)
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

KENLM_VERSION = "0.3.0"
TOOLS = ("lmplz", "build_binary")
HOW = (
    "install the build dependencies (Debian: apt-get install cmake build-essential libboost-program-options-dev "
    "libboost-system-dev libboost-thread-dev libboost-test-dev libeigen3-dev zlib1g-dev libbz2-dev liblzma-dev), "
    "then run: python -m filters.signals.kenlm_bin"
)


def cache_dir() -> Path:
    return Path(os.environ.get("FINEBOOKS_CACHE", Path.home() / ".cache" / "finebooks"))


def bin_dir() -> Path:
    return cache_dir() / "kenlm-bin"


def find_tool(name: str) -> Path | None:
    """A built tool in the cache, else one on PATH, else None."""
    cached = bin_dir() / name
    if cached.is_file() and os.access(cached, os.X_OK):
        return cached
    found = shutil.which(name)
    return Path(found) if found else None


def require_tool(name: str) -> Path:
    path = find_tool(name)
    if path is None:
        raise FileNotFoundError(f"KenLM tool {name!r} not found in {bin_dir()} or on PATH; {HOW}")
    return path


def build(jobs: int = 2, quiet: bool = True) -> Path:
    """Download the kenlm sdist with pip, build ``lmplz`` and ``build_binary``, copy them into ``bin_dir()``."""
    if all(find_tool(t) for t in TOOLS):
        return bin_dir()
    if shutil.which("cmake") is None:
        raise RuntimeError(f"cmake not found; {HOW}")
    out = None if not quiet else subprocess.DEVNULL
    with tempfile.TemporaryDirectory(prefix="kenlm-build-") as tmp:
        tmp_path = Path(tmp)
        # --no-build-isolation: reading the sdist's metadata in an isolated env would apply --no-binary to its
        # build dependencies too (cmake compiled from source, many minutes); the venv's setuptools does it at once
        subprocess.run(
            [sys.executable, "-m", "pip", "download", f"kenlm=={KENLM_VERSION}", "--no-binary", ":all:", "--no-deps"]
            + ["--no-build-isolation", "-d", str(tmp_path), "--quiet"],
            check=True,
        )
        sdist = next(tmp_path.glob("kenlm-*.tar.gz"))
        with tarfile.open(sdist) as tar:
            tar.extractall(tmp_path, filter="data")
        src = next(p for p in tmp_path.iterdir() if p.is_dir() and (p / "CMakeLists.txt").exists())
        build_dir = src / "build"
        build_dir.mkdir()
        subprocess.run(
            ["cmake", "..", "-DCMAKE_BUILD_TYPE=Release"], cwd=build_dir, check=True, stdout=out, stderr=out
        )
        subprocess.run(["make", f"-j{jobs}", *TOOLS], cwd=build_dir, check=True, stdout=out, stderr=out)
        bin_dir().mkdir(parents=True, exist_ok=True)
        for tool in TOOLS:
            shutil.copy2(build_dir / "bin" / tool, bin_dir() / tool)
    return bin_dir()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only report whether lmplz/build_binary are present")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args(argv)
    if args.check:
        missing = [t for t in TOOLS if find_tool(t) is None]
        if missing:
            print(f"missing: {', '.join(missing)}; {HOW}")
            return 1
        print(" ".join(str(find_tool(t)) for t in TOOLS))
        return 0
    try:
        where = build(jobs=args.jobs, quiet=True)
    except (RuntimeError, subprocess.CalledProcessError) as e:
        print(f"could not build KenLM tools: {e}; {HOW}", file=sys.stderr)
        return 1
    print(f"KenLM tools in {where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
