"""Explaining: named mistakes, the part of a step that differs, and the notes' errata."""
