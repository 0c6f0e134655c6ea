"""Upscribes and their recommendations, offers, and the public hosted pages (/p/, /r/, /o/)."""
