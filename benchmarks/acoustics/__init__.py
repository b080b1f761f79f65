"""Spoken claims in conditions that sound like real live rooms: music, a co-host, reverb, phone and codecs.

``python -m benchmarks.acoustics`` renders the claims corpus's voiced sentences under each
condition of :mod:`benchmarks.acoustics.conditions`, reads them as ``scan`` does and writes one
table (``benchmarks/results/claims_rooms.md``); ``python -m benchmarks.acoustics.tune`` compares
candidate readers on the dev split. See ``docs/room-acoustics.md``.
"""
