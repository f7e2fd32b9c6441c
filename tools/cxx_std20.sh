#!/usr/bin/env bash
# Compiler wrapper for building mmcv 2.0.1 against torch >= 2.6: mmcv's setup.py
# hard-codes -std=c++14, while torch's ATen headers need C++20.
args=()
for arg in "$@"; do
  if [ "$arg" = "-std=c++14" ]; then args+=("-std=c++20"); else args+=("$arg"); fi
done
exec "${INDEXNET_REAL_CXX:-g++}" "${args[@]}"
