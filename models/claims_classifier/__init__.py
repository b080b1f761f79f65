"""The claims classifier head: artefact, model card and training script (``train.py``)."""
