"""The optional LLM judge, measured: a local llama.cpp server and the evaluation on the claims test split."""
