#!/usr/bin/env bash
# Packaging test: build the DEB, unpack it into a temporary root, run the unpacked CLI
# (--version, inspect against the sandbox), and build the embedding example against the
# CMake package inside it.   test_package.sh BUILD_DIR SOURCE_DIR FIXTURE_DIR VERSION
set -euo pipefail
trap 'echo "test_package.sh: failed at line $LINENO: $BASH_COMMAND" >&2' ERR
build=$1 src=$2 fixtures=$3 version=$4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$build"
rm -f backfill-studio_*.deb
cpack -G DEB >"$work/cpack.log" 2>&1 || { cat "$work/cpack.log"; exit 1; }
deb=$(ls backfill-studio_"$version"_*.deb)
echo "built $deb"
# (grep -q on a pipe would end the writer early: with pipefail that is a failure, so read first)
info=$(dpkg-deb -I "$deb")
grep -q 'Depends:.*libqt6core6' <<<"$info" || { echo "Depends not computed"; echo "$info"; exit 1; }
root=$work/root
dpkg-deb -x "$deb" "$root"
for f in usr/bin/backfill-studio usr/bin/backfill-studio-cli usr/share/applications/io.github.backfillstudio.BackfillStudio.desktop \
         usr/share/metainfo/io.github.backfillstudio.BackfillStudio.metainfo.xml usr/share/man/man1/backfill-studio-cli.1 \
         usr/share/icons/hicolor/scalable/apps/io.github.backfillstudio.BackfillStudio.svg \
         usr/share/icons/hicolor/48x48/apps/io.github.backfillstudio.BackfillStudio.png \
         usr/lib/cmake/BackfillStudio/BackfillStudioConfig.cmake usr/include/backfillstudio/ChunkTimeline.h; do
    [ -e "$root/$f" ] || { echo "missing in the package: $f"; exit 1; }
done
if command -v desktop-file-validate >/dev/null; then desktop-file-validate "$root/usr/share/applications/"*.desktop; fi
if command -v appstreamcli >/dev/null; then appstreamcli validate --no-net --pedantic "$root/usr/share/metainfo/"*.xml || true; fi
export LD_LIBRARY_PATH=$root/usr/lib
out=$("$root/usr/bin/backfill-studio-cli" --version)
[ "$out" = "backfill-studio-cli $version" ] || { echo "unexpected --version: $out"; exit 1; }
out=$("$root/usr/bin/backfill-studio" --version)
[ "$out" = "backfill-studio $version" ] || { echo "unexpected GUI --version: $out"; exit 1; }
port=$(cat "$fixtures/sandbox/port")
PGPASSWORD=sandbox "$root/usr/bin/backfill-studio-cli" inspect --db "host=127.0.0.1 port=$port user=postgres sslmode=disable" \
    --table conditions >"$work/inspect.txt"
grep -q 'public.conditions (owner postgres): 90 chunks' "$work/inspect.txt" || { cat "$work/inspect.txt"; exit 1; }
echo "unpacked CLI works"
# Embedding: another application finds the package and links the libraries.
cmake -S "$src/packaging/example" -B "$work/example" -DCMAKE_PREFIX_PATH="$root/usr" -DCMAKE_BUILD_TYPE=Release >"$work/ex.log" 2>&1 \
    || { cat "$work/ex.log"; exit 1; }
cmake --build "$work/example" >>"$work/ex.log" 2>&1 || { cat "$work/ex.log"; exit 1; }
out=$(EMBED_SMOKE_TEST=1 QT_QPA_PLATFORM=offscreen "$work/example/embed-backfill-studio" 2>&1)
grep -q 'embedded: timeline with 30 chunks, wizard "Import CSV into' <<<"$out" || { echo "$out"; exit 1; }
echo "embedding example built against the installed package and ran"
cd "$build"
rm -f backfill-studio-"$version"-*.tar.gz
cpack -G TGZ >"$work/tgz.log" 2>&1 || { cat "$work/tgz.log"; exit 1; }
listing=$(tar tzf backfill-studio-"$version"-*.tar.gz)
grep -q '/bin/backfill-studio-cli$' <<<"$listing" || { echo "the TGZ has no backfill-studio-cli"; exit 1; }
echo "TGZ built"
echo "1 passed, 0 failed"
