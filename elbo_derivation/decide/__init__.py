"""Deciding: the symbolic tiers that give each step its verdict."""
