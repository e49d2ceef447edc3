#!/usr/bin/env bash
# Refresh the vendored browser libraries in theme/vendor/ from the npm registry.
#
#   theme/vendor/refresh.sh            re-fetch every package at the version pinned in versions.json
#   theme/vendor/refresh.sh --latest   take the newest published version of every package and
#                                      update versions.json (pins, hashes, bundled licences)
#   theme/vendor/refresh.sh --check    fetch the pinned versions into a temp dir and only compare
#                                      with the committed files (exit 1 on any difference)
#
# Needs only bash, tar, npm and python3 (python3 edits the JSON, hashes and wraps files).
# Everything is built in a temp dir first, so a failed run leaves theme/vendor/ untouched.
# The output is a pure function of the npm tarballs: running it twice gives identical files.
#
# What it does per package listed in versions.json:
#   npm pack PKG@VERSION  ->  extract  ->  copy <source> to <file> (as shipped)
#   ->  apply the "derived" transforms (jsonld: UMD bundle -> ES-module wrapper jsonld.esm.js)
#   ->  copy the licence file to LICENSES/<name>.txt (licence must be permissive)
#   ->  for "bundled" third-party packages (code webpack put inside the jsonld bundle) fetch each
#       one's tarball too and copy its licence to LICENSES/<parent>-bundled/<name>.txt
#   ->  record version, tarball integrity and sha256 of every produced file in versions.json.
set -euo pipefail

VENDOR_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MODE=pinned
CHECK=0
for arg in "$@"; do
  case "$arg" in
    --latest) MODE=latest ;;
    --check) CHECK=1 ;;
    -h|--help) sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "refresh.sh: unknown argument: $arg" >&2; exit 2 ;;
  esac
done
if [[ $MODE == latest && $CHECK == 1 ]]; then
  echo "refresh.sh: --check compares against the pinned versions; do not combine with --latest" >&2
  exit 2
fi
for tool in tar npm python3; do
  command -v "$tool" >/dev/null || { echo "refresh.sh: $tool is required" >&2; exit 1; }
done

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT
STAGE="$TMP/stage"
mkdir -p "$STAGE/LICENSES" "$TMP/pkgs"
export npm_config_update_notifier=false npm_config_fund=false npm_config_audit=false

# ---------------------------------------------------------------------------------------------
# python3 helper: JSON editing, hashing, licence copying and the jsonld ES-module wrapper.
cat >"$TMP/helper.py" <<'PY'
import hashlib, json, os, re, shutil, subprocess, sys
from pathlib import Path

VENDOR, STAGE = Path(os.environ["VENDOR_DIR"]), Path(os.environ["STAGE"])
MODE = os.environ["MODE"]
PERMISSIVE = {"MIT", "ISC", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0", "0BSD", "Unlicense"}
LICENCE_NAMES = re.compile(r"^(licen[cs]e|copying)(\.(md|txt|markdown))?$", re.I)


def load(path):
    with open(path, encoding="utf-8") as f:
        return json.load(f)


def dump(path, data):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def safe(name):  # "@noble/ed25519" -> "noble-ed25519"
    return name.lstrip("@").replace("/", "-")


def staged_versions():
    p = STAGE / "versions.json"
    return load(p) if p.exists() else load(VENDOR / "versions.json")


def licence_of(pkgdir, name, version):
    """(spdx, path inside tarball) of a package; fails unless permissive and present."""
    meta = load(Path(pkgdir) / "package" / "package.json")
    spdx = meta.get("license")
    if isinstance(spdx, dict):
        spdx = spdx.get("type")
    if spdx not in PERMISSIVE:
        sys.exit(f"refresh.sh: {name}@{version} licence {spdx!r} is not in the permissive allow-list")
    files = sorted(p for p in (Path(pkgdir) / "package").iterdir()
                   if p.is_file() and LICENCE_NAMES.match(p.name))
    if not files:
        sys.exit(f"refresh.sh: {name}@{version} ships no LICENSE file")
    src = files[0]
    if not src.read_text(encoding="utf-8").strip():
        sys.exit(f"refresh.sh: {name}@{version} licence file {src.name} is empty")
    return spdx, "package/" + src.name


def umd_to_esm(text, name, version, source):
    """Wrap a webpack UMD bundle so it can be imported as an ES module.

    In a module `this` is undefined and there is no `module`/`exports`, so the UMD header would
    run `undefined.jsonld = factory()` and throw. Declaring a CommonJS-style `module` makes the
    header take its first branch (`module.exports = factory()`), which we then export. The
    trailing sourceMappingURL comment is dropped (the shipped map only covers the UMD header)."""
    lines = text.rstrip("\n").split("\n")
    if lines and lines[-1].startswith("//# sourceMappingURL="):
        lines.pop()
    body = "\n".join(lines)
    if "module.exports=t()" not in body.replace(" ", "")[:400]:
        sys.exit(f"refresh.sh: {source} does not start with the expected webpack UMD header")
    return (
        f"/* Generated by theme/vendor/refresh.sh from {name}@{version} {source} - do not edit.\n"
        f" * ES-module wrapper around the UMD bundle (licence: LICENSES/{safe(name)}.txt).\n"
        f" * Usage: import jsonld from './jsonld.esm.js'; */\n"
        "const module = { exports: {} };\n"
        "const exports = module.exports;\n"
        f"{body}\n"
        ";\n"
        f"const {safe(name).replace('-', '_')} = module.exports;\n"
        f"export default {safe(name).replace('-', '_')};\n"
        f"export {{ {safe(name).replace('-', '_')} }};\n"
    )


TRANSFORMS = {"umd-to-esm": umd_to_esm}
KEY_ORDER = ["version", "file", "source", "sha256", "license", "license_file", "license_source",
             "integrity", "derived", "bundled_manifest", "bundled"]


def bundled_names(pkgdir, manifest):
    text = (Path(pkgdir) / manifest).read_text(encoding="utf-8")
    return sorted(set(re.findall(r"\./node_modules/((?:@[^/\s\"']+/)?[^/\s\"']+)/", text)))


def npm_max_satisfying(name, rng):
    out = subprocess.run(["npm", "view", f"{name}@{rng}", "version", "--json"], check=True,
                         capture_output=True, text=True).stdout.strip()
    vs = json.loads(out) if out else []
    vs = [vs] if isinstance(vs, str) else vs
    if not vs:
        sys.exit(f"refresh.sh: no version of {name} satisfies {rng}")
    return vs[-1]


def npm_deps(name, version):
    out = subprocess.run(["npm", "view", f"{name}@{version}", "dependencies", "--json"],
                         check=True, capture_output=True, text=True).stdout.strip()
    return json.loads(out) if out else {}


def cmd_names():
    for name in load(VENDOR / "versions.json"):
        print(name)


def cmd_pinned(name):
    print(load(VENDOR / "versions.json")[name]["version"])


def cmd_apply(name, version, pkgdir, packjson):
    data = staged_versions()
    entry = data[name]
    pkgdir = Path(pkgdir)
    pack = load(packjson)[0]
    if MODE == "pinned" and entry.get("integrity") and entry["integrity"] != pack["integrity"]:
        sys.exit(f"refresh.sh: {name}@{version} tarball integrity changed: "
                 f"{entry['integrity']} != {pack['integrity']} (if you edited the pinned "
                 "version by hand, delete its 'integrity' too)")
    src = pkgdir / entry["source"]
    if not src.is_file():
        sys.exit(f"refresh.sh: {name}@{version}: {entry['source']} not in the tarball; "
                 "update 'source' in versions.json")
    shutil.copyfile(src, STAGE / entry["file"])
    spdx, lic_src = licence_of(pkgdir, name, version)
    lic_file = f"LICENSES/{safe(name)}.txt"
    shutil.copyfile(pkgdir / lic_src, STAGE / lic_file)
    entry.update(version=version, sha256=sha256(STAGE / entry["file"]), license=spdx,
                 license_file=lic_file, license_source=lic_src, integrity=pack["integrity"])
    for d in entry.get("derived", []):
        text = src.read_text(encoding="utf-8")
        out = TRANSFORMS[d["transform"]](text, name, version, entry["source"])
        (STAGE / d["file"]).write_text(out, encoding="utf-8", newline="\n")
        d["sha256"] = sha256(STAGE / d["file"])
    if "bundled" in entry:
        found = bundled_names(pkgdir, entry["bundled_manifest"])
        pinned = sorted(entry["bundled"])
        if MODE == "latest":
            entry["bundled"] = resolve_bundled(pkgdir, found, entry)
        elif found != pinned:
            sys.exit(f"refresh.sh: {name}@{version} bundles {found} but versions.json lists "
                     f"{pinned}; run with --latest to re-resolve")
    data[name] = {k: entry[k] for k in sorted(entry, key=lambda k: (
        KEY_ORDER.index(k) if k in KEY_ORDER else len(KEY_ORDER), k))}
    dump(STAGE / "versions.json", data)


def resolve_bundled(pkgdir, found, entry):
    """Versions of the packages webpack inlined, following the dependency ranges from the
    parent's package.json; build-time injections (core-js) are read from the bundle text."""
    text = (Path(pkgdir) / entry["bundled_manifest"]).read_text(encoding="utf-8")
    resolved, queue = {}, [load(Path(pkgdir) / "package" / "package.json").get("dependencies", {})]
    while queue:
        for dep, rng in queue.pop().items():
            if dep in found and dep not in resolved:
                resolved[dep] = npm_max_satisfying(dep, rng)
                queue.append(npm_deps(dep, resolved[dep]))
    for dep in found:
        if dep not in resolved:
            m = (re.search(r"""version:\s*["']([0-9][^"']*)["'],\s*mode:""", text)
                 if dep == "core-js" else None)
            if not m:
                sys.exit(f"refresh.sh: cannot tell which version of bundled {dep} is inside "
                         "the bundle; add it to 'bundled' in versions.json by hand")
            resolved[dep] = m.group(1)
    old = entry.get("bundled", {})
    return {dep: {**old.get(dep, {}), "version": resolved[dep]} for dep in sorted(found)}


def cmd_bundled(name):
    for dep, info in staged_versions()[name].get("bundled", {}).items():
        print(dep, info["version"])


def cmd_apply_bundled(parent, dep, version, pkgdir):
    data = staged_versions()
    info = data[parent]["bundled"][dep]
    spdx, lic_src = licence_of(pkgdir, dep, version)
    lic_file = f"LICENSES/{safe(parent)}-bundled/{safe(dep)}.txt"
    (STAGE / lic_file).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(pkgdir) / lic_src, STAGE / lic_file)
    info.update(version=version, license=spdx, license_file=lic_file, license_source=lic_src)
    dump(STAGE / "versions.json", data)


def outputs(root, data):
    files = ["versions.json"]
    for e in data.values():
        files += [e["file"], e["license_file"]] + [d["file"] for d in e.get("derived", [])]
        files += [b["license_file"] for b in e.get("bundled", {}).values()]
    files += [str(p.relative_to(root)) for p in (root / "LICENSES").rglob("*") if p.is_file()]
    return sorted(set(files))


def cmd_check():
    want = set(outputs(STAGE, load(STAGE / "versions.json")))
    have = set(outputs(VENDOR, load(VENDOR / "versions.json")))
    bad = sorted(f for f in want | have
                 if not (STAGE / f).is_file() or not (VENDOR / f).is_file()
                 or (STAGE / f).read_bytes() != (VENDOR / f).read_bytes())
    for f in bad:
        print(f"refresh.sh --check: differs: {f}", file=sys.stderr)
    sys.exit(1 if bad else 0)


def cmd_install():
    data = load(STAGE / "versions.json")
    if (VENDOR / "LICENSES").is_dir():
        shutil.rmtree(VENDOR / "LICENSES")
    for f in outputs(STAGE, data):
        (VENDOR / f).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(STAGE / f, VENDOR / f)
        print(f"  {f}  sha256 {sha256(VENDOR / f)[:16]}  {os.path.getsize(VENDOR / f)} bytes")


cmd, *args = sys.argv[1:]
globals()["cmd_" + cmd.replace("-", "_")](*args)
PY
helper() { VENDOR_DIR="$VENDOR_DIR" STAGE="$STAGE" MODE="$MODE" python3 "$TMP/helper.py" "$@"; }

# npm pack SPEC into its own folder and extract it; prints the folder.
fetch() {
  local spec="$1" dir
  dir="$TMP/pkgs/$(printf '%s' "$spec" | tr '@/' '__')"
  mkdir -p "$dir"
  if ! npm pack "$spec" --ignore-scripts --json --pack-destination "$dir" \
      >"$dir/pack.json" 2>"$dir/npm.log"; then
    grep -v 'Unknown user config' "$dir/npm.log" >&2 || true
    echo "refresh.sh: npm pack $spec failed" >&2
    exit 1
  fi
  tar -xzf "$dir"/*.tgz -C "$dir"
  printf '%s\n' "$dir"
}

latest_version() {
  npm view "$1" version 2>/dev/null
}

mapfile -t NAMES < <(helper names)
for name in "${NAMES[@]}"; do
  if [[ $MODE == latest ]]; then version="$(latest_version "$name")"; else version="$(helper pinned "$name")"; fi
  [[ -n $version ]] || { echo "refresh.sh: no version for $name" >&2; exit 1; }
  echo "refresh.sh: $name@$version" >&2
  dir="$(fetch "$name@$version")"
  helper apply "$name" "$version" "$dir" "$dir/pack.json"
  while read -r dep depversion; do
    [[ -n $dep ]] || continue
    echo "refresh.sh:   bundled in $name: $dep@$depversion (licence only)" >&2
    depdir="$(fetch "$dep@$depversion")"
    helper apply-bundled "$name" "$dep" "$depversion" "$depdir"
  done < <(helper bundled "$name")
done

if [[ $CHECK == 1 ]]; then
  helper check && echo "refresh.sh --check: vendored files match the pinned npm tarballs" >&2
else
  helper install
fi
