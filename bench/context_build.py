"""Benchmark: repo context build (app.repo_context) vs gitingest on the same real source tree.

    python bench/context_build.py [--package django==5.2.8] [--repeat 5] [--gitingest-repeat 3]

Fetches the package's sdist with `pip download` into bench/.cache/ (git-ignored, reused), unpacks it,
repacks it as a GitHub-style tarball (one top directory, entries in git's path order, a pax global
header), then times, each run in a fresh subprocess so that peak RSS is that run's alone:

- ours: `build_context` on the tarball with pathPatterns ["**"] (everything selected), once with a
  realistic window (--max-tokens, gpt-4.1's 1,047,576 by default) and once with no cut;
- gitingest: `ingest()` on the unpacked directory, from its own venv (bench/.cache/gitingest-venv,
  created on first use) so the project's venv is left alone, with sockets disabled. gitingest counts
  tokens with tiktoken's o200k_base; the encoding is built offline from the npm package js-tiktoken
  (checked against OpenAI's published sha256) when npm is there, else gitingest skips that step,
  which only makes it faster.

MB/s and files/s are the tree's uncompressed bytes and regular files divided by wall time; figures are
medians over the repeats. Results also go to bench/results/context_build.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
RESULTS = ROOT / "bench" / "results"
GITINGEST = "gitingest==0.3.1"
JS_TIKTOKEN = "js-tiktoken@1.0.21"
O200K_URL = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"
O200K_SHA256 = "446a9538cb6c348e3516120d7c08b09f57c36495e2acfffe59a5bf8b0cfb1a2d"
MB = 1_000_000


# ---------------------------------------------------------------- preparing the tree


def fetch_sdist(spec: str) -> Path:
    """The sdist of `name==version`, downloaded once into the cache."""
    name, _, version = spec.partition("==")
    pattern = re.compile(rf"{re.escape(name).replace('-', '[-_]')}-{re.escape(version)}\.tar\.gz", re.I)
    found = [p for p in CACHE.glob("*.tar.gz") if pattern.fullmatch(p.name)]
    if found:
        return found[0]
    CACHE.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:", spec, "-d", str(CACHE)]
    subprocess.run(pip, check=True, stdout=subprocess.DEVNULL)
    return next(p for p in CACHE.glob("*.tar.gz") if pattern.fullmatch(p.name))


def unpack(sdist: Path) -> Path:
    """The sdist's single top directory, unpacked under bench/.cache/src/."""
    target = CACHE / "src"
    with tarfile.open(sdist) as tar:
        top = tar.getnames()[0].split("/", 1)[0]
        if not (target / top).is_dir():
            tar.extractall(target, filter="data")
    return target / top


def repack_github_style(tree: Path, name: str) -> Path:
    """A `.tar.gz` shaped like `git archive`'s (GitHub's tarball endpoint): `owner-repo-sha7/`, path order."""
    out = CACHE / f"{tree.name}-github.tar.gz"
    if out.exists():
        return out
    sha = hashlib.sha1(tree.name.encode()).hexdigest()
    top = f"bench-{name}-{sha[:7]}"
    paths = sorted(tree.rglob("*"), key=lambda p: p.relative_to(tree).as_posix().encode())
    # Like git: a pax global header with the commit id, then plain ustar entries (a pax record only
    # for long paths), one commit time, root ownership.
    with tarfile.open(out, "w:gz", format=tarfile.PAX_FORMAT, pax_headers={"comment": sha}, compresslevel=6) as tar:
        for path, arcname in [(tree, top)] + [(p, f"{top}/{p.relative_to(tree).as_posix()}") for p in paths]:
            info = tar.gettarinfo(str(path), arcname)
            info.mtime, info.uid, info.gid, info.uname, info.gname = 1_700_000_000, 0, 0, "root", "root"
            if info.isfile():
                with open(path, "rb") as handle:
                    tar.addfile(info, handle)
            else:
                tar.addfile(info)
    return out


def tree_size(tree: Path) -> tuple[int, int]:
    """(regular files, bytes) of the unpacked tree."""
    files = [p for p in tree.rglob("*") if p.is_file() and not p.is_symlink()]
    return len(files), sum(p.stat().st_size for p in files)


def gitingest_python() -> Path:
    """The interpreter of a venv with gitingest, created on first use."""
    venv = CACHE / "gitingest-venv"
    python = venv / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    probe = subprocess.run([str(python), "-c", "import gitingest"], capture_output=True)
    if probe.returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "-q", GITINGEST], check=True)
    return python


def tiktoken_cache() -> Path | None:
    """A TIKTOKEN_CACHE_DIR holding o200k_base, built from js-tiktoken's ranks; None if npm fails."""
    cache = CACHE / "tiktoken"
    target = cache / hashlib.sha1(O200K_URL.encode()).hexdigest()
    if target.exists():
        return cache
    if shutil.which("npm") is None:
        return None
    work = CACHE / "npm"
    work.mkdir(parents=True, exist_ok=True)
    packed = subprocess.run(["npm", "pack", JS_TIKTOKEN], cwd=work, capture_output=True, text=True)
    if packed.returncode != 0:
        return None
    with tarfile.open(work / packed.stdout.strip().splitlines()[-1]) as tgz:
        member = tgz.extractfile("package/dist/ranks/o200k_base.cjs")
        module = member.read().decode() if member else ""
    ranks = json.loads(module[module.index("{") : module.rindex("}") + 1])["bpe_ranks"]
    lines: list[str] = []
    for row in filter(None, ranks.split("\n")):
        _, offset, *tokens = row.split(" ")
        lines.extend(f"{token} {int(offset) + i}" for i, token in enumerate(tokens))
    data = ("\n".join(lines) + "\n").encode()
    if hashlib.sha256(data).hexdigest() != O200K_SHA256:
        return None
    cache.mkdir(parents=True, exist_ok=True)
    target.write_bytes(data)
    return cache


# ---------------------------------------------------------------- measured runs (child processes)


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def worker_ours(archive: str, max_tokens: int) -> dict[str, object]:
    """One build_context run; imports are done before the clock starts."""
    sys.path.insert(0, str(ROOT))
    from app.repo_context import PathSelector, build_context

    baseline = _peak_rss_mb()
    started = time.perf_counter()
    with open(archive, "rb") as handle:
        ctx = build_context(handle, PathSelector(path_patterns=["**"]), max_tokens=max_tokens)
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "peak_rss_mb": _peak_rss_mb(),
        "baseline_rss_mb": baseline,
        "files_included": len(ctx.files),
        "estimated_tokens": ctx.estimated_tokens,
        "truncated": ctx.truncated,
        "text_chars": len(ctx.text),
        "skipped": ctx.skipped,
    }


def worker_gitingest(tree: str) -> dict[str, object]:
    """One gitingest `ingest()` run on a local directory, with the network switched off."""
    import socket

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network disabled for the benchmark")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.getaddrinfo = refuse  # type: ignore[assignment]
    from gitingest import ingest

    baseline = _peak_rss_mb()
    started = time.perf_counter()
    summary, _tree, content = ingest(tree)
    seconds = time.perf_counter() - started
    tokens = re.search(r"Estimated tokens: (\S+)", summary)
    return {
        "seconds": seconds,
        "peak_rss_mb": _peak_rss_mb(),
        "baseline_rss_mb": baseline,
        "text_chars": len(content),
        "tokens_reported": tokens.group(1) if tokens else None,
    }


def run_child(python: Path, args: list[str], env: dict[str, str] | None = None) -> dict[str, object]:
    """Run this file in worker mode in a fresh interpreter; its last stdout line is the JSON result."""
    proc = subprocess.run(
        [str(python), __file__, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
    )
    if proc.returncode != 0:
        raise SystemExit(f"worker failed: {args}\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------- report


def summarize(runs: list[dict[str, object]], files: int, size: int) -> dict[str, object]:
    """Medians (and spread) of a list of runs."""
    seconds = [float(r["seconds"]) for r in runs]  # type: ignore[arg-type]
    rss = [float(r["peak_rss_mb"]) for r in runs]  # type: ignore[arg-type]
    median = statistics.median(seconds)
    return {
        "runs": len(runs),
        "seconds_median": median,
        "seconds_min": min(seconds),
        "seconds_max": max(seconds),
        "mb_per_s": size / MB / median,
        "files_per_s": files / median,
        "peak_rss_mb_median": statistics.median(rss),
        "peak_rss_mb_max": max(rss),
        "last": runs[-1],
    }


def print_report(spec: str, files: int, size: int, archive: Path, rows: dict[str, dict[str, object]]) -> None:
    """The side-by-side table and the ratios."""
    print(f"\ntree: {spec} sdist, {files:,} files, {size / MB:.2f} MB uncompressed")
    print(f"GitHub-style tarball: {archive.stat().st_size / MB:.2f} MB")
    print(f"{'':34}{'MB/s':>8}{'files/s':>10}{'peak RSS':>11}{'wall s':>9}  runs  (min-max s)")
    for label, row in rows.items():
        print(
            f"{label:34}{row['mb_per_s']:>8.2f}{row['files_per_s']:>10,.0f}{row['peak_rss_mb_median']:>8.1f} MB"
            f"{row['seconds_median']:>9.2f}  {row['runs']:>4}  ({row['seconds_min']:.2f}-{row['seconds_max']:.2f})"
        )
    for label, row in rows.items():
        print(f"  {label}: {json.dumps(row['last'])}")
    if "gitingest" in rows:
        base = float(rows["gitingest"]["mb_per_s"])  # type: ignore[arg-type]
        for label, row in rows.items():
            if label != "gitingest":
                print(f"ratio {label} / gitingest: {float(row['mb_per_s']) / base:.1f}x MB/s")  # type: ignore[arg-type]


def measure(args: argparse.Namespace) -> None:
    """Prepare the tree, run every variant in fresh processes, print and save the figures."""
    sdist = fetch_sdist(args.package)
    tree = unpack(sdist)
    archive = repack_github_style(tree, args.package.partition("==")[0].lower())
    files, size = tree_size(tree)
    rows: dict[str, dict[str, object]] = {}
    for label, max_tokens in [(f"ours (window {args.max_tokens:,})", args.max_tokens), ("ours (no cut)", 10**12)]:
        child = ["--worker", "ours", "--target", str(archive), "--max-tokens", str(max_tokens)]
        rows[label] = summarize([run_child(Path(sys.executable), child) for _ in range(args.repeat)], files, size)
    if not args.skip_gitingest:
        python = gitingest_python()
        # Without o200k_base, tiktoken finds no cache and its download fails at the disabled socket.
        env = {"TIKTOKEN_CACHE_DIR": str(tiktoken_cache() or CACHE / "no-tiktoken")}
        child = ["--worker", "gitingest", "--target", str(tree)]
        runs = [run_child(python, child, env) for _ in range(args.gitingest_repeat)]
        rows["gitingest"] = summarize(runs, files, size)
    print_report(args.package, files, size, archive, rows)
    RESULTS.mkdir(parents=True, exist_ok=True)
    report = {"package": args.package, "files": files, "bytes": size, "rows": rows}
    (RESULTS / "context_build.json").write_text(json.dumps(report, indent=2))


def main() -> None:
    """Parse arguments; run as a measured worker when asked, else the whole benchmark."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--package", default="django==5.2.8")
    parser.add_argument("--max-tokens", type=int, default=1_047_576)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--gitingest-repeat", type=int, default=3)
    parser.add_argument("--skip-gitingest", action="store_true")
    parser.add_argument("--worker", choices=["ours", "gitingest"], help=argparse.SUPPRESS)
    parser.add_argument("--target", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker == "ours":
        print(json.dumps(worker_ours(args.target, args.max_tokens)))
    elif args.worker == "gitingest":
        print(json.dumps(worker_gitingest(args.target)))
    else:
        measure(args)


if __name__ == "__main__":
    main()
