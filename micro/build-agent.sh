#!/bin/sh
# Builds the static trace agent into $1 (called by Maven in generate-resources); shipped in the jar.
set -eu
out=$1
src=$(dirname "$0")/src/main/c
mkdir -p "$(dirname "$out")"
cc=gcc
command -v musl-gcc >/dev/null 2>&1 && cc=musl-gcc
$cc -std=gnu11 -Os -s -static -Wall -Wextra -Werror -Wno-unused-parameter -o "$out.tmp" "$src"/trace-agent.c
mv "$out.tmp" "$out"
