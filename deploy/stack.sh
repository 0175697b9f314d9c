#!/usr/bin/env bash
# Placeholder until the stack scripts land: no servers yet.
case "${1:-}" in up|down|status) echo "stack: no servers configured yet";; *) echo "usage: $0 up|down|status"; exit 2;; esac
