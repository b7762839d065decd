"""Built-in noise: files that never help a model understand a repo (lock files, build output, media)."""

from __future__ import annotations

# Any path segment with one of these names hides everything below it.
NOISE_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", "node_modules", "bower_components", "jspm_packages", "vendor",
        "dist", "build", "out", "__pycache__", ".venv", "venv", ".tox", ".nox", ".eggs",
        ".mypy_cache", ".pytest_cache", ".ruff_cache", ".cache", ".parcel-cache", ".next", ".nuxt",
        ".svelte-kit", ".turbo", ".gradle", ".idea", "coverage", ".nyc_output", ".terraform",
        ".yarn", ".pnpm-store", "site-packages",
    }
)  # fmt: skip

NOISE_FILES = frozenset(
    {
        "package-lock.json", "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "bun.lockb",
        "bun.lock", "poetry.lock", "Pipfile.lock", "pdm.lock", "uv.lock", "Cargo.lock", "Gemfile.lock",
        "composer.lock", "go.sum", "flake.lock", "mix.lock", "pubspec.lock", "Podfile.lock",
        "packages.lock.json", "gradle.lockfile", ".DS_Store", "Thumbs.db", "desktop.ini",
    }
)  # fmt: skip

# Lower-case extensions (without the dot) of media, archives, compiled and data files.
NOISE_EXTENSIONS = frozenset(
    {
        # images
        "png", "jpg", "jpeg", "gif", "bmp", "ico", "icns", "webp", "tif", "tiff", "psd", "svg", "avif",
        "heic", "xcf", "ai", "eps",
        # fonts
        "ttf", "otf", "woff", "woff2", "eot",
        # archives and packages
        "zip", "tar", "gz", "tgz", "bz2", "xz", "lz", "lzma", "zst", "7z", "rar", "jar", "war", "ear",
        "whl", "egg", "deb", "rpm", "dmg", "iso", "apk", "nupkg", "gem",
        # audio and video
        "mp3", "mp4", "m4a", "wav", "ogg", "flac", "aac", "avi", "mov", "mkv", "webm", "wmv",
        # documents
        "pdf", "doc", "docx", "xls", "xlsx", "ppt", "pptx", "odt", "ods", "odp",
        # compiled code and binaries
        "exe", "dll", "so", "dylib", "a", "lib", "o", "obj", "class", "pyc", "pyo", "pyd", "wasm",
        "bin", "mo", "lockb",
        # databases and data blobs
        "db", "sqlite", "sqlite3", "mdb", "npy", "npz", "pkl", "pickle", "h5", "hdf5", "parquet",
        "onnx", "pt", "pth", "ckpt", "safetensors", "mmdb", "dbf", "shp", "shx",
    }
)  # fmt: skip

# Generated or minified text that costs many tokens and explains little.
NOISE_SUFFIXES = (".min.js", ".min.css", ".min.mjs", ".js.map", ".css.map", ".mjs.map", ".lock")


def is_noise(path: str) -> bool:
    """Whether a repo-root path is built-in noise (by directory, file name or extension)."""
    head, _, name = path.rpartition("/")
    if name in NOISE_FILES:
        return True
    if head and not NOISE_DIRS.isdisjoint(head.split("/")):
        return True
    dot = name.rfind(".")
    if dot > 0 and name[dot + 1 :].lower() in NOISE_EXTENSIONS:
        return True
    return name.lower().endswith(NOISE_SUFFIXES) or _is_egg_info(head)


def _is_egg_info(head: str) -> bool:
    """Setuptools metadata directories (`*.egg-info/`) are generated."""
    return ".egg-info" in head and any(seg.endswith(".egg-info") for seg in head.split("/"))
