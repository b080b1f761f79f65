"""GPU throughput benchmark of the batched PyTorch Whisper path (random weights, speed only)."""
